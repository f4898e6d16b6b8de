"""Fan-out: every live event goes to every viewer of its stream, and a slow viewer costs only
itself.

New events for a stream are gathered for at most one frame interval (50 ms, so at most 20
frames a second), serialized once into one websocket text frame, and that same string is
offered to every viewer. Each viewer has a bounded queue of frames; when it is full, the
viewer's queue is dropped and it is cut back to "catch up from the store after seq N", the
same path that serves a viewer who reconnects with the last seq it has. A viewer therefore
never sees a gap or a duplicate, and never grows memory without bound.

Events reach a stream's channel from this process's own appends and, through the bus, from
other processes. A channel's frames are always consecutive: when an announcement skips seqs
(a bus message was lost) or comes without its events (too big to carry), the channel reads
the missing events from the store once, for all its viewers, holding later announcements
back until it has. Once a second the hub also compares its streams' heads with the store, so
even the last message of a stream that then goes quiet is never lost for good.
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

from benchcast.bus import Appended, Bus
from benchcast.store.async_store import AsyncStore

log = logging.getLogger("benchcast.hub")

FRAMES_PER_S = 20.0
FRAME_BURST = 3.0
CATCHUP_PAGE = 500
#: How often heads are compared with the store; a lost bus message costs at most ~2 of these.
RECONCILE_INTERVAL = 1.0
#: Announcements held back while a channel fills a gap; past this they are read from the store.
MAX_HELD = 1000
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
        #: Closed because this process is shutting down: told to reconnect elsewhere.
        self.retired = False

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
        if frame.first != self._queued + 1:
            # It read past the channel while joining: the store has what comes next.
            self._cut_back(overflow=False)
            return
        if (
            len(self.queue) >= MAX_QUEUED_FRAMES
            or self.queued_bytes + len(frame.text) > MAX_QUEUED_BYTES
        ):
            self._cut_back(overflow=True)
            return
        self.queue.append(frame)
        self.queued_bytes += len(frame.text)
        self._queued = frame.last
        self.wake.set()

    def _cut_back(self, overflow: bool) -> None:
        if overflow:
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

    def retire(self) -> None:
        """Stop delivering because this process is going away (the endpoint says goodbye)."""
        self.retired = True
        self.close()

    async def run(self) -> None:
        """Deliver until closed: catch up from the store, then follow the live frames."""
        hub = self.channel.hub
        store = hub.store
        sid = self.channel.stream_id
        while self.mode is not ViewerMode.CLOSED:
            if self.mode is ViewerMode.CATCHUP:
                rows = await store.events_json(sid, self.sent, CATCHUP_PAGE)
                if self.closed:  # closed while the store was read
                    return
                if rows:
                    await self.send(events_frame([r[2] for r in rows]))
                    self.sent = self._queued = rows[-1][0]
                    hub.events_out += len(rows)
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
                    hub.events_out += frame.last - frame.first + 1
                    self.sent = frame.last


@dataclass
class StreamChannel:
    """The live side of one stream on this process: its viewers and its pending batch.

    ``head`` is the last seq put into this channel's frames; frames never skip a seq.
    """

    hub: Hub
    stream_id: str
    head: int = 0
    viewers: set[Viewer] = field(default_factory=set)
    pending: list[str] = field(default_factory=list)
    pending_first: int = 0
    pending_at: float | None = None  # commit time of the oldest pending event, when known
    last_flush: float = 0.0
    tokens: float = 3.0
    flush_handle: asyncio.TimerHandle | None = None
    announced_viewers: int = -1
    filling: asyncio.Task[None] | None = None
    fill_to: int = 0
    held: list[tuple[int, int, Sequence[str] | None, float | None]] = field(default_factory=list)
    polled: int = 0  # the store's head at the previous reconcile

    def deliver(
        self, first: int, last: int, wire: Sequence[str] | None, at: float | None = None
    ) -> None:
        """Take events ``first``..``last`` (their wire JSON, or None: read them from the store)."""
        if last <= self.head:
            return  # already framed: a late or repeated announcement
        if self.filling is not None:
            if len(self.held) < MAX_HELD:
                self.held.append((first, last, wire, at))
            else:
                self.fill_to = max(self.fill_to, last)
            return
        if wire is None or first != self.head + 1:
            self.fill(last)
            return
        self._add(first, last, wire, at)

    def _add(self, first: int, last: int, wire: Sequence[str], at: float | None) -> None:
        if not self.pending:
            self.pending_first = first
            self.pending_at = at
        self.pending.extend(wire)
        self.head = last
        if self.flush_handle is None:
            # A token bucket, not a fixed 50 ms grid: a steady 20 events/s stream goes out as
            # each event arrives, and only bursts are gathered (at most FRAME_BURST frames at
            # once, then FRAMES_PER_S).
            now = time.monotonic()
            self.tokens = min(FRAME_BURST, self.tokens + (now - self.last_flush) * FRAMES_PER_S)
            self.last_flush = now
            if self.tokens >= 1:
                self.flush()
            else:
                delay = (1 - self.tokens) / FRAMES_PER_S
                self.flush_handle = asyncio.get_running_loop().call_later(delay, self.flush)

    def fill(self, upto: int) -> None:
        """Read the events after ``head`` up to ``upto`` from the store into frames, once."""
        self.fill_to = max(self.fill_to, upto)
        if self.filling is None and self.fill_to > self.head:
            self.hub.fills += 1
            self.filling = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        store = self.hub.store
        stuck = False
        try:
            while self.head < self.fill_to:
                rows = await store.events_json(
                    self.stream_id, self.head, CATCHUP_PAGE, self.fill_to
                )
                if not rows or rows[0][0] != self.head + 1:
                    stuck = True  # announced but not (yet) in the store
                    break
                self._add(rows[0][0], rows[-1][0], [r[2] for r in rows], None)
                self.flush()  # one frame per page, so a long fill never builds a huge frame
        except Exception:
            stuck = True
            log.exception("stream %s: filling a gap from the store failed", self.stream_id)
        finally:
            self.filling = None
            held, self.held = self.held, []
            if stuck:
                # Retrying at once could spin on the store; the reconcile looks again soon.
                self.fill_to = self.head
                held = []
            for first, last, wire, at in held:
                self.deliver(first, last, wire, at)

    def flush(self) -> None:
        if self.flush_handle is not None:
            self.flush_handle.cancel()
        self.flush_handle = None
        if not self.pending:
            return
        frame = Frame(self.pending_first, self.head, events_frame(self.pending))
        if self.pending_at is not None and self.hub.observe_lag is not None:
            self.hub.observe_lag(max(0.0, time.time() - self.pending_at))
        self.pending = []
        now = time.monotonic()
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.last_flush) * FRAMES_PER_S) - 1
        self.last_flush = now
        for v in self.viewers:
            v.offer(frame)
        self.hub.frames_out += len(self.viewers)

    def control(self, text: str) -> None:
        frame = Frame(0, 0, text)
        for v in self.viewers:
            v.offer(frame)

    @property
    def idle(self) -> bool:
        return (
            not self.viewers
            and not self.pending
            and self.flush_handle is None
            and self.filling is None
        )


class Hub:
    """All live stream channels of this process, fed by local appends and by the bus."""

    def __init__(
        self,
        store: AsyncStore,
        bus: Bus,
        observe_lag: Callable[[float], None] | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.observe_lag = observe_lag
        self.channels: dict[str, StreamChannel] = {}
        # Viewers on other processes, by node: (when heard, {stream: count}).
        self.remote_viewers: dict[str, tuple[float, dict[str, int]]] = {}
        self.overflows = 0
        self.frames_out = 0
        self.events_out = 0
        self.fills = 0
        self._tasks: list[asyncio.Task[None]] = []

    def channel(self, stream_id: str, head: int) -> StreamChannel:
        """The stream's channel, made (and watched on the bus) at ``head`` if it is new."""
        ch = self.channels.get(stream_id)
        if ch is None:
            ch = self.channels[stream_id] = StreamChannel(self, stream_id, head=head, polled=head)
            self.bus.watch(stream_id)
        return ch

    def on_local(
        self, stream_id: str, first: int, last: int, wire: Sequence[str], at: float
    ) -> None:
        """Events this process appended. Without viewers here there is nobody to tell."""
        ch = self.channels.get(stream_id)
        if ch is not None:
            ch.deliver(first, last, wire, at)

    def on_remote(self, msg: Appended) -> None:
        """Events another process appended (only streams watched here are announced)."""
        ch = self.channels.get(msg.stream)
        if ch is not None:
            ch.deliver(msg.first, msg.last, None if msg.body is None else [msg.body], msg.at)

    def on_remote_viewers(self, node: str, counts: dict[str, int]) -> None:
        self.remote_viewers[node] = (time.monotonic(), counts)

    def viewer_count(self, stream_id: str) -> int:
        """Viewers of the stream on every process (others' counts are up to ~2 s old)."""
        ch = self.channels.get(stream_id)
        n = len(ch.viewers) if ch else 0
        return n + sum(counts.get(stream_id, 0) for _, counts in self.remote_viewers.values())

    async def attach(self, stream_id: str, send: Send, since: int, head: int) -> Viewer:
        ch = self.channel(stream_id, head)
        viewer = Viewer(ch, send, since)
        ch.viewers.add(viewer)
        return viewer

    def detach(self, viewer: Viewer) -> None:
        viewer.close()
        viewer.channel.viewers.discard(viewer)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._announce_viewers()),
            loop.create_task(self._reconcile()),
        ]

    def retire_all(self) -> int:
        """Tell every viewer to reconnect elsewhere (shutdown); return how many there were."""
        n = 0
        for ch in self.channels.values():
            for v in list(ch.viewers):
                v.retire()
                n += 1
        return n

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for ch in self.channels.values():
            if ch.filling is not None:
                ch.filling.cancel()
            for v in list(ch.viewers):
                v.close()

    async def _announce_viewers(self) -> None:
        """Tell each stream's viewers how many are watching, when the number changes; tell
        the other processes how many watch here."""
        while True:
            await asyncio.sleep(2.0)
            stale = time.monotonic() - 10.0
            for node, (heard, _) in list(self.remote_viewers.items()):
                if heard < stale:
                    del self.remote_viewers[node]
            here: dict[str, int] = {}
            for ch in list(self.channels.values()):
                if ch.viewers:
                    here[ch.stream_id] = len(ch.viewers)
                n = self.viewer_count(ch.stream_id)
                if n != ch.announced_viewers:
                    ch.announced_viewers = n
                    ch.control(f'{{"type":"viewers","count":{n}}}')
                if ch.idle:
                    self.channels.pop(ch.stream_id, None)
                    self.bus.unwatch(ch.stream_id)
            self.bus.notice("viewers", {"counts": here})

    async def _reconcile(self) -> None:
        """Catch announcements that never came: a stream whose store head stayed ahead of its
        channel for a whole interval is filled from the store."""
        while True:
            await asyncio.sleep(RECONCILE_INTERVAL)
            try:
                await self.resync(grace=True)
            except Exception:
                log.exception("comparing stream heads with the store failed")

    async def resync(self, grace: bool = False) -> None:
        """Fill every watched stream up to the store's head. With ``grace``, only those that
        were already behind at the previous look (the announcement may still be on its way)."""
        watched = [ch for ch in self.channels.values() if ch.viewers]
        if not watched:
            return
        heads = await self.store.heads([ch.stream_id for ch in watched])
        for ch in watched:
            store_head = heads.get(ch.stream_id, 0)
            if not grace and store_head > ch.head:
                ch.fill(store_head)
            elif grace and ch.polled > ch.head:
                ch.fill(max(store_head, ch.polled))
            ch.polled = store_head

    def stats(self) -> dict[str, Any]:
        return {
            "streams": len(self.channels),
            "viewers": sum(len(c.viewers) for c in self.channels.values()),
            "overflows": self.overflows,
            "frames_out": self.frames_out,
            "events_out": self.events_out,
            "fills": self.fills,
        }
