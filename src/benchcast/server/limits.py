"""Small in-memory rate limiters (per process; a restart forgets them, which is fine for these)."""

from __future__ import annotations

import time
from collections import deque


class SlidingWindow:
    """Allows at most ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def blocked(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if not hits:
            return False
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return len(hits) >= self.limit

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._hits) >= self.max_keys and key not in self._hits:
            # Forget the oldest keys rather than grow without bound under a flood.
            for old in list(self._hits)[: self.max_keys // 10]:
                del self._hits[old]
        self._hits.setdefault(key, deque()).append(now)
