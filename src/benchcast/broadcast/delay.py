"""Broadcast delay: scanned events wait here, on this machine, before they may be spooled.

Like a broadcaster's delay: with ``--delay 10`` nothing reaches the spool (and so the server)
until it is 10 s old. ``panic()`` drops everything still waiting — those seconds are never
sent — and the session goes off air. Held in memory only; bounded by the intake's rate cap.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from benchcast.broadcast.redact import Scanned


class Delay:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = max(0.0, seconds)
        self.clock = clock
        self._held: deque[tuple[float, Scanned]] = deque()
        self._lock = threading.Lock()
        self.dropped = 0

    def push(self, items: list[Scanned]) -> None:
        now = self.clock()
        with self._lock:
            self._held.extend((now, it) for it in items)

    def due(self, everything: bool = False) -> list[Scanned]:
        """What has waited long enough (or all of it, at the end of a stream)."""
        cutoff = self.clock() - self.seconds
        out: list[Scanned] = []
        with self._lock:
            while self._held and (everything or self._held[0][0] <= cutoff):
                out.append(self._held.popleft()[1])
        return out

    def panic(self) -> int:
        """Drop everything held; return how many events will never be sent."""
        with self._lock:
            n = len(self._held)
            self._held.clear()
        self.dropped += n
        return n

    def __len__(self) -> int:
        return len(self._held)
