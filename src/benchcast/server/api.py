"""The JSON API: streams, their events, keyframes for seeking, the streamer's own appends,
and the operator's endpoints (health, readiness, metrics)."""

from __future__ import annotations

import json
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchcast.events import MAX_SOURCE_LEN, EventError, parse_draft
from benchcast.server.audience.visibility import directory_filter, visible_stream
from benchcast.server.metrics import CONTENT_TYPE
from benchcast.server.rescan import rescan
from benchcast.server.state import ServerState

MAX_LIMIT = 5000
MAX_POST_BYTES = 64 * 1024
#: Entries of a ``kind`` or ``source`` filter on the events endpoint.
MAX_FILTERS = 16
#: Kinds a streamer may append over HTTP, from anywhere, beside the publisher's own log.
STREAMER_KINDS = frozenset({"note", "marker", "now", "activity", "video"})


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
    """Streams, newest first (``?live=1``, ``?channel=NAME``, ``?limit=N``): the public ones,
    and those of channels the caller moderates."""
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
        listed_for=await directory_filter(request),
    )
    out = []
    for s in streams:
        item = s.summary()
        item["viewers"] = state.hub.viewer_count(s.id)
        out.append(item)
    return JSONResponse({"streams": out})


async def get_stream(request: Request) -> Response:
    """A stream's summary, with its viewer count and keyframes."""
    state = _state(request)
    sid = request.path_params["stream_id"]
    stream = await visible_stream(request, sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    item = stream.summary()
    item["viewers"] = state.hub.viewer_count(sid)
    item["keyframes"] = [
        {"seq": seq, "t": t}
        for seq, t in await state.store.read(state.store.sync.keyframe_index, sid)
    ]
    return JSONResponse(item)


def _list_param(request: Request, name: str) -> list[str]:
    """A comma-separated filter (``kind=metric,run.``): at most MAX_FILTERS entries."""
    raw = request.query_params.get(name, "")
    entries = [x.strip() for x in raw.split(",") if x.strip()]
    if len(entries) > MAX_FILTERS or any(len(x) > MAX_SOURCE_LEN for x in entries):
        raise ValueError(f"{name}: at most {MAX_FILTERS} entries of {MAX_SOURCE_LEN} characters")
    return entries


async def get_events(request: Request) -> Response:
    """Events with seq > since, oldest first: ``{"events": [...], "head": N}``.

    ``kind`` and ``source`` (comma-separated; an entry ending in ``.`` or ``:`` is a prefix)
    keep only the events that match, so a panel reads a run's metrics without paging through
    the terminal's output; ``limit`` then counts matching events."""
    state = _state(request)
    sid = request.path_params["stream_id"]
    try:
        since = _int_param(request, "since", 0, 0, 2**62)
        limit = _int_param(request, "limit", 1000, 1, MAX_LIMIT)
        until = _int_param(request, "until", 2**62, 0, 2**62)
        kinds = _list_param(request, "kind")
        sources = _list_param(request, "source")
    except ValueError as err:
        return _error(400, str(err))
    stream = await visible_stream(request, sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    rows = await state.store.events_json(sid, since, limit, until, kinds=kinds, sources=sources)
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
    stream = await visible_stream(request, sid)
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


async def post_event(request: Request) -> Response:
    """Append one streamer event (``note``, ``marker``, ``now``, ``activity``) to a live stream.

    ``Authorization: Bearer KEY`` with the stream's channel key; the body is
    ``{"kind": K, "source": S, "data": {…}}``; the server stamps the stream time. Answers 201
    with ``{"seq": N}`` once the event is stored, and every viewer, on every process, gets it.
    """
    state = _state(request)
    sid = request.path_params["stream_id"]
    host = request.client.host if request.client else "?"
    if state.auth_failures.blocked(host):
        return _error(429, "too many refused stream keys; wait a minute")
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    channel = await state.store.read(state.store.sync.channel_for_key, key) if key else None
    if channel is None:
        state.auth_failures.hit(host)
        return _error(401, "stream key not accepted")
    stream = await state.store.stream(sid)
    if stream is None or stream.channel != channel.name:
        return _error(404, f"stream {sid!r} is not one of this channel's streams")
    if not stream.live:
        return _error(409, f"stream {sid!r} has ended")
    body = await request.body()
    if len(body) > MAX_POST_BYTES:
        return _error(413, f"at most {MAX_POST_BYTES} bytes")
    try:
        obj = json.loads(body)
        if not isinstance(obj, dict):
            raise EventError("the body must be a JSON object")
        if set(obj) - {"kind", "source", "data"}:
            raise EventError("the body has only kind, source and data")
        if obj.get("kind") not in STREAMER_KINDS:
            raise EventError(f"kind must be one of {', '.join(sorted(STREAMER_KINDS))}")
        draft = parse_draft(
            {
                "kind": obj["kind"],
                "source": obj.get("source", "stream"),
                "data": obj.get("data", {}),
                "t": max(0.0, time.time() - stream.started_at),
            }
        )
    except ValueError as err:  # EventError, and JSON that does not parse
        return _error(400, str(err))
    events = await state.store.append(sid, rescan(draft))
    # Not folded here: the keyframes belong to the process that ingests the publisher, which
    # reads this event from the store when its next batch follows it.
    state.publish(sid, events, fold=False)
    return JSONResponse({"seq": events[0].seq}, status_code=201)


async def health(request: Request) -> Response:
    """Liveness: the process answers. Always 200 while it runs."""
    state = _state(request)
    return JSONResponse(
        {
            "ok": True,
            "node": state.bus.node,
            **state.hub.stats(),
            "publishers": len(state.publishers),
            "events_in": state.events_in,
        }
    )


async def ready(request: Request) -> Response:
    """Readiness: 200 when this process should get new connections; 503 with the reasons when
    its store does not answer, its bus is down, or it is shutting down."""
    state = _state(request)
    problems: list[str] = []
    if state.draining:
        problems.append("shutting down")
    try:
        await state.store.read(state.store.sync.ping)
    except Exception as err:
        problems.append(f"store: {type(err).__name__}")
    if not state.bus.connected:
        problems.append("bus: not connected")
    return JSONResponse(
        {"ready": not problems, "problems": problems}, status_code=503 if problems else 200
    )


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics."""
    return Response(_state(request).metrics.render(), media_type=CONTENT_TYPE)


routes = [
    Route("/api/streams", list_streams),
    Route("/api/streams/{stream_id}", get_stream),
    Route("/api/streams/{stream_id}/events", get_events),
    Route("/api/streams/{stream_id}/events", post_event, methods=["POST"]),
    Route("/api/streams/{stream_id}/seek", seek),
    Route("/-/health", health),
    Route("/-/ready", ready),
    Route("/-/metrics", metrics),
    Route("/metrics", metrics),
]
