"""Server-rendered pages: home (live now, recent), a channel, a stream (live or past)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from benchcast.server.audience.studio import finish, viewer
from benchcast.server.audience.visibility import can_see_channel, can_view, listed_for
from benchcast.server.overlay import video_config
from benchcast.server.state import ServerState
from benchcast.timefmt import clock

WEB = Path(__file__).resolve().parent.parent / "web"

templates = Environment(
    loader=FileSystemLoader(WEB / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _ago(ts: float | None) -> str:
    if ts is None:
        return ""
    d = max(0, int(time.time() - ts))
    for unit, n in (("d", 86400), ("h", 3600), ("min", 60)):
        if d >= n:
            return f"{d // n} {unit} ago"
    return "just now"


def _iso(ts: float | None) -> str:
    """A timestamp as ISO 8601 UTC, for tooltips and <time datetime>."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.filters["ago"] = _ago
templates.filters["duration"] = clock
templates.filters["iso"] = _iso


def _render(name: str, status: int = 200, **ctx: object) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**ctx), status_code=status)


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.benchcast
    return state


async def home(request: Request) -> Response:
    state = _state(request)
    aud, who = await viewer(request)
    listed = listed_for(who)
    live = await state.store.read(state.store.sync.streams, live=True, limit=50, listed_for=listed)
    recent = await state.store.read(
        state.store.sync.streams, live=False, limit=50, listed_for=listed
    )
    from benchcast.server.archive import home_extras

    extras = await home_extras(state)
    page = _render(
        "home.html", live=live, recent=recent, viewers=state.hub.viewer_count, me=who, **extras
    )
    return finish(request, aud, who, page)


async def channel(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    aud, who = await viewer(request)
    ch = await state.store.read(state.store.sync.channel, name)
    if ch is None or not await can_see_channel(aud, who, ch.id):
        page = _render("error.html", 404, message=f"No channel named {name!r}.", me=who)
        return finish(request, aud, who, page)
    streams = await state.store.read(
        state.store.sync.streams, channel=name, limit=200, listed_for=listed_for(who)
    )
    from benchcast.server.archive import channel_extras

    extras = await channel_extras(state, ch)
    page = _render(
        "channel.html",
        channel=ch,
        streams=streams,
        viewers=state.hub.viewer_count,
        me=who,
        **extras,
    )
    return finish(request, aud, who, page)


async def stream_page(request: Request) -> Response:
    state = _state(request)
    sid = request.path_params["stream_id"]
    aud, who = await viewer(request)
    stream = await state.store.stream(sid)
    if stream is None or not await can_view(aud, who, stream):
        return finish(
            request, aud, who, _render("error.html", 404, message="No such stream.", me=who)
        )
    viewers = state.hub.viewer_count(sid)
    # The player starts from this summary (the same shape as GET /api/streams/{id}).
    summary = {**stream.summary(), "viewers": viewers}
    # The external video decides how long the panels wait: the player needs it from the start.
    summary["video"] = await video_config(state.store, sid)
    page = _render("stream.html", stream=stream, viewers=viewers, summary=summary, me=who)
    return finish(request, aud, who, page)


routes = [
    Route("/", home),
    Route("/c/{name}", channel),
    Route("/s/{stream_id}", stream_page),
]
