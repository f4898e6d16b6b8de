"""Known values: the streamer's real secrets, gathered at start and again when the files they
come from change, and their encoded forms.

They are matched literally wherever they appear — also base64-encoded at each alignment
(standard and URL-safe, which covers ``user:value`` basic-auth strings), percent-encoded and
JSON-escaped. They are held in memory only and never written anywhere.
"""

from __future__ import annotations

import base64
import configparser
import json
import math
import netrc
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
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


def from_credential_files(home: Path) -> list[str]:
    """Secrets in the common credential files under ``home``."""
    out: list[str] = []
    aws = _read(home / ".aws" / "credentials")
    if aws:
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read_string(aws)
            for section in cp.sections():
                for k, v in cp.items(section):
                    if "secret" in k or "token" in k or "key" in k:
                        out.append(v)
        except configparser.Error:
            pass
    for name in (".netrc",):
        path = home / name
        if _read(path) is not None:
            try:
                for _host, (login, _account, password) in netrc.netrc(str(path)).hosts.items():
                    if password:
                        out.append(password)
                    del login
            except (netrc.NetrcParseError, OSError):
                pass
    pypirc = _read(home / ".pypirc")
    if pypirc:
        out += re.findall(r"(?m)^\s*password\s*[:=]\s*(\S+)", pypirc)
    docker = _read(home / ".docker" / "config.json")
    if docker:
        try:
            for entry in json.loads(docker).get("auths", {}).values():
                auth = entry.get("auth") if isinstance(entry, dict) else None
                if isinstance(auth, str):
                    out.append(auth)
                    user_pass = base64.b64decode(auth + "==").decode(errors="replace")
                    out.append(user_pass.partition(":")[2])
        except (ValueError, AttributeError):
            pass
    gitcreds = _read(home / ".git-credentials")
    if gitcreds:
        out += re.findall(r"://[^:/\s]+:([^@\s]+)@", gitcreds)
    for token_file in (
        home / ".cache" / "huggingface" / "token",
        home / ".huggingface" / "token",
        home / ".config" / "wandb" / "api_key",
    ):
        token = _read(token_file)
        if token:
            out.append(token.strip())
    kaggle = _read(home / ".kaggle" / "kaggle.json")
    if kaggle:
        try:
            key = json.loads(kaggle).get("key")
            if isinstance(key, str):
                out.append(key)
        except ValueError:
            pass
    ssh = home / ".ssh"
    if ssh.is_dir():
        for path in sorted(ssh.iterdir())[:50]:
            text = _read(path, 64 * 1024)
            if text and "PRIVATE KEY-----" in text:
                out += [
                    line
                    for line in text.splitlines()
                    if len(line) >= 16 and not line.startswith("-----")
                ]
    return out


def credential_paths(home: Path) -> list[Path]:
    """The files ``from_credential_files`` reads (and the SSH folder, whose files it reads)."""
    return [
        home / ".aws" / "credentials",
        home / ".netrc",
        home / ".pypirc",
        home / ".docker" / "config.json",
        home / ".git-credentials",
        home / ".cache" / "huggingface" / "token",
        home / ".huggingface" / "token",
        home / ".config" / "wandb" / "api_key",
        home / ".kaggle" / "kaggle.json",
        home / ".ssh",
    ]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Changes:
    """Whether the files known values come from (credential files, ``.env*`` in the watched
    folders) changed since the last look: a few ``stat`` calls, and a folder's listing only
    when the folder itself changed (a file created, removed or saved by renaming)."""

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

    def _state(self) -> list[tuple[Path, tuple[int, int] | None]]:
        paths = self.fixed + [p for f in self.folders for p in [f, *self._env_files(f)]]
        return [(p, _stamp(p)) for p in paths]

    def changed(self) -> bool:
        state = self._state()
        if state == self._last:
            return False
        self._last = state
        return True


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
