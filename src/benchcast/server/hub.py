"""Fan-out: every live event goes to every viewer of its stream, and a slow viewer costs only
itself.

New events for a stream are gathered for at most one frame interval (50 ms, so at most 20
frames a second), serialized once into one websocket text frame, and that same string is
offered to every viewer. Each viewer has a bounded queue of frames; when it is full, the
viewer's queue is dropped and it is cut back to "catch up from the store after seq N", the
same path that serves a viewer who reconnects with the last seq it has. A viewer therefore
never sees a gap or a duplicate, and never grows memory without bound.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchcast.events import Event
from benchcast.store.async_store import AsyncStore

log = logging.getLogger("benchcast.hub")

FRAME_INTERVAL = 0.05
CATCHUP_PAGE = 500
MAX_QUEUED_FRAMES = 200
MAX_QUEUED_BYTES = 8 * 1024 * 1024

Send = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Frame:
    """One websocket text frame. first/last are the seqs it carries (0, 0 for control)."""

    first: int
    last: int
    text: str


def events_frame(wire: Sequence[str]) -> str:
    return '{"type":"events","events":[' + ",".join(wire) + "]}"


class ViewerMode(enum.Enum):
    CATCHUP = "catchup"  # reading from the store until it reaches the live head
    LIVE = "live"  # taking frames from the hub
    CLOSED = "closed"


_TRANSITIONS = {
    ViewerMode.CATCHUP: {ViewerMode.LIVE, ViewerMode.CLOSED},
    ViewerMode.LIVE: {ViewerMode.CATCHUP, ViewerMode.CLOSED},
    ViewerMode.CLOSED: set(),
}


class Viewer:
    """One viewer connection's delivery state. ``sent`` is the last seq handed to its socket."""

    def __init__(self, channel: StreamChannel, send: Send, since: int) -> None:
        self.channel = channel
        self.send = send
        self.sent = since
        self._queued = since  # last seq in the queue, or sent
        self.mode = ViewerMode.CATCHUP
        self.queue: deque[Frame] = deque()
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.overflows = 0

    def _to(self, mode: ViewerMode) -> None:
        if mode not in _TRANSITIONS[self.mode]:
            raise RuntimeError(f"viewer cannot go from {self.mode.value} to {mode.value}")
        self.mode = mode

    def offer(self, frame: Frame) -> None:
        """Queue a live frame, or fall back to catch-up if it does not follow on or won't fit."""
        if self.mode is not ViewerMode.LIVE:
            return
        if frame.last == 0:
            if len(self.queue) < MAX_QUEUED_FRAMES:
                self.queue.append(frame)
                self.wake.set()
            return
        if frame.last <= self._queued:
            return
        if (
            frame.first != self._queued + 1
            or len(self.queue) >= MAX_QUEUED_FRAMES
            or self.queued_bytes + len(frame.text) > MAX_QUEUED_BYTES
        ):
            self._cut_back()
            return
        self.queue.append(frame)
        self.queued_bytes += len(frame.text)
        self._queued = frame.last
        self.wake.set()

    def _cut_back(self) -> None:
        self.overflows += 1
        self.channel.hub.overflows += 1
        self.queue.clear()
        self.queued_bytes = 0
        self._queued = self.sent
        self._to(ViewerMode.CATCHUP)
        self.wake.set()

    @property
    def closed(self) -> bool:
        return self.mode is ViewerMode.CLOSED

    def close(self) -> None:
        if self.mode is not ViewerMode.CLOSED:
            self._to(ViewerMode.CLOSED)
        self.wake.set()

    async def run(self) -> None:
        """Deliver until closed: catch up from the store, then follow the live frames."""
        store = self.channel.hub.store
        sid = self.channel.stream_id
        while self.mode is not ViewerMode.CLOSED:
            if self.mode is ViewerMode.CATCHUP:
                rows = await store.events_json(sid, self.sent, CATCHUP_PAGE)
                if self.closed:  # closed while the store was read
                    return
                if rows:
                    await self.send(events_frame([r[2] for r in rows]))
                    self.sent = self._queued = rows[-1][0]
                    continue
                if self.channel.head > self.sent:
                    # Published but not yet visible to this reader; look again shortly.
                    await asyncio.sleep(0.005)
                    continue
                self._to(ViewerMode.LIVE)
                continue
            await self.wake.wait()
            self.wake.clear()
            while self.queue and self.mode is ViewerMode.LIVE:
                frame = self.queue.popleft()
                self.queued_bytes -= len(frame.text)
                await self.send(frame.text)
                if frame.last:
                    self.sent = frame.last


@dataclass
class StreamChannel:
    """The live side of one stream on this process: its viewers and its pending batch."""

    hub: Hub
    stream_id: str
    head: int = 0
    viewers: set[Viewer] = field(default_factory=set)
    pending: list[str] = field(default_factory=list)
    pending_first: int = 0
    last_flush: float = 0.0
    flush_handle: asyncio.TimerHandle | None = None
    announced_viewers: int = -1

    def add(self, events: Sequence[Event], wire: Sequence[str]) -> None:
        if not events:
            return
        if not self.pending:
            self.pending_first = events[0].seq
        self.pending.extend(wire)
        self.head = max(self.head, events[-1].seq)
        if self.flush_handle is None:
            delay = self.last_flush + FRAME_INTERVAL - time.monotonic()
            loop = asyncio.get_running_loop()
            if delay <= 0:
                self.flush()
            else:
                self.flush_handle = loop.call_later(delay, self.flush)

    def flush(self) -> None:
        self.flush_handle = None
        if not self.pending:
            return
        frame = Frame(self.pending_first, self.head, events_frame(self.pending))
        self.pending = []
        self.last_flush = time.monotonic()
        for v in self.viewers:
            v.offer(frame)
        self.hub.frames_out += len(self.viewers)

    def control(self, text: str) -> None:
        frame = Frame(0, 0, text)
        for v in self.viewers:
            v.offer(frame)


class Hub:
    """All live stream channels of this process."""

    def __init__(self, store: AsyncStore) -> None:
        self.store = store
        self.channels: dict[str, StreamChannel] = {}
        self.overflows = 0
        self.frames_out = 0
        self._ticker: asyncio.Task[None] | None = None

    def channel(self, stream_id: str) -> StreamChannel:
        ch = self.channels.get(stream_id)
        if ch is None:
            ch = self.channels[stream_id] = StreamChannel(self, stream_id)
        return ch

    def on_events(self, stream_id: str, events: Sequence[Event], wire: Sequence[str]) -> None:
        self.channel(stream_id).add(events, wire)

    def viewer_count(self, stream_id: str) -> int:
        ch = self.channels.get(stream_id)
        return len(ch.viewers) if ch else 0

    async def attach(self, stream_id: str, send: Send, since: int, head: int) -> Viewer:
        ch = self.channel(stream_id)
        ch.head = max(ch.head, head)
        viewer = Viewer(ch, send, since)
        ch.viewers.add(viewer)
        return viewer

    def detach(self, viewer: Viewer) -> None:
        viewer.close()
        viewer.channel.viewers.discard(viewer)

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._announce_viewers())

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        for ch in self.channels.values():
            for v in list(ch.viewers):
                v.close()

    async def _announce_viewers(self) -> None:
        """Tell each stream's viewers how many are watching, when the number changes."""
        while True:
            await asyncio.sleep(2.0)
            for ch in list(self.channels.values()):
                n = len(ch.viewers)
                if n != ch.announced_viewers:
                    ch.announced_viewers = n
                    ch.control(f'{{"type":"viewers","count":{n}}}')
                if n == 0 and not ch.pending and ch.flush_handle is None:
                    self.channels.pop(ch.stream_id, None)

    def stats(self) -> dict[str, Any]:
        return {
            "streams": len(self.channels),
            "viewers": sum(len(c.viewers) for c in self.channels.values()),
            "overflows": self.overflows,
            "frames_out": self.frames_out,
        }
