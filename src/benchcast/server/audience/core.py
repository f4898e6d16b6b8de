"""The audience service of one server process: its store handles, the key that signs
sessions, short-lived caches of channel settings and sanctions, the rate limiters, and the
one way an audience event enters a stream's log (``Audience.append``).

Caches live two seconds, so a setting or a ban made on another process takes effect here
within that; on this process it takes effect at once (``forget``). Rate limits are counted
per process (behind a load balancer, each process allows its own share).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from starlette.requests import HTTPConnection

from benchcast.events import Draft, Event, validate_payload
from benchcast.server.limits import SlidingWindow
from benchcast.server.rescan import rescan
from benchcast.server.state import ServerState
from benchcast.store.audience import AudienceStore, ChannelSettings, Sanction
from benchcast.store.database import Stream

T = TypeVar("T")

CACHE_SECONDS = 2.0
#: Chat messages per second on one stream past which busy mode holds back heavy senders.
BUSY_RATE = 30

#: Kind → the source its events carry (one "channel inside the stream" per feature).
SOURCES = {
    "chat": "chat",
    "question": "qa",
    "comment": "comments",
    "poll": "polls",
    "mod": "mod",
}


class Refused(Exception):
    """An audience request refused: ``status`` is the HTTP status, ``str()`` says why."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class Limits:
    """Twitch-like limits on what one person, and one address, may send."""

    #: Chat messages per person: 20 in 30 s.
    chat: SlidingWindow = field(default_factory=lambda: SlidingWindow(20, 30.0))
    #: Questions and comments per person: 10 a minute.
    ask: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 60.0))
    #: Votes per person: 30 in 30 s.
    vote: SlidingWindow = field(default_factory=lambda: SlidingWindow(30, 30.0))
    #: Everything one address writes (many guests behind one address share it): 60 in 30 s.
    address: SlidingWindow = field(default_factory=lambda: SlidingWindow(60, 30.0))
    #: Guest sessions one address may start: 20 in 10 minutes.
    guests: SlidingWindow = field(default_factory=lambda: SlidingWindow(20, 600.0))
    #: Failed logins per address, and per account name: 10 a minute.
    logins: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 60.0))
    #: Chat messages a stream takes in a second before its chat counts as busy …
    stream_chat: SlidingWindow = field(default_factory=lambda: SlidingWindow(BUSY_RATE, 1.0))
    #: … and then, each person's recent attempts: 4 in 10 s, or wait (busy mode).
    recent: SlidingWindow = field(default_factory=lambda: SlidingWindow(4, 10.0))
    #: When each person last chatted (slow mode).
    last_chat: dict[str, float] = field(default_factory=dict)

    def busy(self, stream_id: str, who: str) -> None:
        """Busy mode: while a stream's chat takes more than ``BUSY_RATE`` messages a second,
        only people who wrote fewer than 4 times in the last 10 s get through — someone
        chatting at a human pace always does; a flood's senders lock themselves out."""
        now = time.monotonic()
        heavy = self.recent.blocked(who, now)
        self.recent.hit(who, now)
        if self.stream_chat.blocked(stream_id, now) and heavy:
            raise Refused(429, "the chat is very busy: wait a few seconds between messages", 5.0)
        self.stream_chat.hit(stream_id, now)

    def take(self, window: SlidingWindow, key: str, what: str) -> None:
        """Count one ``what`` for ``key``, or refuse with 429 if the window is full."""
        now = time.monotonic()
        if window.blocked(key, now):
            hits = window._hits.get(key)
            wait = window.window - (now - hits[0]) if hits else window.window
            raise Refused(
                429, f"too many {what}: at most {window.limit} in {window.window:g} s", wait
            )
        window.hit(key, now)

    def slow(self, who: str, seconds: int) -> None:
        """Slow mode: one message per ``seconds`` per person."""
        if seconds <= 0:
            return
        now = time.monotonic()
        last = self.last_chat.get(who)
        if last is not None and now - last < seconds:
            wait = seconds - (now - last)
            raise Refused(
                429, f"slow mode: one message every {seconds} s ({wait:.0f} s left)", wait
            )
        if len(self.last_chat) > 100_000:
            self.last_chat.clear()
        self.last_chat[who] = now


@dataclass
class _Cached:
    at: float
    value: Any


class Audience:
    """What the audience routes, the viewer socket and the pages share on one process."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.db = AudienceStore(state.store.sync)
        self.secret = b""
        self.limits = Limits()
        self._cache: dict[tuple[str, int], _Cached] = {}
        self._batchers: dict[str, Batcher] = {}

    async def start(self) -> None:
        self.secret = (await self.read(self.db.secret, "session")).encode()

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.state.store.read(fn, *args, **kwargs)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.state.store.write(fn, *args, **kwargs)

    def ip_key(self, conn: HTTPConnection) -> str:
        """The writer's address as stored: a keyed hash, so the store never holds addresses."""
        addr = conn.client.host if conn.client else "?"
        return "ip:" + hmac.new(self.secret, addr.encode(), hashlib.sha256).hexdigest()[:24]

    # ── caches ───────────────────────────────────────────────────────────────────────────

    async def _cached(self, what: str, channel_id: int, load: Callable[[int], T]) -> T:
        hit = self._cache.get((what, channel_id))
        now = time.monotonic()
        if hit is not None and now - hit.at < CACHE_SECONDS:
            value: T = hit.value
            return value
        value = await self.read(load, channel_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[(what, channel_id)] = _Cached(now, value)
        return value

    async def settings(self, channel_id: int) -> ChannelSettings:
        return await self._cached("settings", channel_id, self.db.settings)

    async def sanctions(self, channel_id: int) -> dict[str, Sanction]:
        return await self._cached("sanctions", channel_id, self.db.sanctions)

    async def staff_names(self, channel_id: int) -> set[str]:
        return await self._cached("staff", channel_id, self.db.staff_names)

    async def channel_keys(self) -> set[str]:
        """The skeletons of every channel's name: a guest may not pass for a channel (its
        streamer writes under the channel's name when using the stream key)."""
        from benchcast.server.audience.text import skeleton

        def load() -> set[str]:
            return {skeleton(c.name) for c in self.db.channels()}

        return await self.read(load)

    def forget(self, channel_id: int) -> None:
        """Drop what is cached about a channel (after this process changed it)."""
        for what in ("settings", "sanctions", "staff"):
            self._cache.pop((what, channel_id), None)

    # ── the log ──────────────────────────────────────────────────────────────────────────

    async def append(
        self,
        stream: Stream,
        kind: str,
        data: dict[str, Any],
        then: Callable[[Connection, Event], T] | None = None,
        check: Callable[[Connection], None] | None = None,
    ) -> tuple[Event, T | None]:
        """Validate, re-scan (defence in depth: the secret rules apply to what viewers write
        too), append one audience event to a live stream and tell every viewer. ``then`` runs
        in the append's transaction (the index of items), ``check`` before it (may refuse).

        Appends that arrive together share one transaction (``Batcher``): under a busy chat,
        one commit carries many messages instead of one each."""
        payload = validate_payload(kind, data)
        source = SOURCES[kind.split(".", 1)[0]]
        draft = Draft(t=0.0, kind=kind, source=source, data=payload)
        (draft,) = rescan(draft)
        batcher = self._batchers.get(stream.id)
        if batcher is None:
            batcher = self._batchers[stream.id] = Batcher(self, stream.id)
        result: tuple[Event, T | None] = await batcher.add(draft, then, check)
        return result


Job = tuple[Draft, Callable[[Connection, Event], Any] | None, Callable[[Connection], None] | None]


class Batcher:
    """One stream's audience appends: queued, then written a batch at a time by one task, in
    one transaction per batch (``Store.append_each``), and published together. The queue is
    bounded; past it, writers are told the chat is busy."""

    MAX_QUEUED = 2000
    MAX_BATCH = 500

    def __init__(self, aud: Audience, stream_id: str) -> None:
        self.aud = aud
        self.stream_id = stream_id
        self.queue: list[tuple[Job, asyncio.Future[Any]]] = []
        self.task: asyncio.Task[None] | None = None

    def add(self, draft: Draft, then: Any, check: Any) -> asyncio.Future[Any]:
        if len(self.queue) >= self.MAX_QUEUED:
            raise Refused(429, "the chat is too busy right now; try again in a moment", 2.0)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.queue.append(((draft, then, check), future))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())
        return future

    async def _run(self) -> None:
        state = self.aud.state
        try:
            while self.queue:
                batch, self.queue = self.queue[: self.MAX_BATCH], self.queue[self.MAX_BATCH :]
                try:
                    stream = await state.store.stream(self.stream_id)
                    if stream is None or not stream.live:
                        raise Refused(409, "the stream has ended")
                    t = max(0.0, time.time() - stream.started_at)
                    jobs = [
                        (Draft(t=t, kind=d.kind, source=d.source, data=d.data), then, check)
                        for (d, then, check), _ in batch
                    ]
                    results = await state.store.write(
                        state.store.sync.append_each, self.stream_id, jobs
                    )
                except Exception as err:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                events = [r[0] for r in results if not isinstance(r, Exception)]
                state.publish(self.stream_id, events, fold=False)
                for (_, future), r in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(r, Exception):
                        future.set_exception(r)
                    else:
                        future.set_result(r)
        finally:
            self.task = None
            if not self.queue:
                self.aud._batchers.pop(self.stream_id, None)
