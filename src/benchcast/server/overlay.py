"""Pairing with video platforms: the OBS overlay page, and the external video a stream page
shows beside its panels.

``/s/{id}/overlay`` is a page for a streamer who also broadcasts video (OBS, to Twitch or
YouTube): added as a *browser source*, it draws the chat, the "now" card, the latest chart
and captions over a transparent background, live. It is the stream page's own panels and
viewer websocket, composed by URL parameters (``OVERLAY_PARAMS``); a public or unlisted
stream needs no login. ``/c/{name}/overlay`` opens the channel's live stream, so one browser
source serves every stream of a channel.

``video_config`` is the stream's external video (a ``video`` event's payload, folded by
replay/video.py), read when a stream page is rendered so its player starts with the right
delay.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from benchcast.server.audience.studio import finish, viewer
from benchcast.server.audience.visibility import can_see_channel, can_view, listed_for
from benchcast.server.state import ServerState
from benchcast.store.async_store import AsyncStore

#: Panels an overlay can show, in the order given by ``?panels=``.
OVERLAY_PANELS = ("chat", "now", "chart", "captions")
#: Each URL parameter of the overlay page: what it means (also the 400 page's help).
OVERLAY_PARAMS = {
    "panels": "comma-separated, in order: "
    + ", ".join(OVERLAY_PANELS)
    + " (default chat,now,chart)",
    "width": "pixels, 100 to 7680 (default: the browser source's width)",
    "height": "pixels, 100 to 4320 (default: the browser source's height)",
    "scale": "0.25 to 4: size of text and panels (default 1)",
    "direction": "column (panels stacked, the default) or row (side by side)",
    "messages": "chat messages shown, 1 to 50 (default 8)",
    "metric": "the chart to show (default: the metric logged last)",
}


class BadOverlay(ValueError):
    """An overlay URL parameter out of range; ``str()`` says which and what is allowed."""


def _number(params: dict[str, str], name: str, lo: float, hi: float) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadOverlay(
            f"{name}={raw!r} is not a number; {name}: {OVERLAY_PARAMS[name]}"
        ) from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise BadOverlay(f"{name}={raw} is out of range; {name}: {OVERLAY_PARAMS[name]}")
    return value


def overlay_options(params: dict[str, str]) -> dict[str, Any]:
    """The overlay's options from its URL parameters; raises BadOverlay on any bad one."""
    unknown = sorted(set(params) - set(OVERLAY_PARAMS))
    if unknown:
        raise BadOverlay(
            f"unknown parameter {unknown[0]!r}; the overlay takes: {', '.join(OVERLAY_PARAMS)}"
        )
    panels = [p.strip() for p in params.get("panels", "chat,now,chart").split(",") if p.strip()]
    bad = [p for p in panels if p not in OVERLAY_PANELS]
    if bad or not panels:
        raise BadOverlay(
            f"panels={params.get('panels', '')!r}: each panel is one of {', '.join(OVERLAY_PANELS)}"
        )
    width = _number(params, "width", 100, 7680)
    height = _number(params, "height", 100, 4320)
    messages = _number(params, "messages", 1, 50)
    direction = params.get("direction", "column")
    if direction not in ("column", "row"):
        raise BadOverlay(f"direction={direction!r}; direction: {OVERLAY_PARAMS['direction']}")
    metric = params.get("metric", "")
    if len(metric) > 200:
        raise BadOverlay("metric: at most 200 characters")
    return {
        "panels": list(dict.fromkeys(panels)),
        "width": None if width is None else int(width),
        "height": None if height is None else int(height),
        "scale": _number(params, "scale", 0.25, 4) or 1.0,
        "direction": direction,
        "messages": 8 if messages is None else int(messages),
        "metric": metric or None,
    }


async def video_config(store: AsyncStore, stream_id: str) -> dict[str, Any] | None:
    """The stream's external video now: the newest keyframe's, then any ``video`` event
    after it (so a stream page reads a keyframe and at most a few events, never the log)."""
    from benchcast.replay.video import current

    kf = await store.keyframe(stream_id)
    video = kf.state.get("video") if kf else None
    rows = await store.events_json(stream_id, kf.seq if kf else 0, 1000, kinds=["video"])
    if rows:
        video = current(json.loads(rows[-1][2])["data"])
    return video if isinstance(video, dict) else None


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.benchcast
    return state


def _plain(status: int, message: str) -> Response:
    # A browser source shows this text; it says what to fix in the URL.
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>Benchcast overlay</title>"
        '<p style="font:16px sans-serif;color:#fff;background:#b00;padding:8px">'
        + _escape(message)
        + "</p>",
        status_code=status,
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


async def overlay_page(request: Request) -> Response:
    """``GET /s/{id}/overlay?panels=…``: the overlay for OBS (see the module docstring)."""
    from benchcast.server.pages import templates

    state = _state(request)
    sid = request.path_params["stream_id"]
    aud, who = await viewer(request)
    stream = await state.store.stream(sid)
    if stream is None or not await can_view(aud, who, stream):
        return finish(request, aud, who, _plain(404, f"No stream {sid!r} to show."))
    try:
        options = overlay_options(dict(request.query_params))
    except BadOverlay as err:
        return finish(request, aud, who, _plain(400, f"Overlay URL: {err}"))
    summary = {**stream.summary(), "viewers": state.hub.viewer_count(sid)}
    page = templates.get_template("overlay.html").render(
        stream=stream, summary=summary, options=options
    )
    return finish(request, aud, who, HTMLResponse(page))


async def channel_overlay(request: Request) -> Response:
    """``GET /c/{name}/overlay``: the overlay of the channel's live stream (same parameters);
    while none is live, a transparent page that looks again every few seconds."""
    state = _state(request)
    name = request.path_params["name"]
    aud, who = await viewer(request)
    ch = await state.store.read(state.store.sync.channel, name)
    if ch is None or not await can_see_channel(aud, who, ch.id):
        return finish(request, aud, who, _plain(404, f"No channel named {name!r}."))
    try:
        overlay_options(dict(request.query_params))
    except BadOverlay as err:
        return finish(request, aud, who, _plain(400, f"Overlay URL: {err}"))
    streams = await state.store.read(
        state.store.sync.streams, channel=name, live=True, limit=1, listed_for=listed_for(who)
    )
    if streams:
        query = urlencode(dict(request.query_params))
        target = f"/s/{streams[0].id}/overlay" + (f"?{query}" if query else "")
        return finish(request, aud, who, RedirectResponse(target, status_code=307))
    waiting = (
        "<!doctype html><meta charset=utf-8><title>Benchcast overlay</title>"
        '<meta http-equiv="refresh" content="5">'
        "<style>html,body{background:transparent;margin:0}</style>"
    )
    return finish(request, aud, who, HTMLResponse(waiting))


routes = [
    Route("/s/{stream_id}/overlay", overlay_page),
    Route("/c/{name}/overlay", channel_overlay),
]
