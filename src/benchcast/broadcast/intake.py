"""The intake: where sources drop what happened, without ever waiting.

Sources (the pty loop above all) call ``put`` from their own threads; it takes a lock for a
few microseconds and returns. Consecutive output of one terminal is coalesced into one event
of up to ``CHUNK_CHARS`` characters, which is what keeps a `cat` of a big file or `yes` from
becoming millions of events. Two bounds hold, and both say what happens when crossed:

* the per-stream rate cap (``RATE_BYTES_PER_S`` sustained, ``BURST_BYTES`` burst): terminal
  output beyond it is dropped, counted, and reported to viewers as a ``term.dropped`` event;
* the buffer cap (``MAX_PENDING_BYTES``): if the writer behind the intake stalls, output is
  dropped and reported the same way rather than held without bound.

Everything else (opens, resizes, stream events) is small and always kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHUNK_CHARS = 64 * 1024
RATE_BYTES_PER_S = 2 * 1024 * 1024
BURST_BYTES = 16 * 1024 * 1024
MAX_PENDING_BYTES = 32 * 1024 * 1024


@dataclass
class Raw:
    """Something a source saw, not yet scanned by the redactor."""

    t: float
    kind: str
    source: str
    data: dict[str, Any]


class Intake:
    def __init__(
        self,
        *,
        rate: float = RATE_BYTES_PER_S,
        burst: float = BURST_BYTES,
        max_pending: int = MAX_PENDING_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._items: list[Raw] = []
        self._pending_bytes = 0
        self._cond = threading.Condition()
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._clock = clock
        self._refilled = clock()
        self._max_pending = max_pending
        self._dropped: dict[str, tuple[int, float]] = {}
        self._closed = False
        self.dropped_total = 0

    def put(self, t: float, kind: str, source: str, data: dict[str, Any]) -> None:
        with self._cond:
            self._items.append(Raw(t, kind, source, data))
            self._cond.notify()

    def put_output(self, t: float, source: str, text: str) -> None:
        """Terminal output: coalesced, rate-capped, bounded. Never blocks."""
        size = len(text)
        with self._cond:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now
            if size > self._tokens or self._pending_bytes + size > self._max_pending:
                n, _ = self._dropped.get(source, (0, t))
                self._dropped[source] = (n + len(text.encode()), t)
                self.dropped_total += size
                return
            self._tokens -= size
            if source in self._dropped:
                # Say what was lost before what follows it, so the viewer sees where.
                self._report_dropped(source)
            last = self._items[-1] if self._items else None
            if (
                last is not None
                and last.kind == "term.output"
                and last.source == source
                and len(last.data["text"]) + size <= CHUNK_CHARS
            ):
                last.data["text"] += text
            else:
                for i in range(0, size, CHUNK_CHARS):
                    self._items.append(
                        Raw(t, "term.output", source, {"text": text[i : i + CHUNK_CHARS]})
                    )
            self._pending_bytes += size
            self._cond.notify()

    def _report_dropped(self, source: str) -> None:
        n, t = self._dropped.pop(source)
        self._items.append(
            Raw(
                t,
                "term.dropped",
                source,
                {
                    "bytes": n,
                    "reason": "output above the stream's rate cap "
                    f"({RATE_BYTES_PER_S // 1024 // 1024} MB/s, {BURST_BYTES // 1024 // 1024} MB "
                    "burst) was not sent",
                },
            )
        )

    def take(self, timeout: float | None = None) -> list[Raw]:
        """Everything gathered so far (waiting up to ``timeout`` for something)."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            for source in list(self._dropped):
                self._report_dropped(source)
            items, self._items = self._items, []
            self._pending_bytes = 0
            return items

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
