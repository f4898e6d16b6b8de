"""How times read to people and to feeds, the same everywhere: a stream time as a clock
(``4:05``, ``1:02:03``) and a Unix time as RFC 3339 UTC (``2026-11-26T19:30:00Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def clock(seconds: float) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour on (whole seconds, rounded down)."""
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def rfc3339(ts: float) -> str:
    """A Unix time as RFC 3339 in UTC, to the second."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
