"""The archive's routes: search (API and page), chapters and the moments to jump between,
clips, exports, the directory (browse by tag and activity), channel profiles, schedules and
their feeds (Atom, iCalendar), and narration from the studio.

Listings — search hits, the directory, feeds — show public streams only
(``visible_in_directory``); a stream's own routes answer 404 to whoever may not see it, as
server/audience/visibility.py decides.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from benchcast.events import Activity
from benchcast.replay.chapters import stream_chapters
from benchcast.server import feeds
from benchcast.server.limits import SlidingWindow
from benchcast.server.pages import _render as render
from benchcast.server.pages import templates
from benchcast.server.rescan import rescan, rescan_value
from benchcast.server.state import ServerState
from benchcast.store.archive import Archive
from benchcast.store.database import Channel, Store, StoreError, Stream
from benchcast.store.search import KINDS, Query, QueryError
from benchcast.timefmt import clock

MAX_BODY = 16 * 1024
SEARCH_PAGE = 20
#: Clips one address may make per minute (viewers make them without an account).
_clip_limit = SlidingWindow(10, 60.0)


def _page_url(params: Any, page: int) -> str:
    """The query string of ``params`` with ``page`` set (the search page's pager)."""
    from urllib.parse import urlencode

    items = [(k, v) for k, v in params.multi_items() if k != "page" and v]
    return urlencode([*items, ("page", str(page))])


templates.filters["pageurl"] = _page_url
templates.globals["activities"] = [a.value for a in Activity]


# ── who may see what ──────────────────────────────────────────────────────────────────────


def visible_in_directory(stream: Stream) -> bool:
    """Whether listings (search, the directory, channel pages' feeds) may show ``stream``.

    The one rule for every listing here: public streams only. Unlisted streams are reached by
    their link, private ones by their audience (server/audience/visibility.py). SQL queries
    for listings apply the same rule (``Query.public_only``, ``Archive.browse``).
    """
    return stream.visibility == "public"


async def _viewable(request: Request, stream_id: str) -> Stream | None:
    """The stream, if this request may see it (else None: answer 404, as if it did not
    exist)."""
    aud = getattr(request.app.state, "audience", None)
    if aud is None:  # a server without the audience service: private streams stay closed
        stream = await _state(request).store.stream(stream_id)
        return stream if stream is not None and stream.visibility != "private" else None
    from benchcast.server.audience.core import Refused
    from benchcast.server.audience.visibility import viewable

    try:
        stream, _who = await viewable(aud, request, stream_id)
    except Refused:
        return None
    return stream


# ── helpers ───────────────────────────────────────────────────────────────────────────────


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.benchcast
    return state


def _archive(request: Request) -> Archive:
    return Archive(_state(request).store.sync)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _read(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    state = _state(request)
    return await state.store.read(fn, *args, **kwargs)


async def _write(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    state = _state(request)
    return await state.store.write(fn, *args, **kwargs)


async def _streamer(request: Request, channel_id: int | None = None) -> Channel | JSONResponse:
    """The channel a request acts for as its streamer: the one whose stream key it carries
    (``Authorization: Bearer KEY``), or, given ``channel_id``, that channel if the request's
    session is its streamer's (the studio; a session must send its CSRF token)."""
    state = _state(request)
    host = request.client.host if request.client else "?"
    if state.auth_failures.blocked(host):
        return _error(429, "too many refused stream keys; wait a minute")
    auth = request.headers.get("authorization", "")
    aud = getattr(request.app.state, "audience", None)
    if auth.lower().startswith("bearer ") or aud is None:
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        channel = await _read(request, state.store.sync.channel_for_key, key) if key else None
        if channel is None:
            state.auth_failures.hit(host)
            return _error(401, "stream key not accepted")
        if channel_id is not None and channel.id != channel_id:
            return _error(403, "this key is another channel's")
        found: Channel = channel
        return found
    from benchcast.server.audience.core import Refused
    from benchcast.server.audience.sessions import check_csrf, identify

    who = await identify(aud, request)
    if channel_id is None or not who.streamer_of(channel_id):
        return _error(401, "log in as the channel's streamer, or send its stream key")
    try:
        check_csrf(request, who, request.headers.get("x-csrf-token"))
    except Refused as err:
        return _error(err.status, str(err))
    row = await _read(request, _channel_by_id, state.store.sync, channel_id)
    if row is None:
        return _error(404, "no such channel")
    out: Channel = row
    return out


async def _streamers_stream(request: Request, *, live: bool = False) -> Stream | JSONResponse:
    """The stream named in the path, if this request acts as its channel's streamer (and, with
    ``live``, only while the stream is live); otherwise the error to answer with."""
    sid = request.path_params["stream_id"]
    stream = await _state(request).store.stream(sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    channel = await _streamer(request, stream.channel_id)
    if isinstance(channel, JSONResponse):
        return channel
    if live and not stream.live:
        return _error(409, f"stream {sid!r} has ended")
    return stream


def _channel_by_id(store: Store, channel_id: int) -> Channel | None:
    from sqlalchemy import select

    from benchcast.store import schema

    c = schema.channels
    with store.engine.connect() as conn:
        r = conn.execute(select(c).where(c.c.id == channel_id)).first()
    return None if r is None else Channel(id=r.id, name=r.name, created_at=r.created_at)


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ValueError(f"at most {MAX_BODY} bytes")
    try:
        obj = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("the body must be JSON") from None
    if not isinstance(obj, dict):
        raise ValueError("the body must be a JSON object")
    return obj


def _day(value: str | None, *, end: bool = False) -> float | None:
    """A YYYY-MM-DD date (UTC) as unix seconds: its start, or with ``end`` the next day's."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise QueryError(f"dates are written YYYY-MM-DD, not {value!r}") from None
    return day.timestamp() + (86400 if end else 0)


def _when(value: Any) -> float:
    """A time given as unix seconds or ISO 8601 (a time without a zone is UTC)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("a time must be finite")
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"not a time: {value!r} (use ISO 8601, e.g. 2026-05-01T15:00Z)"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    raise ValueError("a time is unix seconds or an ISO 8601 string")


def search_query(params: Any) -> Query:
    """A Query from request parameters (also the search page's form): q, channel, activity,
    tag, kind (repeatable or comma-separated), stream, from, to (YYYY-MM-DD), order, page."""
    kinds: list[str] = []
    for k in params.getlist("kind") if hasattr(params, "getlist") else []:
        kinds += [x for x in k.split(",") if x]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise QueryError(f"unknown kind {unknown[0]!r}; kinds are: {', '.join(KINDS)}")
    order = params.get("order") or "relevance"
    if order not in ("relevance", "recent"):
        raise QueryError("order is relevance or recent")
    try:
        page = max(1, min(50, int(params.get("page") or 1)))
        limit = max(1, min(100, int(params.get("limit") or SEARCH_PAGE)))
    except ValueError:
        raise QueryError("page and limit are whole numbers") from None
    return Query(
        text=(params.get("q") or "").strip(),
        channel=params.get("channel") or None,
        activity=params.get("activity") or None,
        tag=params.get("tag") or None,
        kinds=tuple(kinds),
        stream=params.get("stream") or None,
        since=_day(params.get("from")),
        until=_day(params.get("to"), end=True),
        order=order,
        limit=limit,
        offset=(page - 1) * limit,
    )


# ── search ────────────────────────────────────────────────────────────────────────────────


async def api_search(request: Request) -> Response:
    """``GET /api/search?q=…``: hits, each with the moment to open (``url``) and context."""
    try:
        query = search_query(request.query_params)
        started = time.perf_counter()
        hits = await _read(request, _archive(request).search.search, query)
    except QueryError as err:
        return _error(400, str(err))
    return JSONResponse(
        {
            "query": query.text,
            "hits": [h.as_json() for h in hits],
            "took_ms": round((time.perf_counter() - started) * 1000, 1),
            "more": len(hits) == query.limit,
        }
    )


async def search_page(request: Request) -> Response:
    """The search page: a form, and the hits rendered on the server (it works without JS)."""
    params = request.query_params
    error = None
    hits: list[Any] = []
    query: Query | None = None
    took = 0.0
    if params.get("q"):
        try:
            query = search_query(params)
            started = time.perf_counter()
            hits = await _read(request, _archive(request).search.search, query)
            took = (time.perf_counter() - started) * 1000
        except QueryError as err:
            error = str(err)
    page = int(query.offset / query.limit) + 1 if query else 1
    return render(
        "search.html",
        q=params.get("q", ""),
        params=params,
        hits=hits,
        error=error,
        took=took,
        page=page,
        more=bool(query and len(hits) == query.limit),
        kinds=KINDS,
        activities=[a.value for a in Activity],
    )


# ── chapters and moments ──────────────────────────────────────────────────────────────────


def _chapters(store: Store, stream_id: str) -> list[dict[str, Any]]:
    return stream_chapters(store, stream_id, Archive(store).chapter_edits(stream_id))


async def api_chapters(request: Request) -> Response:
    sid = request.path_params["stream_id"]
    if await _viewable(request, sid) is None:
        return _error(404, f"no stream {sid!r}")
    chapters = await _read(request, _chapters, _state(request).store.sync, sid)
    return JSONResponse({"chapters": chapters})


async def api_edit_chapter(request: Request) -> Response:
    """``POST /api/streams/{id}/chapters/{seq}`` with the channel's key: ``{title?, summary?,
    hidden?}`` (a missing or null title/summary goes back to the folded one)."""
    stream = await _streamers_stream(request)
    if isinstance(stream, JSONResponse):
        return stream
    sid = stream.id
    try:
        seq = int(request.path_params["seq"])
        body = await _json_body(request)
        title, summary = body.get("title"), body.get("summary")
        if title is not None and not isinstance(title, str):
            raise ValueError("title must be a string")
        if summary is not None and not isinstance(summary, str):
            raise ValueError("summary must be a string")
        folded = await _read(request, stream_chapters, _state(request).store.sync, sid)
        if not any(c["seq"] == seq for c in folded):
            return _error(404, f"stream {sid!r} has no chapter at seq {seq}")
        # What the streamer types here is shown to viewers: the server's rules apply to it too.
        title, summary = rescan_value(title), rescan_value(summary)
        await _write(
            request,
            _archive(request).edit_chapter,
            sid,
            seq,
            title=title or None,
            summary=summary,
            hidden=bool(body.get("hidden", False)),
        )
    except (ValueError, StoreError) as err:
        return _error(400, str(err))
    chapters = await _read(request, _chapters, _state(request).store.sync, sid)
    return JSONResponse({"chapters": chapters})


async def api_moments(request: Request) -> Response:
    """What a viewer can jump between: chapters, notes, runs and bug reports, oldest first."""
    sid = request.path_params["stream_id"]
    if await _viewable(request, sid) is None:
        return _error(404, f"no stream {sid!r}")
    store = _state(request).store.sync
    chapters = await _read(request, _chapters, store, sid)
    docs = await _read(request, _archive(request).search.moments, sid, ("note", "run", "bug"))
    out: dict[str, list[dict[str, Any]]] = {"notes": [], "runs": [], "bugs": []}
    seen_runs: set[str] = set()
    for t, kind, text in docs:
        if kind == "note":
            out["notes"].append({"t": t, "text": text})
        elif kind == "bug":
            out["bugs"].append({"t": t, "text": text})
        else:
            name = text.split(" ", 1)[0]
            if name not in seen_runs:  # a run's start, not its end
                seen_runs.add(name)
                out["runs"].append({"t": t, "name": name})
    return JSONResponse({"chapters": chapters, **out})


# ── clips ─────────────────────────────────────────────────────────────────────────────────


async def api_make_clip(request: Request) -> Response:
    """``POST /api/streams/{id}/clips`` ``{start, end, title?}``: anyone who can see the
    stream may clip it (10 a minute per address). Answers 201 with the clip and its link."""
    sid = request.path_params["stream_id"]
    stream = await _viewable(request, sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    host = request.client.host if request.client else "?"
    if _clip_limit.blocked(host):
        return _error(429, "at most 10 clips a minute; wait a little")
    try:
        body = await _json_body(request)
        start, end = float(body["start"]), float(body["end"])
        title = body.get("title") or ""
        if not isinstance(title, str):
            raise ValueError("title must be a string")
        title = rescan_value(title)
        _clip_limit.hit(host)
        clip = await _write(request, _archive(request).make_clip, stream, start, end, title)
    except KeyError:
        return _error(400, "a clip needs start and end (seconds of stream time)")
    except (ValueError, TypeError, StoreError) as err:
        return _error(400, str(err))
    out = clip.as_json()
    out["link"] = _base(request) + out["url"]
    return JSONResponse(out, status_code=201)


async def api_clip(request: Request) -> Response:
    clip = await _read(request, _archive(request).clip, request.path_params["clip_id"])
    if clip is None or await _viewable(request, clip.stream_id) is None:
        return _error(404, "no such clip")
    return JSONResponse(clip.as_json())


async def clip_page(request: Request) -> Response:
    """``/clip/{id}``: the stream page, playing just the clip's range."""
    clip = await _read(request, _archive(request).clip, request.path_params["clip_id"])
    if clip is None or await _viewable(request, clip.stream_id) is None:
        return render("error.html", 404, message="No such clip.")
    return RedirectResponse(f"/s/{clip.stream_id}?clip={clip.id}&t={clip.start}", status_code=302)


# ── exports ───────────────────────────────────────────────────────────────────────────────

EXPORTS = {
    "asciicast": ("application/x-asciicast", "cast"),
    "asciicast-v3": ("application/x-asciicast", "cast"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "html": ("text/html; charset=utf-8", "html"),
}


def export_to(store: Store, stream_id: str, fmt: str, path: str) -> int:
    """Write a stream in format ``fmt`` (a key of EXPORTS) to ``path``; return the count of
    what was written (events, or recording lines)."""
    with open(path, "w", encoding="utf-8") as out:
        if fmt == "jsonl":
            from benchcast.replay.jsonl import export_jsonl

            return export_jsonl(store, stream_id, out)
        if fmt == "html":
            from benchcast.replay.static_html import export_html

            return export_html(store, stream_id, out)
        from benchcast.replay.asciicast import export_asciicast

        version = 3 if fmt == "asciicast-v3" else 2
        return export_asciicast(store, stream_id, out, version=version)


async def export(request: Request) -> Response:
    """``GET /api/streams/{id}/export?format=asciicast|asciicast-v3|jsonl|html``: a download."""
    sid = request.path_params["stream_id"]
    fmt = request.query_params.get("format", "jsonl")
    if fmt not in EXPORTS:
        return _error(400, f"format is one of {', '.join(EXPORTS)}")
    if await _viewable(request, sid) is None:
        return _error(404, f"no stream {sid!r}")
    fd, path = tempfile.mkstemp(prefix="benchcast-export-")
    os.close(fd)
    try:
        await _read(request, export_to, _state(request).store.sync, sid, fmt, path)
    except Exception:
        os.unlink(path)
        raise
    media, ext = EXPORTS[fmt]
    suffix = "-v3" if fmt == "asciicast-v3" else ""
    return FileResponse(
        path,
        media_type=media,
        filename=f"benchcast-{sid}{suffix}.{ext}",
        background=BackgroundTask(os.unlink, path),
    )


# ── the directory ─────────────────────────────────────────────────────────────────────────


async def home_extras(state: ServerState) -> dict[str, Any]:
    """What the home page shows beyond live and recent streams: upcoming streams, and the
    tags and activities to browse by."""
    archive = Archive(state.store.sync)
    upcoming = await state.store.read(archive.scheduled, after=time.time(), limit=12)
    tags = await state.store.read(archive.tag_counts)
    activities = await state.store.read(archive.activity_counts)
    return {"upcoming": upcoming, "tag_counts": tags, "activity_counts": activities}


async def channel_extras(state: ServerState, channel: Channel) -> dict[str, Any]:
    archive = Archive(state.store.sync)
    bio = await state.store.read(archive.bio, channel.id)
    upcoming = await state.store.read(
        archive.scheduled, channel=channel.name, after=time.time(), limit=20
    )
    return {"bio": bio, "upcoming": upcoming}


async def browse_page(request: Request) -> Response:
    """``/browse?tag=…`` or ``?activity=…``: public streams by field and by activity."""
    state = _state(request)
    tag = request.query_params.get("tag") or None
    activity = request.query_params.get("activity") or None
    archive = _archive(request)
    streams = await _read(request, archive.browse, tag=tag, activity=activity, limit=200)
    extras = await home_extras(state)
    return render(
        "browse.html",
        tag=tag,
        activity=activity,
        streams=streams,
        viewers=state.hub.viewer_count,
        **extras,
    )


async def api_channel_profile(request: Request) -> Response:
    """``POST /api/channels/{name}/profile`` with the channel's key: ``{bio}``."""
    target = await _channel_or_404(request)
    if target is None:
        return _error(404, "no such channel")
    channel = await _streamer(request, target.id)
    if isinstance(channel, JSONResponse):
        return channel
    try:
        body = await _json_body(request)
        bio = body.get("bio", "")
        if not isinstance(bio, str):
            raise ValueError("bio must be a string")
        bio = rescan_value(bio)
        await _write(request, _archive(request).set_bio, channel.id, bio)
    except (ValueError, StoreError) as err:
        return _error(400, str(err))
    return JSONResponse({"channel": channel.name, "bio": bio})


# ── schedules and feeds ───────────────────────────────────────────────────────────────────


async def api_schedule(request: Request) -> Response:
    """``GET /api/schedule?channel=NAME``: upcoming streams, soonest first."""
    items = await _read(
        request,
        _archive(request).scheduled,
        channel=request.query_params.get("channel") or None,
        after=time.time(),
    )
    return JSONResponse({"scheduled": [i.as_json() for i in items]})


async def api_schedule_add(request: Request) -> Response:
    """``POST /api/schedule`` with a channel's key: ``{title, starts_at, duration?, tags?,
    description?}``; ``starts_at`` is unix seconds or ISO 8601, ``duration`` seconds (default
    an hour). Answers 201 with the new entry."""
    channel = await _streamer(request)
    if isinstance(channel, JSONResponse):
        return channel
    try:
        body = await _json_body(request)
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError("tags must be a list of strings")
        item = await _write(
            request,
            _archive(request).schedule,
            channel.name,
            rescan_value(str(body.get("title", ""))),
            _when(body.get("starts_at")),
            float(body.get("duration", 3600)),
            tags=rescan_value(tags),
            description=rescan_value(str(body.get("description", ""))),
        )
    except (ValueError, TypeError, StoreError) as err:
        return _error(400, str(err))
    return JSONResponse(item.as_json(), status_code=201)


async def api_schedule_remove(request: Request) -> Response:
    channel = await _streamer(request)
    if isinstance(channel, JSONResponse):
        return channel
    removed = await _write(
        request, _archive(request).unschedule, channel.name, request.path_params["item_id"]
    )
    if not removed:
        return _error(404, "no such scheduled stream on this channel")
    return JSONResponse({"removed": request.path_params["item_id"]})


async def _channel_or_404(request: Request) -> Channel | None:
    name = request.path_params.get("name")
    if name is None:
        return None
    ch: Channel | None = await _read(request, _state(request).store.sync.channel, name)
    return ch


async def atom_feed(request: Request) -> Response:
    """Past public streams as Atom: ``/feed.atom`` (everyone's), ``/c/{name}/feed.atom``."""
    name = request.path_params.get("name")
    if name is not None and await _channel_or_404(request) is None:
        return _error(404, f"no channel named {name!r}")
    state = _state(request)
    streams = await _read(request, state.store.sync.streams, channel=name, live=False, limit=50)
    streams = [s for s in streams if visible_in_directory(s)]
    base = _base(request)
    host = urlsplit(base).netloc
    title = f"{name} on Benchcast" if name else "Benchcast: past streams"
    path = f"/c/{name}/feed.atom" if name else "/feed.atom"
    summaries = {}
    for s in streams[:20]:
        chapters = await _read(request, _chapters, state.store.sync, s.id)
        if chapters:
            summaries[s.id] = "\n".join(f"{clock(c['t'])} {c['title']}" for c in chapters[:30])
    body = feeds.atom(
        streams,
        base=base,
        title=title,
        self_path=path,
        feed_id=f"tag:{host.split(':')[0]},2026:{path}",
        summaries=summaries,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def ical_feed(request: Request) -> Response:
    """Scheduled streams as iCalendar: ``/schedule.ics``, ``/c/{name}/schedule.ics``."""
    name = request.path_params.get("name")
    if name is not None and await _channel_or_404(request) is None:
        return _error(404, f"no channel named {name!r}")
    # A day back, so a stream on now is still in a calendar that refreshes.
    items = await _read(
        request, _archive(request).scheduled, channel=name, after=time.time() - 86400
    )
    base = _base(request)
    body = feeds.ical(
        items,
        base=base,
        name=f"{name} on Benchcast" if name else "Benchcast schedule",
        host=urlsplit(base).hostname or "benchcast",
    )
    return Response(body, media_type="text/calendar; charset=utf-8")


# ── narration from the studio ─────────────────────────────────────────────────────────────

NARRATION = frozenset({"note", "marker", "now", "activity", "video"})


async def api_narrate(request: Request) -> Response:
    """``POST /api/streams/{id}/narrate`` ``{kind, data}``: a ``note``, ``marker``, ``now``,
    ``activity`` or ``video`` (the external player; ``{"link", "offset"}`` as typed in the
    studio, or the payload itself) into a live stream, from the studio (the streamer's
    session) or with the channel's key. Answers 201 with ``{"seq": N}`` once stored; every
    viewer gets it."""
    from benchcast.events import EventError, parse_draft

    state = _state(request)
    stream = await _streamers_stream(request, live=True)
    if isinstance(stream, JSONResponse):
        return stream
    sid = stream.id
    try:
        body = await _json_body(request)
        kind = body.get("kind")
        if kind not in NARRATION:
            raise EventError(f"kind must be one of {', '.join(sorted(NARRATION))}")
        data = body.get("data", {})
        if kind == "video" and isinstance(data, dict) and "link" in data:
            # The studio sends what the streamer typed; video.py makes it a checked payload.
            from benchcast.video import parse_video

            data = parse_video(str(data["link"]), float(data.get("offset") or 0))
        draft = parse_draft(
            {
                "kind": kind,
                "source": "notes" if kind == "note" else "stream",
                "data": data,
                "t": max(0.0, time.time() - stream.started_at),
            }
        )
    except ValueError as err:
        return _error(400, str(err))
    # Typed in the studio's page, this text never passed the publisher's redactor.
    events = await state.store.append(sid, rescan(draft))
    state.publish(sid, events, fold=False)
    return JSONResponse({"seq": events[0].seq}, status_code=201)


routes = [
    Route("/search", search_page),
    Route("/browse", browse_page),
    Route("/clip/{clip_id}", clip_page),
    Route("/feed.atom", atom_feed),
    Route("/c/{name}/feed.atom", atom_feed),
    Route("/schedule.ics", ical_feed),
    Route("/c/{name}/schedule.ics", ical_feed),
    Route("/api/search", api_search),
    Route("/api/schedule", api_schedule),
    Route("/api/schedule", api_schedule_add, methods=["POST"]),
    Route("/api/schedule/{item_id}", api_schedule_remove, methods=["DELETE"]),
    Route("/api/channels/{name}/profile", api_channel_profile, methods=["POST"]),
    Route("/api/clips/{clip_id}", api_clip),
    Route("/api/streams/{stream_id}/chapters", api_chapters),
    Route("/api/streams/{stream_id}/chapters/{seq:int}", api_edit_chapter, methods=["POST"]),
    Route("/api/streams/{stream_id}/moments", api_moments),
    Route("/api/streams/{stream_id}/clips", api_make_clip, methods=["POST"]),
    Route("/api/streams/{stream_id}/narrate", api_narrate, methods=["POST"]),
    Route("/api/streams/{stream_id}/export", export),
]
