"""The JSON API: streams, their events, and keyframes for seeking."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchcast.server.state import ServerState

MAX_LIMIT = 5000


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.benchcast
    return state


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}")
    return value


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def list_streams(request: Request) -> Response:
    state = _state(request)
    live_arg = request.query_params.get("live")
    live = None if live_arg is None else live_arg in ("1", "true", "yes")
    try:
        limit = _int_param(request, "limit", 100, 1, 1000)
    except ValueError as err:
        return _error(400, str(err))
    streams = await state.store.read(
        state.store.sync.streams,
        channel=request.query_params.get("channel"),
        live=live,
        limit=limit,
    )
    out = []
    for s in streams:
        item = s.summary()
        item["viewers"] = state.hub.viewer_count(s.id)
        out.append(item)
    return JSONResponse({"streams": out})


async def get_stream(request: Request) -> Response:
    state = _state(request)
    sid = request.path_params["stream_id"]
    stream = await state.store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    item = stream.summary()
    item["viewers"] = state.hub.viewer_count(sid)
    item["keyframes"] = [
        {"seq": seq, "t": t}
        for seq, t in await state.store.read(state.store.sync.keyframe_index, sid)
    ]
    return JSONResponse(item)


async def get_events(request: Request) -> Response:
    """Events with seq > since, oldest first: ``{"events": [...], "head": N}``."""
    state = _state(request)
    sid = request.path_params["stream_id"]
    try:
        since = _int_param(request, "since", 0, 0, 2**62)
        limit = _int_param(request, "limit", 1000, 1, MAX_LIMIT)
        until = _int_param(request, "until", 2**62, 0, 2**62)
    except ValueError as err:
        return _error(400, str(err))
    stream = await state.store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    rows = await state.store.events_json(sid, since, limit, until)
    body = '{"events":[' + ",".join(r[2] for r in rows) + f'],"head":{stream.last_seq}}}'
    return Response(body, media_type="application/json")


async def seek(request: Request) -> Response:
    """Where to start to show stream time ``t``: the keyframe to load and the last seq to apply.

    ``{"keyframe": {"seq", "t", "state"} | null, "seq": N}`` — apply the events after the
    keyframe's seq up to and including N.
    """
    state = _state(request)
    sid = request.path_params["stream_id"]
    try:
        t = float(request.query_params.get("t", "0"))
    except ValueError:
        return _error(400, "t must be a number of seconds")
    stream = await state.store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    seq = await state.store.read(state.store.sync.seq_at, sid, t)
    kf = await state.store.keyframe(sid, at_seq=seq)
    return JSONResponse(
        {
            "seq": seq,
            "keyframe": None if kf is None else {"seq": kf.seq, "t": kf.t, "state": kf.state},
        }
    )


async def health(request: Request) -> Response:
    state = _state(request)
    return JSONResponse({"ok": True, **state.hub.stats(), "events_in": state.events_in})


routes = [
    Route("/api/streams", list_streams),
    Route("/api/streams/{stream_id}", get_stream),
    Route("/api/streams/{stream_id}/events", get_events),
    Route("/api/streams/{stream_id}/seek", seek),
    Route("/-/health", health),
]
