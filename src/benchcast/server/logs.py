"""Logging for ``benchcast serve``: readable lines for a person, or one JSON object per line
(``--log-format json``) for a log collector.

A JSON line has ``ts`` (unix seconds), ``level``, ``logger``, ``msg``, ``node`` (which server
process), any fields the call passed in ``extra`` (``stream``, ``holder``, …), and ``exc`` for
a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, node: str = "") -> None:
        super().__init__()
        self.node = node

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.node:
            out["node"] = self.node
        for k, v in vars(record).items():
            if k not in _STANDARD and not k.startswith("_"):
                out[k] = v if isinstance(v, str | int | float | bool | None) else repr(v)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def log_config(level: str, fmt: str, node: str = "") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn's loggers and Benchcast's alike."""
    level = level.upper()
    if fmt == "json":
        formatter: dict[str, Any] = {"()": JsonFormatter, "node": node}
    else:
        formatter = {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["main"], "level": level, "propagate": False},
            "benchcast": {"handlers": ["main"], "level": level, "propagate": False},
        },
    }
