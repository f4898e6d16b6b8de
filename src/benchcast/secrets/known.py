"""Known values: the streamer's real secrets, gathered at start and again when the files they
come from change, and their encoded forms.

They are matched literally wherever they appear — also base64-encoded at each alignment
(standard and URL-safe, which covers ``user:value`` basic-auth strings), percent-encoded and
JSON-escaped. They are held in memory only and never written anywhere.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import json
import math
import netrc
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASS|PWD|CRED|AUTH|DSN|PRIVATE|SESSION|COOKIE", re.IGNORECASE
)
#: Names that match SECRET_NAME but never hold secrets.
NOT_SECRET_NAMES = {
    "PWD",
    "OLDPWD",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
    "XAUTHORITY",
    "KEYTIMEOUT",
    "PASSWORD_STORE_DIR",
    "SESSION_MANAGER",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_SESSION_ID",
    "XDG_SESSION_TYPE",
    "XDG_SESSION_CLASS",
    "XDG_SESSION_DESKTOP",
    "DESKTOP_SESSION",
    "GNOME_KEYRING_CONTROL",
    "KRB5CCNAME",
    "BENCHCAST_KEY_FILE",
}
MIN_LENGTH = 8
COMMON = {
    "true",
    "false",
    "none",
    "null",
    "localhost",
    "127.0.0.1",
    "0.0.0.0",
    "changeme",
    "password",
    "example",
    "default",
    "undefined",
}


def plausible(value: str) -> bool:
    """Long and specific enough that masking every occurrence will not mask ordinary text."""
    v = value.strip()
    return (
        len(v) >= MIN_LENGTH
        and v.lower() not in COMMON
        and not v.isdigit()
        and len(set(v)) > 3
        and not v.startswith(("/", "~/", "./"))
    )


def encodings(value: str, min_length: int = MIN_LENGTH) -> list[str]:
    """The value and the forms it takes when encoded, each long enough to match on."""
    forms = {value}
    raw = value.encode()
    for offset in range(3):
        enc = base64.b64encode(b"\0" * offset + raw).decode()
        # Only the characters that depend on the value alone, not on its neighbours.
        first = math.ceil(8 * offset / 6)
        last = (8 * (offset + len(raw))) // 6
        frag = enc[first:last]
        if len(frag) >= min_length:
            forms.add(frag)
            forms.add(frag.replace("+", "-").replace("/", "_"))
    forms.add(urllib.parse.quote(value, safe=""))
    forms.add(urllib.parse.quote_plus(value, safe=""))
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return [f for f in forms if len(f) >= min_length]


def from_environment(env: Mapping[str, str]) -> list[str]:
    return [
        v
        for k, v in env.items()
        if SECRET_NAME.search(k) and k.upper() not in NOT_SECRET_NAMES and plausible(v)
    ]


def _read(path: Path, limit: int = 1 << 20) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_text(errors="replace")
    except OSError:
        return None


def from_dotenv(text: str) -> list[str]:
    """Values of a .env file whose names look secret, or that look random enough."""
    from benchcast.secrets.context import entropy

    out = []
    for line in text.splitlines():
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$", line)
        if not m:
            continue
        name, value = m.group(1), m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if plausible(value) and (
            SECRET_NAME.search(name)
            or (entropy(value) >= 3.0 and len(value) >= 12 and "://" not in value)
        ):
            out.append(value)
    return out


def _aws(text: str) -> list[str]:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    return [
        v
        for section in cp.sections()
        for k, v in cp.items(section)
        if "secret" in k or "token" in k or "key" in k
    ]


def _netrc(path: Path) -> list[str]:
    return [password for _login, _account, password in netrc.netrc(str(path)).hosts.values()]


def _docker(text: str) -> list[str]:
    out = []
    for entry in json.loads(text).get("auths", {}).values():
        auth = entry.get("auth") if isinstance(entry, dict) else None
        if isinstance(auth, str):
            out.append(auth)
            out.append(base64.b64decode(auth + "==").decode(errors="replace").partition(":")[2])
    return out


def _kaggle(text: str) -> list[str]:
    key = json.loads(text).get("key")
    return [key] if isinstance(key, str) else []


def _ssh_keys(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.iterdir())[:50]:
        text = _read(path, 64 * 1024)
        if text and "PRIVATE KEY-----" in text:
            out += [
                line
                for line in text.splitlines()
                if len(line) >= 16 and not line.startswith("-----")
            ]
    return out


def _readers(home: Path) -> list[tuple[Path, Callable[[str], list[str]]]]:
    """The common credential files under ``home``, each with what reads its secrets."""
    return [
        (home / ".aws" / "credentials", _aws),
        (home / ".pypirc", lambda t: re.findall(r"(?m)^\s*password\s*[:=]\s*(\S+)", t)),
        (home / ".docker" / "config.json", _docker),
        (home / ".git-credentials", lambda t: re.findall(r"://[^:/\s]+:([^@\s]+)@", t)),
        (home / ".cache" / "huggingface" / "token", lambda t: [t.strip()]),
        (home / ".huggingface" / "token", lambda t: [t.strip()]),
        (home / ".config" / "wandb" / "api_key", lambda t: [t.strip()]),
        (home / ".kaggle" / "kaggle.json", _kaggle),
    ]


def from_credential_files(home: Path) -> list[str]:
    """Secrets in the common credential files under ``home`` (and its SSH private keys). A
    file that cannot be read or parsed gives none, and the others still count."""
    out: list[str] = []
    for path, parse in _readers(home):
        text = _read(path)
        if text:
            with contextlib.suppress(Exception):  # malformed: nothing to learn from it
                out += [v for v in parse(text) if isinstance(v, str) and v]
    if _read(home / ".netrc") is not None:
        with contextlib.suppress(Exception):
            out += [v for v in _netrc(home / ".netrc") if v]
    if (home / ".ssh").is_dir():
        with contextlib.suppress(OSError):
            out += _ssh_keys(home / ".ssh")
    return out


def credential_paths(home: Path) -> list[Path]:
    """What ``from_credential_files`` reads: its files, and the SSH folder."""
    return [path for path, _parse in _readers(home)] + [home / ".netrc", home / ".ssh"]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


#: The files known values come from, each with its (mtime, size), or None if absent.
State = list[tuple[Path, tuple[int, int] | None]]


class Changes:
    """Whether the files known values come from (credential files, ``.env*`` in the watched
    folders) changed: a few ``stat`` calls, and a folder's listing only when the folder
    itself changed (a file created, removed or saved by renaming)."""

    def __init__(self, home: Path, folders: Iterable[Path]) -> None:
        self.fixed = credential_paths(home)
        self.folders = list(folders)
        self._listed: dict[Path, tuple[tuple[int, int] | None, list[Path]]] = {}
        self._last = self._state()

    def _env_files(self, folder: Path) -> list[Path]:
        stamp = _stamp(folder)
        listed = self._listed.get(folder)
        if listed is None or listed[0] != stamp:
            try:
                files = sorted(folder.glob(".env*"))[:20]
            except OSError:
                files = []
            listed = self._listed[folder] = (stamp, files)
        return listed[1]

    def _state(self) -> State:
        paths = self.fixed + [p for f in self.folders for p in self._env_files(f)]
        return [(p, _stamp(p)) for p in paths]

    def look(self) -> State | None:
        """The files' state, if it differs from the last one accepted; else None."""
        state = self._state()
        return None if state == self._last else state

    def accept(self, state: State) -> None:
        """The values of ``state``'s files are known now: later looks compare with it."""
        self._last = state


def gather(
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    folders: Iterable[Path] = (),
    extra: Iterable[str] = (),
) -> list[str]:
    """Every known value: environment, credential files, .env files in ``folders``, extras."""
    env = os.environ if env is None else env
    values = from_environment(env)
    values += from_credential_files(home if home is not None else Path.home())
    for folder in folders:
        try:
            candidates = sorted(folder.glob(".env*"))[:20]
        except OSError:
            candidates = []
        for path in candidates:
            text = _read(path)
            if text:
                values += from_dotenv(text)
    values += list(extra)
    seen: list[str] = []
    for v in values:
        v = v.strip()
        if plausible(v) and v not in seen:
            seen.append(v)
    return seen
