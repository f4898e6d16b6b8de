"""Viewers asking for a file the streamer has not sent: ``POST /api/streams/{id}/want``.

The code panel gets the streamer's file tree first and contents lazily (a file's contents go
out when it changes). A viewer who opens a file whose contents never went out asks for them
here; the server passes the request on to the stream's publisher over its websocket as
``{"type": "want", "path": P}`` — directly when the publisher is connected to this process,
through the bus otherwise. The publisher decides: it answers only for files it lists as text,
through its redactor, with an ordinary ``file.snapshot`` that every viewer gets.

Bounded: each stream passes on at most ``PER_STREAM`` requests a minute, each client address
makes at most ``PER_CLIENT``, and a path asked for again within ``SAME_PATH_SECONDS`` is
answered as asked without bothering the publisher again (its answer is on its way).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchcast.server.limits import SlidingWindow

if TYPE_CHECKING:
    from benchcast.server.state import ServerState

log = logging.getLogger("benchcast.wants")

PER_STREAM = 120
PER_CLIENT = 60
SAME_PATH_SECONDS = 5.0
MAX_PATH = 1000
MAX_BODY = 4096
TOPIC = "want"

_streams = SlidingWindow(PER_STREAM, 60.0)
_clients = SlidingWindow(PER_CLIENT, 60.0)
_recent: dict[tuple[str, str], float] = {}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _asked_recently(sid: str, path: str, now: float) -> bool:
    if len(_recent) > 10_000:
        for key in [k for k, at in _recent.items() if now - at > SAME_PATH_SECONDS]:
            del _recent[key]
    at = _recent.get((sid, path))
    return at is not None and now - at < SAME_PATH_SECONDS


async def want(request: Request) -> Response:
    """Ask the publisher of a live stream for one file's contents: body ``{"path": P}``.
    202 ``{"asked": true}`` when the request is on its way to the publisher."""
    state: ServerState = request.app.state.benchcast
    sid = request.path_params["stream_id"]
    host = request.client.host if request.client else "?"
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, f"at most {MAX_BODY} bytes")
    try:
        obj = json.loads(body)
    except ValueError:
        return _error(400, 'the body must be JSON: {"path": …}')
    path = obj.get("path") if isinstance(obj, dict) else None
    if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH or "\0" in path:
        return _error(400, f"path must be a file's path of 1 to {MAX_PATH} characters")
    stream = await state.store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    if not stream.live:
        return _error(409, f"stream {sid!r} has ended; its files are what it sent")
    now = time.monotonic()
    if _asked_recently(sid, path, now):
        return JSONResponse({"asked": True}, status_code=202)
    if _clients.blocked(host) or _streams.blocked(sid):
        return _error(429, "too many requests for files; wait a little")
    _clients.hit(host)
    _streams.hit(sid)
    _recent[(sid, path)] = now
    if sid in state.publishers:
        deliver(state, {"stream": sid, "path": path})
    else:
        holder = await state.store.read(state.store.sync.lease_holder, sid)
        if holder is None:
            _recent.pop((sid, path), None)
            return _error(503, "the streamer's machine is not connected right now")
        state.bus.notice(TOPIC, {"stream": sid, "path": path})
    return JSONResponse({"asked": True}, status_code=202)


def deliver(state: ServerState, data: dict[str, Any]) -> None:
    """Pass a request on to the stream's publisher if it is connected to this process (the
    bus brings other processes' requests here)."""
    publisher = state.publishers.get(str(data.get("stream")))
    if publisher is None:
        return
    message = json.dumps({"type": "want", "path": str(data.get("path"))})

    async def send() -> None:
        try:
            await publisher.ws.send_text(message)
        except Exception:  # the publisher is going away; the viewer may ask again
            log.debug("could not pass a want on to the publisher", exc_info=True)

    state.spawn(send())


routes = [Route("/api/streams/{stream_id}/want", want, methods=["POST"])]
