"""The redactor: the only gate between what sources saw and what may leave this machine.

The trust boundary is a type. The spool accepts only ``Scanned`` events, and only this module
makes them, so "nothing unscanned is spooled or sent" is checked by mypy at every call site
(and by a test that no other module constructs ``Scanned``).

What it hides today: the literal values of the streamer's secret-looking environment
variables (names containing KEY, TOKEN, SECRET, PASS, …), wherever they appear in any string
of an event, replaced by a mask of the same width so the viewer's screen does not shift.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from benchcast.broadcast.intake import Raw

SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASS|PWD|CRED|AUTH|DSN|PRIVATE|SESSION|COOKIE", re.IGNORECASE
)
MIN_SECRET_LEN = 8
# Values that look secret by name but are not, and would mask ordinary text if treated so.
_NOT_SECRET = {"true", "false", "none", "null", "localhost", "127.0.0.1", "changeme"}


@dataclass(frozen=True, slots=True)
class Scanned:
    """An event the redactor has cleared for sending. Construct only in this module."""

    t: float
    kind: str
    source: str
    data: dict[str, Any]


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    out = []
    for name, value in env.items():
        if name == "PWD" or name == "OLDPWD":
            continue  # the working directory, not a password
        if (
            SECRET_NAME.search(name)
            and len(value) >= MIN_SECRET_LEN
            and value.lower() not in _NOT_SECRET
        ):
            out.append(value)
    return out


class Redactor:
    """Masks known secret values in every string of every event."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: list[str] = []
        self.hidden = 0
        for v in values:
            self.add(v)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Redactor:
        return cls(secret_env_values(os.environ if env is None else env))

    def add(self, value: str) -> None:
        if len(value) >= MIN_SECRET_LEN and value not in self._values:
            self._values.append(value)
            # Longest first, so a secret that contains another is masked whole.
            self._values.sort(key=len, reverse=True)

    def _mask(self, text: str) -> tuple[str, int]:
        n = 0
        for v in self._values:
            if v in text:
                n += text.count(v)
                text = text.replace(v, "•" * len(v))
        return text, n

    def _scan_value(self, value: Any) -> tuple[Any, int]:
        if isinstance(value, str):
            return self._mask(value)
        if isinstance(value, list):
            total = 0
            out = []
            for item in value:
                v, n = self._scan_value(item)
                out.append(v)
                total += n
            return out, total
        if isinstance(value, dict):
            total = 0
            d = {}
            for k, item in value.items():
                v, n = self._scan_value(item)
                d[k] = v
                total += n
            return d, total
        return value, 0

    def scan(self, items: Iterable[Raw]) -> list[Scanned]:
        out: list[Scanned] = []
        for raw in items:
            data, n = self._scan_value(raw.data)
            out.append(Scanned(raw.t, raw.kind, raw.source, data))
            if n:
                self.hidden += n
                out.append(
                    Scanned(raw.t, "redacted", raw.source, {"count": n, "rules": ["known-value"]})
                )
        return out
