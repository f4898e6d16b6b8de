"""Settings, declared once: name, default, help. One precedence everywhere:
command-line flag > ``BENCHCAST_<NAME>`` environment variable > config file > default.

The config file is TOML at ``$BENCHCAST_CONFIG`` or ``<user config dir>/benchcast/config.toml``,
with the same names as keys (``data = "/srv/benchcast"``, ``port = 8765``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "BENCHCAST_" + self.name.upper().replace("-", "_")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "data",
            platformdirs.user_data_dir("benchcast"),
            "folder for the embedded store (SQLite) and the publisher's spool",
        ),
        Setting("db", None, "store URL (sqlite:///… or postgresql://…); overrides --data"),
        Setting(
            "bus",
            "memory://",
            "fan-out between server processes: memory:// (one process) or redis://host:port/db "
            "(any number of processes sharing one PostgreSQL store)",
        ),
        Setting(
            "log_format",
            "text",
            "server log lines: text (for people) or json (one object "
            "per line, for a log collector)",
        ),
        Setting(
            "host",
            "127.0.0.1",
            "address to listen on; 127.0.0.1 keeps the server private to this machine until "
            "you choose to expose it (use 0.0.0.0 behind a proxy or firewall you trust)",
        ),
        Setting("port", 8765, "port to listen on; 0 picks a free one"),
        Setting("server", None, "URL of the Benchcast server to stream to (http://host:port)"),
        Setting("key", None, "stream key of the channel to stream to"),
        Setting(
            "transcribe_model",
            None,
            "folder of the local speech-to-text model `benchcast transcribe` uses (a Whisper "
            "model converted for CTranslate2); nothing is ever downloaded",
        ),
        Setting(
            "notify",
            "title",
            "how `benchcast inbox` tells you of a new bug report: title (its terminal's title), "
            "bell, desktop (notify-send) or none; never in the streamed terminal",
        ),
    ]
}


def config_path() -> Path:
    env = os.environ.get("BENCHCAST_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("benchcast")) / "config.toml"


def _config_file() -> dict[str, Any]:
    path = config_path()
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as err:
        raise SystemExit(f"benchcast: config file {path} is not valid TOML: {err}") from None


def resolve(name: str, flag: Any = None) -> Any:
    """The value of a setting, by the one precedence."""
    setting = SETTINGS[name]
    if flag is not None:
        return flag
    env = os.environ.get(setting.env)
    if env is not None and env != "":
        return type(setting.default)(env) if isinstance(setting.default, int) else env
    cfg = _config_file()
    if name in cfg:
        return cfg[name]
    return setting.default


def db_url(data: str | None = None, db: str | None = None) -> str:
    """The store URL from ``--db`` or ``--data`` (by precedence), defaulting to SQLite."""
    url = resolve("db", db)
    if url:
        return str(url)
    folder = Path(resolve("data", data)).expanduser()
    return f"sqlite:///{folder / 'benchcast.db'}"
