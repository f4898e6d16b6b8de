"""Fan-out: every live event goes to every viewer of its stream, and a slow viewer costs only
itself.

New events for a stream are gathered for at most one frame interval (50 ms, so at most 20
frames a second), serialized once into one websocket text frame — the frame's bytes, header
included — and the stream's channel writes those same bytes to every viewer's socket in
turn, ``PASS_SLICE`` viewers per turn of the event loop: no task, queue or wake-up per
viewer, and nothing else on the loop waits for a whole pass. Events that arrive while a frame
is still being written wait for it and then go out together, so a stream with more viewers
than a frame interval can serve gets fewer, bigger frames instead of a backlog. A viewer whose
socket still holds more than ``MAX_BUFFERED_BYTES`` unsent bytes (the kernel took nothing for
a while) is cut back to "catch up from the store after seq N", the same path that serves a
viewer who reconnects with the last seq it has; it is written live again once it has caught
up. A viewer therefore never sees a gap or a duplicate, and never holds more than about
``MAX_BUFFERED_BYTES`` plus one frame of memory.

Where the server gives no access to the socket (``wsraw.RawSocket``: uvicorn with another
protocol class, another ASGI server), each viewer instead has a bounded queue of frames and a
task that sends them through ASGI; when the queue is full it is dropped and the viewer cut
back the same way.

Events reach a stream's channel from this process's own appends and, through the bus, from
other processes. A channel's frames are always consecutive: when an announcement skips seqs
(a bus message was lost) or comes without its events (too big to carry), the channel reads
the missing events from the store once, for all its viewers, holding later announcements
back until it has. Once a second the hub also compares its streams' heads with the store, so
even the last message of a stream that then goes quiet is never lost for good.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import enum
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchcast.bus import Appended, Bus
from benchcast.server.wsraw import RawSocket, text_frame
from benchcast.store.async_store import AsyncStore

log = logging.getLogger("benchcast.hub")

FRAMES_PER_S = 20.0
FRAME_BURST = 3.0
CATCHUP_PAGE = 500
#: How often heads are compared with the store; a lost bus message costs at most ~2 of these.
RECONCILE_INTERVAL = 1.0
#: Announcements held back while a channel fills a gap; past this they are read from the store.
MAX_HELD = 1000
#: A viewer whose socket holds more unsent bytes than this is cut back to catch-up. A frame
#: is always written to a socket whose buffer is empty, however big.
MAX_BUFFERED_BYTES = 1024 * 1024
#: Framed events a channel keeps for viewers who join or resume (bounded both ways).
RECENT_EVENTS = 2000
RECENT_BYTES = 2 * 1024 * 1024
#: Viewers a frame is written to per turn of the event loop (a slice takes ~1-2 ms).
PASS_SLICE = 256
#: How long a stream's keyframe, read once, serves every viewer who joins.
KEYFRAME_CACHE_SECONDS = 5.0
#: The kind that hides earlier events (a moderator's delete): see ``StreamChannel._hidden``.
_HIDES = '"kind":"chat.delete"'
#: Queue bounds of a viewer sent to through ASGI (no ``RawSocket``).
MAX_QUEUED_FRAMES = 200
MAX_QUEUED_BYTES = 8 * 1024 * 1024

Send = Callable[[str], Awaitable[None]]


class Frame:
    """One websocket text frame. first/last are the seqs it carries (0, 0 for control).

    ``data`` is the whole frame on the wire, serialized on first use and then shared by
    every viewer it is written to.
    """

    __slots__ = ("_data", "first", "last", "text")

    def __init__(self, first: int, last: int, text: str) -> None:
        self.first = first
        self.last = last
        self.text = text
        self._data: bytes | None = None

    @property
    def data(self) -> bytes:
        d = self._data
        if d is None:
            d = self._data = text_frame(self.text.encode())
        return d


def _first(chunk: tuple[int, int, str]) -> int:
    return chunk[0]


def events_frame(wire: Sequence[str]) -> str:
    return '{"type":"events","events":[' + ",".join(wire) + "]}"


class ViewerMode(enum.Enum):
    CATCHUP = "catchup"  # reading from the store until it reaches the live head
    LIVE = "live"  # written to by the channel as frames are made
    CLOSED = "closed"


_TRANSITIONS = {
    ViewerMode.CATCHUP: {ViewerMode.LIVE, ViewerMode.CLOSED},
    ViewerMode.LIVE: {ViewerMode.CATCHUP, ViewerMode.CLOSED},
    ViewerMode.CLOSED: set(),
}

_LIVE = ViewerMode.LIVE


class Viewer:
    """One viewer connection's delivery state. ``sent`` is the last seq written to its socket
    (or handed to ``send``).

    With a ``raw`` socket, a task runs only while the viewer catches up from the store; live
    frames are written by the channel (``offer``). Without one, a task runs for the whole
    connection and sends the viewer's queue. ``ended`` is done once delivery has stopped:
    closed, or the socket failed while sending.
    """

    def __init__(
        self, channel: StreamChannel, send: Send, since: int, raw: RawSocket | None = None
    ) -> None:
        self.channel = channel
        self.send = send
        self.raw = raw
        self.sent = since
        self._queued = since  # last seq in the queue, or sent
        self.mode = ViewerMode.CATCHUP
        self.queue: deque[Frame] = deque()
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.overflows = 0
        #: Closed because this process is shutting down: told to reconnect elsewhere.
        self.retired = False
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None

    def _to(self, mode: ViewerMode) -> None:
        if mode not in _TRANSITIONS[self.mode]:
            raise RuntimeError(f"viewer cannot go from {self.mode.value} to {mode.value}")
        self.mode = mode

    def start(self) -> None:
        """Begin delivery: catch up from ``sent`` (from the channel's recent events when they
        reach back that far, else from the store), then live."""
        if not self.channel.serve_recent(self):
            self._spawn()

    def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._catch_up() if self.raw is not None else self.run())

    def offer(self, frame: Frame) -> int:
        """Write (or queue) a live frame, or fall back to catch-up if it does not follow on or
        the viewer is too far behind. Returns how many events it wrote."""
        if self.mode is not _LIVE:
            return 0
        raw = self.raw
        if raw is None:
            self._enqueue(frame)
            return 0
        if not raw.open:
            return 0  # the peer left or is being closed; the endpoint detaches it
        if frame.last == 0:
            if raw.transport.get_write_buffer_size() < MAX_BUFFERED_BYTES:
                raw.transport.write(frame.data)
            return 0
        if frame.last <= self.sent:
            return 0
        if frame.first != self.sent + 1:
            # It read past the channel while joining: the store has what comes next.
            self._cut_back(overflow=False)
            return 0
        data = frame.data
        buffered = raw.transport.get_write_buffer_size()
        if buffered and buffered + len(data) > MAX_BUFFERED_BYTES:
            self._cut_back(overflow=True)
            return 0
        raw.transport.write(data)
        self.sent = frame.last
        return frame.last - frame.first + 1

    def _enqueue(self, frame: Frame) -> None:
        if frame.last == 0:
            if len(self.queue) < MAX_QUEUED_FRAMES:
                self.queue.append(frame)
                self.wake.set()
            return
        if frame.last <= self._queued:
            return
        if frame.first != self._queued + 1:
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
        if self.raw is not None:
            # The previous catch-up task returned when it went live (nothing runs between).
            self._spawn()
        else:
            self.wake.set()

    @property
    def closed(self) -> bool:
        return self.mode is ViewerMode.CLOSED

    def close(self) -> None:
        if self.mode is not ViewerMode.CLOSED:
            self._to(ViewerMode.CLOSED)
        self.wake.set()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if not self.ended.done():
            self.ended.set_result(None)

    def retire(self) -> None:
        """Stop delivering because this process is going away (the endpoint says goodbye)."""
        self.retired = True
        self.close()

    async def stopped(self) -> None:
        """Wait until its task (if any) has finished; after ``close`` it writes nothing more."""
        task = self._task
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _failed(self) -> None:
        # The socket failed while sending: stop here; the endpoint sees ``ended`` and leaves.
        if self.mode is not ViewerMode.CLOSED:
            self._to(ViewerMode.CLOSED)
        if not self.ended.done():
            self.ended.set_result(None)

    async def _read_page(self) -> bool:
        """Send the next page from the store after ``sent``; False once it reached the live
        head (the caller then goes live)."""
        hub = self.channel.hub
        rows = await hub.store.events_json(self.channel.stream_id, self.sent, CATCHUP_PAGE)
        if self.mode is not ViewerMode.CATCHUP:  # closed while the store was read
            return True
        if rows:
            # Through ASGI: it waits while the socket's buffer is over its high-water mark.
            await self.send(events_frame([r[2] for r in rows]))
            self.sent = self._queued = rows[-1][0]
            hub.events_out += len(rows)
            return True
        if self.channel.head > self.sent:
            # Published but not yet visible to this reader; look again shortly.
            await asyncio.sleep(0.005)
            return True
        return False

    async def _catch_up(self) -> None:
        """(With a raw socket.) Catch up from the store, then leave live frames to the channel."""
        try:
            while self.mode is ViewerMode.CATCHUP:
                if not await self._read_page():
                    self._to(ViewerMode.LIVE)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._failed()

    async def run(self) -> None:
        """(Without a raw socket.) Deliver until closed: catch up from the store, then send
        the live frames queued by the channel."""
        hub = self.channel.hub
        try:
            while self.mode is not ViewerMode.CLOSED:
                if self.mode is ViewerMode.CATCHUP:
                    if not await self._read_page() and self.mode is ViewerMode.CATCHUP:
                        self._to(ViewerMode.LIVE)
                    continue
                await self.wake.wait()
                self.wake.clear()
                while self.queue and self.mode is _LIVE:
                    frame = self.queue.popleft()
                    self.queued_bytes -= len(frame.text)
                    await self.send(frame.text)
                    if frame.last:
                        hub.events_out += frame.last - frame.first + 1
                        self.sent = frame.last
        except asyncio.CancelledError:
            raise
        except Exception:
            self._failed()


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
    #: The last seq in a frame already written (``head`` less what is pending).
    framed: int = 0
    #: The latest framed events as (first, last, wire JSON) chunks, oldest first, from
    #: ``recent[recent_start]`` on: a viewer that joins or resumes within them is served from
    #: memory, not the store.
    recent: list[tuple[int, int, str]] = field(default_factory=list)
    recent_start: int = 0
    recent_bytes: int = 0
    unframed: list[tuple[int, int, str]] = field(default_factory=list)
    #: The backlog frame last served from ``recent``: (since, up to, frame).
    backlog: tuple[int, int, Frame] | None = None
    #: The newest keyframe as its message: (read at, (seq, text) or None when the stream has
    #: none yet), and its read in progress.
    keyframe: tuple[float, tuple[int, str] | None] | None = None
    keyframe_read: asyncio.Task[tuple[int, str] | None] | None = None
    #: Bumped when something was hidden: a keyframe read before then is not kept.
    hidden_gen: int = 0
    #: Frames being written, oldest first, each with the viewers it goes to; the oldest has
    #: reached ``viewers[:pass_at]``. ``pass_handle``: the next slice, when one is due.
    passes: deque[tuple[Frame, list[Viewer]]] = field(default_factory=deque)
    pass_at: int = 0
    pass_handle: asyncio.Handle | None = None

    def __post_init__(self) -> None:
        self.framed = self.head

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
        if len(wire) == last - first + 1:
            # One chunk per event, so any seq a viewer has can be resumed from here.
            seqs = range(first, last + 1)
            self.unframed.extend(zip(seqs, seqs, wire, strict=True))
        else:
            self.unframed.append((first, last, ",".join(wire)))
        if any(_HIDES in w for w in wire):
            self._hidden()
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
                self.flush(at_once=True)  # a frame per page: a long fill never builds a huge one
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

    def flush(self, at_once: bool = False) -> None:
        """Frame what is pending and write it; unless ``at_once``, wait while an earlier
        frame is still being written: the events that come meanwhile go out together when it
        is done, so a stream with more viewers than one frame interval can serve gets bigger
        frames, not a growing queue of them."""
        if self.flush_handle is not None:
            self.flush_handle.cancel()
        self.flush_handle = None
        if not self.pending or (self.passes and not at_once):
            return
        frame = Frame(self.pending_first, self.head, events_frame(self.pending))
        if self.pending_at is not None and self.hub.observe_lag is not None:
            self.hub.observe_lag(max(0.0, time.time() - self.pending_at))
        self.pending = []
        self._remember()
        self.framed = self.head
        now = time.monotonic()
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.last_flush) * FRAMES_PER_S) - 1
        self.last_flush = now
        self._write(frame)

    def _write(self, frame: Frame) -> None:
        """Hand a frame to every viewer of the stream, in turn, after the frames before it."""
        self.passes.append((frame, list(self.viewers)))
        if self.pass_handle is None:
            self._pump()

    def _pump(self) -> None:
        """Write the oldest frames to the next ``PASS_SLICE`` viewers; what is left goes on
        at the loop's next turn, so a pass over thousands of viewers never holds up the
        publisher's acks, the store's replies or a joining viewer for more than a slice."""
        self.pass_handle = None
        budget = PASS_SLICE
        hub = self.hub
        while self.passes and budget > 0:
            frame, viewers = self.passes[0]
            start = self.pass_at
            end = min(len(viewers), start + budget)
            written = 0
            for i in range(start, end):
                v = viewers[i]
                if v.mode is _LIVE:
                    written += v.offer(frame)
            hub.events_out += written
            if frame.last:
                hub.frames_out += end - start
            budget -= end - start
            if end == len(viewers):
                self.passes.popleft()
                self.pass_at = 0
            else:
                self.pass_at = end
        if self.passes:
            self.pass_handle = asyncio.get_running_loop().call_soon(self._pump)
        elif self.pending and self.flush_handle is None:
            self.flush()

    def _remember(self) -> None:
        """Move the events just framed into ``recent``, dropping the oldest past its bounds."""
        recent = self.recent
        for chunk in self.unframed:
            recent.append(chunk)
            self.recent_bytes += len(chunk[2])
        self.unframed = []
        start = self.recent_start
        while len(recent) - start > RECENT_EVENTS or (
            self.recent_bytes > RECENT_BYTES and len(recent) - start > 1
        ):
            self.recent_bytes -= len(recent[start][2])
            start += 1
        if start > 1024 and start * 2 > len(recent):
            del recent[:start]
            start = 0
        self.recent_start = start

    def _hidden(self) -> None:
        """Something was hidden (``chat.delete``): what was read or framed before is no longer
        what a newcomer may be shown, so forget the cached keyframe and the recent events."""
        self.hidden_gen += 1
        self.keyframe = None
        self.recent.clear()
        self.recent_start = 0
        self.recent_bytes = 0
        self.unframed = []
        self.backlog = None

    def serve_recent(self, viewer: Viewer) -> bool:
        """Bring a viewer that has everything up to ``viewer.sent`` to ``framed`` from memory
        and make it live; False (nothing done) when ``recent`` does not reach back that far."""
        since, upto = viewer.sent, self.framed
        raw = viewer.raw
        if raw is None or since > upto or not raw.open:
            return False
        if since < upto:
            frame = self._backlog(since, upto)
            if frame is None:
                return False
            raw.write(frame.data)
            self.hub.events_out += upto - since
            viewer.sent = upto
        viewer._to(ViewerMode.LIVE)
        return True

    def _backlog(self, since: int, upto: int) -> Frame | None:
        cached = self.backlog
        if cached is not None and cached[0] == since and cached[1] == upto:
            return cached[2]
        recent, start = self.recent, self.recent_start
        i = bisect.bisect_left(recent, since + 1, lo=start, key=_first)
        if i >= len(recent) or recent[i][0] != since + 1 or recent[-1][1] != upto:
            return None
        frame = Frame(since + 1, upto, events_frame([c[2] for c in recent[i:]]))
        self.backlog = (since, upto, frame)
        return frame

    async def keyframe_message(self) -> tuple[int, str] | None:
        """The stream's newest keyframe as a ``keyframe`` message (seq, text), read from the
        store at most once every ``KEYFRAME_CACHE_SECONDS`` for all the viewers who join."""
        cached = self.keyframe
        if cached is not None and time.monotonic() - cached[0] < KEYFRAME_CACHE_SECONDS:
            return cached[1]
        task = self.keyframe_read
        if task is None:
            task = self.keyframe_read = asyncio.get_running_loop().create_task(
                self._read_keyframe()
            )
        # Shielded: one joiner leaving does not cancel the read the others wait for.
        return await asyncio.shield(task)

    async def _read_keyframe(self) -> tuple[int, str] | None:
        gen, at = self.hidden_gen, time.monotonic()
        try:
            kf = await self.hub.store.keyframe(self.stream_id)
        finally:
            self.keyframe_read = None
        message = None
        if kf is not None:
            text = json.dumps(
                {"type": "keyframe", "seq": kf.seq, "t": kf.t, "state": kf.state},
                separators=(",", ":"),
            )
            message = (kf.seq, text)
            await self._backfill(kf.seq)
        if gen == self.hidden_gen:
            self.keyframe = (at, message)  # none yet is worth remembering too
        return message

    def _before_recent(self) -> int:
        """The seq just before the oldest event in ``recent`` (``framed`` when it is empty)."""
        if len(self.recent) > self.recent_start:
            return self.recent[self.recent_start][0] - 1
        return self.framed

    async def _backfill(self, since: int) -> None:
        """Extend ``recent`` back to the events after ``since`` (a keyframe's seq), read from
        the store once, so that viewers joining at that keyframe are served from memory."""
        upto = self._before_recent()
        if upto <= since or upto - since > RECENT_EVENTS // 2:
            return
        gen = self.hidden_gen
        rows = await self.hub.store.events_json(self.stream_id, since, upto - since, upto)
        # Only when nothing was hidden or trimmed meanwhile, and the rows meet ``recent``.
        if (
            gen != self.hidden_gen
            or self._before_recent() != upto
            or len(rows) != upto - since
            or rows[0][0] != since + 1
            or rows[-1][0] != upto
        ):
            return
        chunks = [(seq, seq, text) for seq, _t, text in rows]
        self.recent[: self.recent_start] = chunks
        self.recent_start = 0
        self.recent_bytes += sum(len(c[2]) for c in chunks)
        self.backlog = None

    def control(self, text: str) -> None:
        """A message for every live viewer, in its place among the frames being written."""
        self._write(Frame(0, 0, text))

    @property
    def idle(self) -> bool:
        return (
            not self.viewers
            and not self.pending
            and not self.passes
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

    async def keyframe_message(self, stream_id: str, head: int) -> tuple[int, str] | None:
        """The stream's newest keyframe as (seq, ``keyframe`` message), shared by joiners."""
        return await self.channel(stream_id, head).keyframe_message()

    async def attach(
        self, stream_id: str, send: Send, since: int, head: int, raw: RawSocket | None = None
    ) -> Viewer:
        """Add a viewer that has everything up to ``since`` and start its delivery. With
        ``raw``, live frames are written straight to that socket."""
        ch = self.channel(stream_id, head)
        viewer = Viewer(ch, send, since, raw)
        ch.viewers.add(viewer)
        viewer.start()
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
