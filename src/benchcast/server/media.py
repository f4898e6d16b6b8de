"""The media track: the streamer's voice (and camera or screen) from the studio page to the
store and, live, to every viewer; and the stored track for replay and download.

    /ws/streams/{id}/media/publish?csrf=TOKEN   the studio sends (the channel's streamer's
                                                session, or Authorization: Bearer KEY)
    /ws/streams/{id}/media                      a viewer receives (who may watch the stream)
    GET /api/streams/{id}/media                 the tracks and their recordings (JSON)
    GET /api/streams/{id}/media/{track}/{epoch}/init          a recording's init segment
    GET /api/streams/{id}/media/{track}/{epoch}/data?t=T|after=IDX[&until=T2]   its pieces
    GET /api/streams/{id}/media/track.webm      the whole audio track as one WebM file

The wire protocol is in docs/protocol.md ("Media"). In short: the studio says ``start`` for
each recording (a new *epoch*, beginning at the stream time the server receives it), then
sends the MediaRecorder's slices as binary frames whose first byte names the track; the
server cuts them at cluster starts (webm.py), stores the pieces and fans them out. While the
stream is paused (an ``air`` event), nothing is taken: slices are refused and the studio is
told to stop recording.

A publisher with a broadcast delay tells the server two things out of band (ingest.py): its
delay, in its hello (the studio holds each slice that long before sending it, so the voice
leaves the streamer's machine no earlier than the text it goes with), and a *hold* the moment
the streamer pauses or panics. A hold stops every studio of the stream at once, on every
process (bus topic ``media.hold``, and the store for a studio that connects later), and
lasts until an ``air`` event stamped at or after it is committed: the pause itself, which
the delay brings later, or anything after it.

Fan-out is bounded: each viewer has a queue of at most ``QUEUE_BYTES``; a viewer that falls
that far behind loses what is queued and resumes at the next cluster start (with the init
segment again), so a slow connection costs that viewer a skip, never anyone else a delay.
Across server processes a stored piece is announced on the bus (topic ``media``) and the
other processes read it from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from benchcast.server.audience.core import Refused
from benchcast.server.audience.sessions import check_csrf, identify
from benchcast.server.audience.socket import seat
from benchcast.server.audience.visibility import audience
from benchcast.server.state import ServerState
from benchcast.store import media as mstore
from benchcast.store.database import Stream
from benchcast.webm import Piece, Splitter, WebmError, block_times, shift_cluster, with_duration

TRACK_CODES = {0: "audio", 1: "video"}
CODES = {v: k for k, v in TRACK_CODES.items()}
#: Largest binary frame a studio may send (one MediaRecorder slice; ≈250 ms).
MAX_FRAME = 1024 * 1024
#: Bytes a viewer may have queued before it is cut back to the next cluster.
QUEUE_BYTES = 1024 * 1024
#: Content types a studio may record in (the codec list after ";" is free).
MIMES = {"audio": ("audio/webm",), "video": ("video/webm",)}
BUS_TOPIC = "media"
HOLD_TOPIC = "media.hold"
#: Seconds between reads of a stream's air state from the store (see Relay.air_of).
AIR_RECHECK = 2.0
#: Seconds a held ``start`` may say it is late beyond the publisher's delay (slices, reads).
START_SLACK = 2.0
CLOSE_PROTOCOL = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_REFUSED = 4403


def _frame(track: str, data: bytes) -> bytes:
    return bytes([CODES[track]]) + data


def _epoch_msg(track: str, epoch: int, t0: float, mime: str) -> str:
    return json.dumps(
        {"type": "epoch", "track": track, "epoch": epoch, "t0": t0, "mime": mime},
        separators=(",", ":"),
    )


@dataclass(eq=False)
class Viewer:
    """One viewer's media connection: a bounded queue of frames to send."""

    ws: WebSocket
    queue: list[str | bytes] = field(default_factory=list)
    queued: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Per track: the (epoch, t0, mime, init) to send before the next piece, if any.
    pending_init: dict[str, tuple[int, float, str, bytes]] = field(default_factory=dict)
    #: Tracks on which to wait for the next cluster start (joined mid-cluster, or cut back).
    need_cluster: set[str] = field(default_factory=set)
    last_idx: dict[str, int] = field(default_factory=dict)
    current: dict[str, tuple[int, float, str, bytes]] = field(default_factory=dict)
    resyncs: int = 0
    #: Live pieces that came while the join's backlog was being read (offered after it).
    early: list[tuple[str, mstore.MediaPiece, float]] = field(default_factory=list)
    joined: bool = False

    def begin(self, track: str, init: mstore.MediaPiece, t0: float) -> None:
        """Join a recording: its init segment goes out before its next cluster start."""
        self.last_idx[track] = init.idx
        self.current[track] = self.pending_init[track] = (init.epoch, t0, init.mime, init.data)
        self.need_cluster.add(track)

    def offer_live(self, track: str, piece: mstore.MediaPiece, t0: float) -> None:
        if self.joined:
            self.offer(track, piece, t0)
        elif len(self.early) < 1000:
            self.early.append((track, piece, t0))

    def joined_now(self) -> None:
        self.joined = True
        for track, piece, t0 in self.early:
            self.offer(track, piece, t0)
        self.early.clear()

    def put(self, item: str | bytes) -> bool:
        size = len(item)
        if self.queued + size > QUEUE_BYTES:
            return False
        self.queue.append(item)
        self.queued += size
        self.wake.set()
        return True

    def offer(self, track: str, piece: mstore.MediaPiece, t0: float) -> None:
        """Queue a piece in order, starting a new recording with its init segment and
        skipping to the next cluster when the viewer has fallen behind."""
        if piece.idx <= self.last_idx.get(track, 0):
            return  # already sent (the join's backlog and the live feed overlap)
        self.last_idx[track] = piece.idx
        if piece.kind == "init":
            self.current[track] = (piece.epoch, t0, piece.mime, piece.data)
            self.pending_init[track] = self.current[track]
            self.need_cluster.add(track)
            return
        if track not in self.current:
            return  # no init segment known: nothing a player could decode yet
        if track in self.need_cluster:
            if piece.kind != "cluster":
                return
            self.need_cluster.discard(track)
        ok = True
        if track in self.pending_init:
            epoch, start, mime, data = self.pending_init.pop(track)
            ok = self.put(_epoch_msg(track, epoch, start, mime)) and self.put(_frame(track, data))
        ok = ok and self.put(_frame(track, piece.data))
        if not ok:
            # Too far behind: drop what is queued; carry on at the next cluster, re-sending
            # each track's init segment so the player can start over there.
            self.queue.clear()
            self.queued = 0
            self.resyncs += 1
            for tr, cur in self.current.items():
                self.pending_init[tr] = cur
                self.need_cluster.add(tr)
            self.put('{"type":"resync"}')

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                item = self.queue.pop(0)
                self.queued -= len(item)
                if isinstance(item, bytes):
                    await self.ws.send_bytes(item)
                else:
                    await self.ws.send_text(item)


@dataclass
class Relay:
    """This process's media fan-out: viewers by stream, and the air state of streams that
    have a studio or viewers connected here."""

    state: ServerState
    viewers: dict[str, set[Viewer]] = field(default_factory=dict)
    studios: dict[str, set[WebSocket]] = field(default_factory=dict)
    air: dict[str, str] = field(default_factory=dict)
    #: When each stream's air state was last read from the store (monotonic seconds).
    air_read: dict[str, float] = field(default_factory=dict)
    #: Counts air events told (so a slower store read never overwrites a newer one).
    air_told: int = 0
    #: Pieces from other processes: the newest idx read per (stream, track), and the lock
    #: that keeps one read at a time per stream.
    fetched: dict[tuple[str, str], int] = field(default_factory=dict)
    fetching: dict[str, asyncio.Lock] = field(default_factory=dict)
    #: Per stream and track: the t0 of each epoch seen (for pieces arriving from the bus).
    t0s: dict[tuple[str, str, int], float] = field(default_factory=dict)
    #: Streams on hold here: the stream time of the pause or panic not yet committed. Kept
    #: while nobody is connected too (it is a float per stream, and the air event ends it).
    holds: dict[str, float] = field(default_factory=dict)
    #: The publisher's broadcast delay per stream, as last read from the store.
    delays: dict[str, float] = field(default_factory=dict)

    def on_air(self, stream_id: str, air: str, t: float = float("inf")) -> None:
        held = self.holds.get(stream_id)
        if held is not None and t >= held:
            del self.holds[stream_id]  # the log has caught up with the hold
            held = None
        if not self.studios.get(stream_id) and not self.viewers.get(stream_id):
            return  # nobody here to tell; air_of reads the store when someone comes
        self.air[stream_id] = air
        self.air_told += 1
        msg = json.dumps({"type": "air", "state": air}, separators=(",", ":"))
        # A studio on hold stays stopped through an older "on" (one from before the pause
        # that the delay is only now bringing).
        if held is None or air != "on":
            for ws in list(self.studios.get(stream_id, ())):
                self.state.spawn(_send_quietly(ws, msg))
        for v in list(self.viewers.get(stream_id, ())):
            v.put(msg)

    def hold(self, stream_id: str, t: float) -> None:
        """The publisher paused or panicked at stream time ``t`` (its ``hold`` message): stop
        this stream's studios here now, tell the other processes, and record it."""
        self.on_hold({"stream": stream_id, "t": t})
        self.state.bus.notice(HOLD_TOPIC, {"stream": stream_id, "t": t})
        store = self.state.store
        self.state.spawn(store.write(mstore.set_hold, store.sync, stream_id, t))

    def on_hold(self, data: dict[str, Any]) -> None:
        """A hold, from this process's publisher or from the bus: studios of the stream stop
        recording and drop what they hold; viewers are told nothing (the air event, after
        the delay, tells them)."""
        sid = str(data.get("stream"))
        try:
            t = float(data.get("t", 0.0))
        except (TypeError, ValueError):
            return
        self.holds[sid] = max(t, self.holds.get(sid, t))
        msg = json.dumps(
            {"type": "air", "state": "paused", "hold": True, "t": t}, separators=(",", ":")
        )
        for ws in list(self.studios.get(sid, ())):
            self.state.spawn(_send_quietly(ws, msg))

    def publish(self, stream_id: str, track: str, rows: list[mstore.MediaPiece], t0: float) -> None:
        """Pieces stored here: to this process's viewers, and announced to the others."""
        for row in rows:
            self.t0s[(stream_id, track, row.epoch)] = t0
            for v in list(self.viewers.get(stream_id, ())):
                v.offer_live(track, row, t0)
        if rows:
            self.state.bus.notice(
                BUS_TOPIC,
                {"stream": stream_id, "track": track, "after": rows[0].idx - 1, "t0": t0},
            )

    def on_notice(self, data: dict[str, Any]) -> None:
        sid = str(data.get("stream"))
        if self.viewers.get(sid):
            self.state.spawn(self._fetch(sid, str(data.get("track")), int(data.get("after", 0))))

    async def _fetch(self, sid: str, track: str, after: int) -> None:
        """Read announced pieces from the store, one reader per stream at a time, so they
        are offered in order even when notices overtake each other's reads."""
        key = (sid, track)
        async with self.fetching.setdefault(sid, asyncio.Lock()):
            after = self.fetched.get(key, after)
            store = self.state.store
            rows = await store.read(mstore.pieces, store.sync, sid, track, after=after)
            if rows:
                self.fetched[key] = rows[-1].idx
            await self._offer_fetched(sid, track, rows)

    async def _offer_fetched(self, sid: str, track: str, rows: list[mstore.MediaPiece]) -> None:
        store = self.state.store
        for row in rows:
            t0 = self.t0s.get((sid, track, row.epoch))
            if t0 is None:
                first = await store.read(mstore.init, store.sync, sid, track, row.epoch)
                t0 = first.t if first else row.t
                self.t0s[(sid, track, row.epoch)] = t0
            for v in list(self.viewers.get(sid, ())):
                v.offer_live(track, row, t0)

    async def air_of(self, stream_id: str) -> str:
        """The stream's air state for its studio: kept current by ``on_air`` and ``on_hold``,
        and read again from the store every AIR_RECHECK seconds, because a bus may drop the
        message that said "paused". ``paused`` while the stream is on hold."""
        now = time.monotonic()
        if stream_id not in self.air or now - self.air_read.get(stream_id, 0.0) >= AIR_RECHECK:
            self.air_read[stream_id] = now
            told = self.air_told
            store = self.state.store
            read = await store.read(mstore.voice, store.sync, stream_id)
            self.delays[stream_id] = read.delay
            held = self.holds.get(stream_id)
            if read.hold_t is not None and not read.held and held is not None:
                if read.hold_t >= held:
                    del self.holds[stream_id]  # the bus lost the air event that ended it
            elif read.held and read.hold_t is not None:
                self.holds[stream_id] = max(read.hold_t, held or read.hold_t)
            # An air event that came meanwhile is newer than what the read saw.
            if self.air_told == told or stream_id not in self.air:
                self.air[stream_id] = read.air
        return "paused" if stream_id in self.holds else self.air[stream_id]

    def forget(self, stream_id: str) -> None:
        """Nobody here sends or watches the stream any more: drop what was kept for it."""
        if self.studios.get(stream_id) or self.viewers.get(stream_id):
            return
        self.studios.pop(stream_id, None)
        self.viewers.pop(stream_id, None)
        if stream_id not in self.state.hub.channels:
            self.state.bus.unwatch(stream_id)
        self.air.pop(stream_id, None)
        self.air_read.pop(stream_id, None)
        self.delays.pop(stream_id, None)
        for key in [k for k in self.t0s if k[0] == stream_id]:
            del self.t0s[key]
        for track in mstore.TRACKS:
            self.fetched.pop((stream_id, track), None)
        self.fetching.pop(stream_id, None)


def relay(state: ServerState) -> Relay:
    """This process's relay, made (and hooked to air events and the bus) on first use."""
    found = getattr(state, "_media_relay", None)
    if isinstance(found, Relay):
        return found
    r = Relay(state)
    state.air_listeners.append(r.on_air)
    state.notice_handlers[BUS_TOPIC] = r.on_notice
    state.notice_handlers[HOLD_TOPIC] = r.on_hold
    setattr(state, "_media_relay", r)  # noqa: B010 (ServerState knows nothing of media)
    return r


async def _send_quietly(ws: WebSocket, text: str) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.send_text(text)


def _now(stream: Stream) -> float:
    return max(0.0, time.time() - stream.started_at)


# ── the studio ────────────────────────────────────────────────────────────────────────────


async def _may_publish(ws: WebSocket, stream: Stream) -> str | None:
    """None if this connection may send the stream's media; else why not."""
    state: ServerState = ws.app.state.benchcast
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        channel = await state.store.read(state.store.sync.channel_for_key, auth[7:].strip())
        if channel is None:
            return "stream key not accepted"
        return None if channel.id == stream.channel_id else "this key is another channel's"
    aud = audience(ws)
    who = await identify(aud, ws)
    if not who.streamer_of(stream.channel_id):
        return "log in as the channel's streamer, or send its stream key"
    try:
        check_csrf(ws, who, ws.query_params.get("csrf"))
    except Refused as err:
        return str(err)
    return None


@dataclass
class Recording:
    epoch: int
    t0: float
    mime: str
    splitter: Splitter = field(default_factory=Splitter)
    bytes: int = 0


async def publish_endpoint(ws: WebSocket) -> None:
    state: ServerState = ws.app.state.benchcast
    sid = ws.path_params["stream_id"]
    await ws.accept()
    stream = await state.store.stream(sid)
    if stream is None:
        await ws.close(CLOSE_NOT_FOUND, "no such stream")
        return
    why = await _may_publish(ws, stream)
    if why is not None:
        await ws.close(CLOSE_REFUSED, why[:120])
        return
    if not stream.live:
        await ws.close(CLOSE_NOT_FOUND, "this stream has ended")
        return
    r = relay(state)
    r.studios.setdefault(sid, set()).add(ws)
    # Hear this stream's events (its air events) even when nobody watches it here.
    state.bus.watch(sid)
    recs: dict[str, Recording] = {}

    async def reply(**msg: Any) -> None:
        await ws.send_text(json.dumps(msg, separators=(",", ":")))

    told = await r.air_of(sid)
    delay = r.delays.get(sid, 0.0)

    async def recheck() -> None:
        # A lost bus message must not leave the studio recording while off air: the store
        # is read every AIR_RECHECK seconds, and a change is told as on_air tells it. So is
        # a new delay (a publisher that reconnected with another --delay).
        nonlocal told, delay
        while True:
            await asyncio.sleep(AIR_RECHECK)
            air = await r.air_of(sid)
            if air != told:
                told = air
                await _send_quietly(ws, json.dumps({"type": "air", "state": air}))
            if r.delays.get(sid, 0.0) != delay:
                delay = r.delays.get(sid, 0.0)
                await _send_quietly(ws, json.dumps({"type": "delay", "delay": delay}))

    checker = asyncio.get_running_loop().create_task(recheck())
    try:
        await reply(type="hello", stream=sid, air=told, t=_now(stream), delay=delay)
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            data = msg.get("bytes")
            if data is not None:
                if len(data) > MAX_FRAME + 1 or not data:
                    await ws.close(CLOSE_PROTOCOL, f"a media frame is at most {MAX_FRAME} bytes")
                    return
                track = TRACK_CODES.get(data[0])
                if track is None:
                    await ws.close(CLOSE_PROTOCOL, "the first byte of a frame names the track")
                    return
                rec = recs.get(track)
                if await r.air_of(sid) != "on":
                    # Paused: nothing is taken, and the recording is over (a new one starts
                    # with "start" once on air again).
                    recs.pop(track, None)
                    await reply(type="refused", track=track, reason="paused", bytes=len(data) - 1)
                    continue
                if rec is None:
                    await reply(type="refused", track=track, reason="send start first")
                    continue
                try:
                    cut = rec.splitter.feed(data[1:])
                except WebmError as err:
                    recs.pop(track, None)
                    await reply(type="refused", track=track, reason=str(err))
                    continue
                await _store(state, r, sid, track, rec, cut)
                rec.bytes += len(data) - 1
                continue
            try:
                obj = json.loads(msg.get("text") or "")
            except ValueError:
                obj = None
            kind = obj.get("type") if isinstance(obj, dict) else None
            if kind == "start" and isinstance(obj, dict):
                track, mime = obj.get("track"), obj.get("mime")
                if track not in MIMES or not isinstance(mime, str) or len(mime) > 100:
                    await reply(type="refused", track=track, reason="track must be audio or video")
                    continue
                if mime.split(";")[0].strip() not in MIMES[track]:
                    await reply(
                        type="refused", track=track, reason=f"{track} must be {MIMES[track][0]}"
                    )
                    continue
                ago = obj.get("ago", 0)
                if not isinstance(ago, int | float) or isinstance(ago, bool) or ago < 0:
                    await reply(
                        type="refused", track=track, reason="ago must be a number of seconds ≥ 0"
                    )
                    continue
                if await r.air_of(sid) != "on":
                    await reply(type="refused", track=track, reason="paused")
                    continue
                fresh = await state.store.stream(sid)
                if fresh is None or not fresh.live:
                    await ws.close(CLOSE_NOT_FOUND, "this stream has ended")
                    return
                epoch = await state.store.read(mstore.next_epoch, state.store.sync, sid, track)
                epoch = max(epoch, recs[track].epoch + 1 if track in recs else 0)
                # A start the studio held for the delay began ``ago`` seconds before now; never
                # earlier than the delay (and a slice's worth) allows.
                ago = min(float(ago), r.delays.get(sid, 0.0) + START_SLACK)
                recs[track] = Recording(epoch, max(0.0, _now(stream) - ago), mime)
                await reply(type="started", track=track, epoch=epoch, t0=recs[track].t0)
            elif kind == "stop" and isinstance(obj, dict):
                recs.pop(str(obj.get("track")), None)
                await reply(type="stopped", track=obj.get("track"))
            elif kind == "ping":
                await reply(type="pong", t=_now(stream))
            else:
                await ws.close(CLOSE_PROTOCOL, "unknown message: start, stop, ping or media")
                return
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        checker.cancel()
        r.studios.get(sid, set()).discard(ws)
        r.forget(sid)


async def _store(
    state: ServerState, r: Relay, sid: str, track: str, rec: Recording, cut: list[Piece]
) -> None:
    if not cut:
        return
    triples = [(p.kind, rec.t0 + p.tc / 1000, p.data) for p in cut]
    rows = await state.store.write(
        mstore.append, state.store.sync, sid, track, rec.epoch, rec.mime, triples
    )
    r.publish(sid, track, rows, rec.t0)


# ── viewers ───────────────────────────────────────────────────────────────────────────────


async def viewer_endpoint(ws: WebSocket) -> None:
    state: ServerState = ws.app.state.benchcast
    sid = ws.path_params["stream_id"]
    await ws.accept()
    stream = await state.store.stream(sid)
    if stream is None or await seat(ws, stream) is None:
        await ws.close(CLOSE_NOT_FOUND, "no such stream")
        return
    r = relay(state)
    viewer = Viewer(ws)
    # Listen first, then read the backlog: what arrives meanwhile is queued and its overlap
    # with the backlog skipped by idx.
    r.viewers.setdefault(sid, set()).add(viewer)
    sender = asyncio.get_running_loop().create_task(viewer.run())
    try:
        await ws.send_text(
            json.dumps(
                {"type": "hello", "air": await r.air_of(sid), "live": stream.live},
                separators=(",", ":"),
            )
        )
        store = state.store
        recordings = await store.read(mstore.epochs, store.sync, sid)
        for track, eps in recordings.items():
            last = eps[-1]
            init = await store.read(mstore.init, store.sync, sid, track, last["epoch"])
            start = await store.read(mstore.cluster_at, store.sync, sid, track, last["epoch"], None)
            if init is None:
                continue
            backlog = await store.read(
                mstore.pieces, store.sync, sid, track, after=max(start, 1) - 1, epoch=last["epoch"]
            )
            viewer.begin(track, init, last["t0"])
            for p in backlog:
                viewer.offer(track, p, last["t0"])
        viewer.joined_now()
        while True:
            receive = asyncio.ensure_future(ws.receive())
            done, _ = await asyncio.wait({receive, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender in done:
                receive.cancel()
                return
            msg = receive.result()
            if msg["type"] == "websocket.disconnect":
                return
            if msg.get("text") == '{"type":"ping"}':
                await ws.send_text('{"type":"pong"}')
            else:
                await ws.close(CLOSE_PROTOCOL, 'viewers send only {"type":"ping"}')
                return
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        r.viewers.get(sid, set()).discard(viewer)
        r.forget(sid)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


# ── HTTP: the stored track ─────────────────────────────────────────────────────────────────


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _visible(request: Request) -> Stream | JSONResponse:
    from benchcast.server.audience.visibility import can_view

    state: ServerState = request.app.state.benchcast
    sid = request.path_params["stream_id"]
    stream = await state.store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    aud = audience(request)
    if not await can_view(aud, await identify(aud, request), stream):
        return _error(404, f"no stream {sid!r}")
    return stream


async def api_media(request: Request) -> Response:
    """``GET /api/streams/{id}/media``: ``{"tracks": {"audio": [{epoch, t0, end, mime,
    bytes, first, last}, …]}, "air": …}``."""
    stream = await _visible(request)
    if isinstance(stream, JSONResponse):
        return stream
    state: ServerState = request.app.state.benchcast
    tracks = await state.store.read(mstore.epochs, state.store.sync, stream.id)
    return JSONResponse({"stream": stream.id, "live": stream.live, "tracks": tracks})


async def _recording(request: Request) -> tuple[Stream, str, int] | JSONResponse:
    """The visible stream, track and epoch a ``…/media/{track}/{epoch}/…`` path names."""
    stream = await _visible(request)
    if isinstance(stream, JSONResponse):
        return stream
    track = request.path_params["track"]
    if track not in mstore.TRACKS:
        return _error(404, "track must be audio or video")
    return stream, track, int(request.path_params["epoch"])


async def api_init(request: Request) -> Response:
    found = await _recording(request)
    if isinstance(found, JSONResponse):
        return found
    stream, track, epoch = found
    state: ServerState = request.app.state.benchcast
    init = await state.store.read(mstore.init, state.store.sync, stream.id, track, epoch)
    if init is None:
        return _error(404, f"no {track} recording {epoch} in stream {stream.id!r}")
    return Response(init.data, media_type=init.mime, headers={"X-Media-T0": str(init.t)})


async def api_data(request: Request) -> Response:
    """A recording's pieces: from the cluster at or before ``t`` (stream time), or right
    after piece ``after``; up to ``until`` and about 4 MiB. ``X-Media-Last`` is the idx of
    the last piece sent (continue with ``after=`` it), ``X-Media-End`` its stream time, and
    ``X-Media-Done: 1`` says the recording has nothing more stored."""
    found = await _recording(request)
    if isinstance(found, JSONResponse):
        return found
    stream, track, epoch = found
    store = request.app.state.benchcast.store
    q = request.query_params
    try:
        until = float(q["until"]) if "until" in q else None
        if "after" in q:
            after = int(q["after"])
        elif "t" in q:
            at = await store.read(
                mstore.cluster_at, store.sync, stream.id, track, epoch, float(q["t"])
            )
            if not at:
                return _error(404, f"no {track} recording {epoch} in stream {stream.id!r}")
            after = at - 1
        else:
            raise ValueError("give t= (a stream time) or after= (a piece idx)")
    except (ValueError, KeyError) as err:
        return _error(400, str(err) or "t, after and until must be numbers")
    rows = await store.read(
        mstore.pieces, store.sync, stream.id, track, after=after, epoch=epoch, until=until
    )
    last = rows[-1].idx if rows else after
    more = await store.read(mstore.pieces, store.sync, stream.id, track, after=last, epoch=epoch)
    headers = {
        "X-Media-Last": str(last),
        "X-Media-End": str(rows[-1].t if rows else ""),
        "X-Media-Done": "0" if more or stream.live else "1",
        "Cache-Control": "no-store",
    }
    mime = rows[0].mime if rows else "application/octet-stream"
    return Response(b"".join(p.data for p in rows), media_type=mime, headers=headers)


async def api_track_webm(request: Request) -> Response:
    """``GET /api/streams/{id}/media/track.webm``: the audio track so far as one WebM file
    (the first recording's init segment, then every cluster, later recordings' timecodes
    moved to where they began, and Info's Duration set)."""
    stream = await _visible(request)
    if isinstance(stream, JSONResponse):
        return stream
    state: ServerState = request.app.state.benchcast
    store = state.store
    eps = (await store.read(mstore.epochs, store.sync, stream.id)).get("audio", [])
    if not eps:
        return _error(404, f"stream {stream.id!r} has no media track")
    base = eps[0]["t0"]
    first = await store.read(mstore.init, store.sync, stream.id, "audio", eps[0]["epoch"])
    if first is None:
        return _error(404, f"stream {stream.id!r} has no media track")
    body: list[bytes] = []
    end_ms = 0
    for ep in eps:
        delta = round((ep["t0"] - base) * 1000)
        after = 0
        tail: list[bytes] = []
        while True:
            rows = await store.read(
                mstore.pieces, store.sync, stream.id, "audio", after=after, epoch=ep["epoch"]
            )
            if not rows:
                break
            for p in rows:
                data = shift_cluster(p.data, delta) if p.kind == "cluster" else p.data
                body.append(data)
                tail = [data] if p.kind == "cluster" else [*tail, data]
            after = rows[-1].idx
        if tail:
            end_ms = max(end_ms, block_times(b"".join(tail)) + 20)
    init = with_duration(first.data, end_ms / 1000)
    return Response(
        init + b"".join(body),
        media_type="audio/webm",
        headers={
            "Content-Disposition": f'inline; filename="{stream.id}.webm"',
            "X-Media-T0": str(base),
            "Cache-Control": "no-store",
        },
    )


routes = [
    WebSocketRoute("/ws/streams/{stream_id}/media/publish", publish_endpoint),
    WebSocketRoute("/ws/streams/{stream_id}/media", viewer_endpoint),
    Route("/api/streams/{stream_id}/media", api_media),
    Route("/api/streams/{stream_id}/media/track.webm", api_track_webm),
    Route("/api/streams/{stream_id}/media/{track}/{epoch:int}/init", api_init),
    Route("/api/streams/{stream_id}/media/{track}/{epoch:int}/data", api_data),
]
