"""The publisher websocket: authenticate a stream key, store events, then acknowledge them.

Protocol (docs/protocol.md has the whole of it, with an example):

    → {"type": "hello", "key": K, "stream": null | ID, "title": T, "tags": [...], "delay": D}
    ← {"type": "welcome", "stream": ID, "acked": N, "url": "/s/ID"}
    → {"type": "hold", "air": "paused", "t": T}           (paused or panicked: stop the voice now)
    → {"type": "events", "events": [{"pseq": 1, "t": 0.0, "kind": …, "source": …, "data": …}]}
    ← {"type": "reject", "pseq": 7, "message": "…"}      (only for a refused event)
    ← {"type": "ack", "pseq": 7}                          (everything up to 7 is durable)

An event is acknowledged only after the store has committed it. A resent event (pseq not above
the stream's last stored pseq) is acknowledged again and not stored twice.

One publisher per stream, across every process: a connection takes the stream's lease in the
store before its welcome, and every append checks it holds the lease under the same row lock
that assigns seqs. The newest connection wins (it is the publisher that reconnected, wherever
the load balancer sent it); the one it replaced is closed with 4409, at once if it is on this
process or the bus brings the news, at its next append otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from benchcast.events import Draft, EventError, parse_draft, validate_payload
from benchcast.server import blobs, media
from benchcast.server.rescan import rescan, rescan_value
from benchcast.server.state import Publisher, ServerState
from benchcast.store import media as mstore
from benchcast.store.database import LeaseLost, Stream

log = logging.getLogger("benchcast.ingest")

HELLO_TIMEOUT = 10.0
MAX_BATCH = 1000

CLOSE_PROTOCOL = 4400
CLOSE_AUTH = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_RATE = 4429
CLOSE_UNAVAILABLE = 1013


class ProtocolError(Exception):
    pass


async def _send(ws: WebSocket, msg: dict[str, Any]) -> None:
    await ws.send_text(json.dumps(msg, separators=(",", ":")))


def _client(ws: WebSocket) -> str:
    return ws.client.host if ws.client else "?"


async def _refuse(ws: WebSocket, code: int, kind: str, message: str) -> None:
    try:
        await _send(ws, {"type": "error", "code": kind, "message": message})
        await ws.close(code, message[:120])
    except (WebSocketDisconnect, RuntimeError):
        pass


async def _hello(state: ServerState, ws: WebSocket) -> Stream | None:
    """Authenticate; return the stream this publisher writes to, or None after refusing."""
    host = _client(ws)
    if state.auth_failures.blocked(host):
        await _refuse(ws, CLOSE_RATE, "rate", "too many refused stream keys; wait a minute")
        return None
    try:
        raw = await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT)
        msg = json.loads(raw)
    except TimeoutError:
        await _refuse(ws, CLOSE_PROTOCOL, "protocol", "no hello within 10 s")
        return None
    except (ValueError, KeyError):
        await _refuse(ws, CLOSE_PROTOCOL, "protocol", "the first message must be a JSON hello")
        return None
    if (
        not isinstance(msg, dict)
        or msg.get("type") != "hello"
        or not isinstance(msg.get("key"), str)
    ):
        await _refuse(
            ws, CLOSE_PROTOCOL, "protocol", 'the first message must be {"type": "hello", "key": …}'
        )
        return None
    delay = msg.get("delay", 0)
    if (
        not isinstance(delay, int | float)
        or isinstance(delay, bool)
        or not 0 <= delay <= mstore.MAX_DELAY
    ):
        await _refuse(
            ws,
            CLOSE_PROTOCOL,
            "hello",
            f"delay must be a number of seconds from 0 to {mstore.MAX_DELAY:g}",
        )
        return None
    channel = await state.store.read(state.store.sync.channel_for_key, msg["key"])
    if channel is None:
        state.auth_failures.hit(host)
        # Say nothing about why: not whether the channel exists, nor how close the key was.
        await _refuse(ws, CLOSE_AUTH, "auth", "stream key not accepted")
        return None
    want = msg.get("stream")
    if want is not None:
        found = await state.store.stream(str(want))
        if found is None or found.channel != channel.name:
            await _refuse(
                ws,
                CLOSE_NOT_FOUND,
                "stream",
                f"stream {want!r} is not one of this channel's streams",
            )
            return None
        if not found.live:
            await state.store.write(state.store.sync.reopen_stream, found.id)
        stream = found
    else:
        try:
            # Masked before it is checked: tags that mask alike are then merged, as equal ones.
            start = validate_payload(
                "stream.start",
                rescan_value(
                    {"title": msg.get("title") or "Untitled stream", "tags": msg.get("tags") or []}
                ),
            )
        except EventError as err:
            await _refuse(ws, CLOSE_PROTOCOL, "hello", str(err))
            return None
        stream = await state.store.write(
            state.store.sync.create_stream, channel, start["title"], start["tags"], time.time()
        )
    # Before the welcome: the studio holds its voice as long as the publisher holds events.
    await state.store.write(mstore.set_delay, state.store.sync, stream.id, float(delay))
    return stream


async def publisher_endpoint(ws: WebSocket) -> None:
    state: ServerState = ws.app.state.benchcast
    await ws.accept()
    if state.draining:
        await _refuse(ws, CLOSE_UNAVAILABLE, "unavailable", "server shutting down; reconnect")
        return
    stream = await _hello(state, ws)
    if stream is None:
        return
    sid = stream.id
    me = Publisher(ws, f"{state.bus.node}/{secrets.token_hex(4)}")
    # Take the lease before reading `acked`: any append of the publisher this replaces either
    # committed before (and is counted) or is refused.
    await state.store.write(state.store.sync.take_lease, sid, me.holder)
    previous = state.publishers.get(sid)
    state.publishers[sid] = me
    state.bus.notice("lease", {"stream": sid, "holder": me.holder})
    if previous is not None:
        await previous.replaced()
    current = await state.store.stream(sid)
    assert current is not None
    await _send(
        ws, {"type": "welcome", "stream": sid, "acked": current.last_pseq, "url": f"/s/{sid}"}
    )
    log.info(
        "publisher connected to stream %s from %s",
        sid,
        _client(ws),
        extra={"stream": sid, "holder": me.holder},
    )
    try:
        await _ingest_loop(state, ws, sid, me.holder)
    except WebSocketDisconnect:
        pass
    except LeaseLost:
        log.info("publisher of stream %s was replaced elsewhere", sid, extra={"stream": sid})
        await me.replaced()
    except ProtocolError as err:
        await _refuse(ws, CLOSE_PROTOCOL, "protocol", str(err))
    finally:
        if state.publishers.get(sid) is me:
            del state.publishers[sid]
        try:
            await state.store.write(state.store.sync.release_lease, sid, me.holder)
        except Exception:  # the next publisher takes the lease over regardless
            log.warning("could not release the lease of stream %s", sid, exc_info=True)
        log.info("publisher of stream %s disconnected", sid, extra={"stream": sid})


def _check_batch(batch: list[Any]) -> tuple[list[Draft], list[tuple[int, str]]]:
    """Validate and re-scan a batch; return the drafts to store and the refusals."""
    drafts: list[Draft] = []
    refused: list[tuple[int, str]] = []
    for obj in batch:
        try:
            drafts.extend(rescan(parse_draft(obj)))
        except EventError as err:
            refused.append((obj["pseq"], str(err)))
    return drafts, refused


#: The key under which the reader notes how long a message was (characters of JSON).
SIZE = "\x00size"
#: Messages read ahead of the store. Full: reading stops, and TCP slows the publisher down.
READ_AHEAD = 64


async def _ingest_loop(state: ServerState, ws: WebSocket, sid: str, holder: str) -> None:
    """Read and store concurrently: while one append is in flight the next messages are read
    and checked, and every batch waiting when the store is free goes in one transaction. A
    publisher is never held to one round trip to the store per message, so a busy server
    falls behind by a batch, not by a growing backlog."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(READ_AHEAD)
    relay = media.relay(state)
    reader = asyncio.ensure_future(_read_messages(ws, queue, lambda t: relay.hold(sid, t)))
    try:
        await _store_messages(state, ws, sid, holder, queue, reader)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


def _checked(raw: str) -> dict[str, Any]:
    """Parse one publisher message and check its shape (cheap; validation comes later)."""
    try:
        msg = json.loads(raw)
    except ValueError:
        raise ProtocolError("message is not JSON") from None
    if not isinstance(msg, dict):
        raise ProtocolError("message must be a JSON object")
    if msg.get("type") in ("ping", "blob"):
        return msg
    if msg.get("type") == "hold":
        t = msg.get("t")
        if msg.get("air") != "paused":
            raise ProtocolError('a hold says {"type": "hold", "air": "paused", "t": T}')
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 <= t < 1e9:
            raise ProtocolError("a hold's t is the stream time of the pause, in seconds")
        return msg
    if msg.get("type") != "events" or not isinstance(msg.get("events"), list):
        raise ProtocolError('expected {"type": "events", "events": [...]}')
    batch = msg["events"]
    if len(batch) > MAX_BATCH:
        raise ProtocolError(f"at most {MAX_BATCH} events per message")
    top = 0
    for obj in batch:
        pseq = obj.get("pseq") if isinstance(obj, dict) else None
        if not isinstance(pseq, int) or isinstance(pseq, bool) or pseq < 1:
            raise ProtocolError("every published event needs an integer pseq ≥ 1")
        if pseq <= top:
            raise ProtocolError("pseq must increase within a message")
        top = pseq
    return msg


async def _read_messages(
    ws: WebSocket,
    queue: asyncio.Queue[dict[str, Any] | None],
    on_hold: Callable[[float], None],
) -> None:
    """Read and check messages into ``queue``; a hold is acted on at once instead, ahead of
    everything queued for the store (it is out of band: it bypasses the log)."""
    try:
        while True:
            raw = await ws.receive_text()
            msg = _checked(raw)
            msg[SIZE] = len(raw)
            if msg["type"] == "hold":
                on_hold(float(msg["t"]))
                continue
            await queue.put(msg)
    except asyncio.CancelledError:
        raise
    except BaseException:
        # Tell the storing side (after what is queued) that reading ended, then say why.
        await queue.put(None)
        raise


async def _store_messages(
    state: ServerState,
    ws: WebSocket,
    sid: str,
    holder: str,
    queue: asyncio.Queue[dict[str, Any] | None],
    reader: asyncio.Future[None],
) -> None:
    while True:
        msg = await queue.get()
        if msg is None:
            await reader  # re-raises what stopped reading: a disconnect, a protocol error
            return
        if msg["type"] == "ping":
            await _send(ws, {"type": "pong"})
            continue
        if msg["type"] == "blob":
            await blobs.receive(state, ws, msg)
            continue
        batch = list(msg["events"])
        size = msg[SIZE]
        # Whatever else is already waiting joins this transaction, up to the first message
        # that is not events (blobs and pings keep their place in the order).
        after: dict[str, Any] | None = None
        ended = False
        while not queue.empty() and len(batch) < 10 * MAX_BATCH:
            nxt = queue.get_nowait()
            if nxt is None:
                ended = True
                break
            if nxt["type"] != "events":
                after = nxt
                break
            batch.extend(nxt["events"])
            size += nxt[SIZE]
        await _store_batch(state, ws, sid, holder, batch, size)
        if after is not None and after["type"] == "ping":
            await _send(ws, {"type": "pong"})
        elif after is not None:
            await blobs.receive(state, ws, after)
        if ended:
            await reader
            return


async def _store_batch(
    state: ServerState, ws: WebSocket, sid: str, holder: str, batch: list[Any], size: int
) -> None:
    """Check, store, acknowledge and announce one batch; ``size`` is its messages' length."""
    top = batch[-1]["pseq"] if batch else 0
    if size > INLINE_CHECK_BYTES:
        # Validating and re-scanning costs milliseconds per 64 KB of output: done on a
        # worker thread so fan-out to viewers never waits behind it.
        drafts, refused = await asyncio.to_thread(_check_batch, batch)
    else:
        # A few lines take microseconds, less than the hop to a thread and back, which
        # waits for the GIL while the loop writes frames to thousands of viewers.
        drafts, refused = _check_batch(batch)
    for pseq, message in refused:
        state.rejected += 1
        await _send(ws, {"type": "reject", "pseq": pseq, "message": message})
    if drafts:
        started = time.perf_counter()
        events = await state.store.append(sid, drafts, holder)
        state.metrics.append_seconds.observe(time.perf_counter() - started)
        if events:
            # Fan-out runs on the next turn of the loop, after the ack below is written: the
            # publisher's next batch (one is in flight at a time) does not wait for a pass
            # over every viewer, and the events are announced even if the ack cannot be sent.
            asyncio.get_running_loop().call_soon(state.publish, sid, events)
    if top:
        await _send(ws, {"type": "ack", "pseq": top})


#: Batches whose messages are up to this long are checked on the event loop itself.
INLINE_CHECK_BYTES = 8 * 1024
