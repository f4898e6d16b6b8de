"""The viewer websocket: backlog from the store, then live frames from the hub.

    GET /ws/streams/{id}            join: the newest keyframe, then the events after it
    GET /ws/streams/{id}?since=N    resume: exactly the events after seq N, then live

    ← {"type": "hello", "stream": {...}, "viewers": 3, "now": 812.4}
    ← {"type": "keyframe", "seq": K, "t": T, "state": {...}}     (join only, if one exists)
    ← {"type": "events", "events": [{"seq": …, "t": …, "kind": …, "source": …, "data": …}]}
    ← {"type": "viewers", "count": 4}
    ← {"type": "reconnect", "reason": …, "after_ms": N}   then close 1012 (shutting down)
    → {"type": "ping"}   ← {"type": "pong"}
    → {"type": "act", "ref": N, "action": …, "item": …, "body": {…}}
    ← {"type": "done" | "refused", "ref": N, …}       (server/audience/socket.py)

Viewers send nothing else; anything else closes the connection with code 4400. A stream the
viewer may not see (server/audience/visibility.py) is closed with 4404, as one that does not
exist; a viewer of a private stream who loses access is closed with 4404 within seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from benchcast.server.audience.socket import MAX_MESSAGE, Seat, seat
from benchcast.server.state import (
    CLOSE_RESTART,
    ServerState,
    reconnect_message,
    say_and_close,
)
from benchcast.server.wsraw import raw_socket

CLOSE_PROTOCOL = 4400
CLOSE_NOT_FOUND = 4404
MAX_VIEWER_MESSAGE = MAX_MESSAGE


async def viewer_endpoint(ws: WebSocket) -> None:
    state: ServerState = ws.app.state.benchcast
    sid = ws.path_params["stream_id"]
    since_arg = ws.query_params.get("since")
    await ws.accept()
    if state.draining:
        await say_and_close(
            ws, reconnect_message("server shutting down"), CLOSE_RESTART, "shutdown"
        )
        return
    stream = await state.store.stream(sid)
    viewer_seat = None if stream is None else await seat(ws, stream)
    if stream is None or viewer_seat is None:
        await ws.close(CLOSE_NOT_FOUND, "no such stream")
        return
    if since_arg is not None:
        try:
            since = int(since_arg)
            if since < 0:
                raise ValueError
        except ValueError:
            await ws.close(CLOSE_PROTOCOL, "since must be an integer ≥ 0")
            return
    else:
        since = 0

    async def send(text: str) -> None:
        await ws.send({"type": "websocket.send", "text": text})

    hello = {
        "type": "hello",
        "stream": stream.summary(),
        "viewers": state.hub.viewer_count(sid) + 1,
        # Stream time now: the live edge, even when the stream has been quiet for a while.
        "now": max(stream.last_t, time.time() - stream.started_at) if stream.live else None,
    }
    await send(json.dumps(hello, separators=(",", ":")))
    if since_arg is None:
        kf = await state.hub.keyframe_message(sid, stream.last_seq)
        if kf is not None:
            since, text = kf
            await send(text)
    viewer = await state.hub.attach(sid, send, since, stream.last_seq, raw_socket(ws.scope))
    try:
        await _listen(ws, viewer.ended, viewer_seat)
    finally:
        state.hub.detach(viewer)
        await viewer.stopped()
    if viewer.retired:
        # This process is going away; the viewer resumes from its last seq on another.
        await say_and_close(
            ws, reconnect_message("server shutting down"), CLOSE_RESTART, "shutdown"
        )


async def _listen(ws: WebSocket, deliver: asyncio.Future[None], viewer_seat: Seat) -> None:
    """Read what the viewer sends until it leaves, misbehaves, loses access, or delivery
    stops (``deliver``: the socket failed while sending, or the hub closed the viewer)."""
    receive = asyncio.ensure_future(ws.receive())
    try:
        while True:
            waiting: set[asyncio.Future[Any]] = {receive, deliver}
            done, _ = await asyncio.wait(
                waiting,
                timeout=viewer_seat.recheck_in(),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if deliver in done:
                return  # closed by the hub, or the socket failed (the viewer will reconnect)
            if not done:
                if not await viewer_seat.allowed():
                    await ws.close(CLOSE_NOT_FOUND, "no such stream")
                    return
                continue
            msg = receive.result()
            if msg["type"] == "websocket.disconnect":
                return
            text = msg.get("text")
            if text is None or len(text) > MAX_VIEWER_MESSAGE:
                await ws.close(CLOSE_PROTOCOL, "viewers send only small JSON text messages")
                return
            try:
                obj = json.loads(text)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and obj.get("type") == "act":
                await ws.send_text(await viewer_seat.act(obj))
            elif isinstance(obj, dict) and obj.get("type") == "ping":
                await ws.send_text('{"type":"pong"}')
            else:
                await ws.close(
                    CLOSE_PROTOCOL, 'unknown message; viewers send {"type":"ping"} or "act"'
                )
                return
            receive = asyncio.ensure_future(ws.receive())
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        if not receive.done():
            receive.cancel()
