"""Papers on stream, from the server's side (docs/papers.md): the streamer's reader page, a
PDF uploaded from it, the streamer's page turns and highlights, a stream's papers as they
stand, and the highlights exported as Web Annotations (JSON-LD) or Markdown reading notes.

    GET  /studio/{channel}/paper                  the streamer's reader (logged-in streamer)
    POST /api/streams/{id}/papers                 a PDF (the body, application/pdf) → paper.open
    POST /api/streams/{id}/paper                  {kind: paper.view | paper.highlight, data}
    GET  /api/streams/{id}/papers                 {current, papers, highlights} (the fold's)
    GET  /api/streams/{id}/annotations.jsonld     the highlights as an AnnotationCollection
    GET  /api/streams/{id}/reading-notes.md       the highlights and notes as Markdown

Writes need the channel's streamer (the studio session with its CSRF token) or its stream
key. What they carry (titles, quotes, notes) passes the server's redaction rules like every
publisher's event (server/rescan.py); the PDF itself is a blob, served as figures are.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from benchcast.events import EventError, parse_draft
from benchcast.papers import MAX_PAPER_BYTES, PaperError, check_size, inspect
from benchcast.replay.annotations import reading_notes, web_annotations
from benchcast.replay.fold import StreamFold
from benchcast.replay.papers import papers_of
from benchcast.server.archive import (
    _base,
    _error,
    _json_body,
    _state,
    _streamers_stream,
    _viewable,
)
from benchcast.server.rescan import rescan
from benchcast.store.database import Store, Stream

#: What the streamer's browser may send as paper events.
READER_KINDS = frozenset({"paper.view", "paper.highlight"})


def _fold(store: Store, stream_id: str) -> StreamFold:
    """The stream's fold now: its newest keyframe and the events after it."""
    kf = store.keyframe(stream_id)
    fold = StreamFold.restore(kf.state) if kf else StreamFold()
    return fold.apply_all(store.iter_events(stream_id, fold.seq))


async def _papers_state(request: Request, stream_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = _state(request)
    fold = await state.store.read(_fold, state.store.sync, stream_id)
    snap = fold.snapshot()
    return papers_of(fold).snapshot(), snap.get("audience") or {}


async def _live_stream(request: Request) -> Stream | JSONResponse:
    """The live stream named in the path, if this request acts as its channel's streamer."""
    return await _streamers_stream(request, live=True)


async def _append(request: Request, stream: Stream, kind: str, data: dict[str, Any]) -> int:
    """Validate, rescan, store and announce one paper event; return its seq."""
    draft = parse_draft(
        {
            "kind": kind,
            "source": "paper",
            "data": data,
            "t": max(0.0, time.time() - stream.started_at),
        }
    )
    state = _state(request)
    events = await state.store.append(stream.id, rescan(draft))
    state.publish(stream.id, events, fold=False)
    return events[0].seq


async def api_upload(request: Request) -> Response:
    """``POST /api/streams/{id}/papers?name=FILE.pdf``: the PDF as the body. Checks it (a
    PDF, not encrypted, at most the blob limit), stores it as a blob and opens it on stream.
    Answers 201 ``{"seq", "paper", "title", "pages", "searchable", "scripts"}``."""
    stream = await _live_stream(request)
    if isinstance(stream, JSONResponse):
        return stream
    name = request.query_params.get("name") or "paper.pdf"
    try:
        check_size(int(request.headers.get("content-length") or 0))
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            check_size(len(body))
    except (PaperError, ValueError) as err:
        return _error(413, str(err) if isinstance(err, PaperError) else "bad Content-Length")
    data = bytes(body)
    try:
        info = await asyncio.to_thread(inspect, data, name)
    except PaperError as err:
        return _error(400, str(err))
    state = _state(request)
    digest = await state.store.write(state.store.sync.put_blob, data, "application/pdf")
    try:
        seq = await _append(
            request,
            stream,
            "paper.open",
            {
                "blob": digest,
                "title": info.title,
                "pages": info.pages,
                "searchable": info.searchable,
                "size": info.size,
            },
        )
    except EventError as err:
        return _error(400, str(err))
    return JSONResponse(
        {
            "seq": seq,
            "paper": digest,
            "title": info.title,
            "pages": info.pages,
            "searchable": info.searchable,
            "scripts": info.scripts,
        },
        status_code=201,
    )


async def api_reader_event(request: Request) -> Response:
    """``POST /api/streams/{id}/paper`` ``{kind, data}``: a page turn (``paper.view``) or a
    highlight (``paper.highlight``) from the streamer's reader. Answers 201 ``{"seq"}``."""
    stream = await _live_stream(request)
    if isinstance(stream, JSONResponse):
        return stream
    try:
        body = await _json_body(request)
        kind = body.get("kind")
        if kind not in READER_KINDS:
            raise EventError(f"kind must be one of {', '.join(sorted(READER_KINDS))}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise EventError("data must be a JSON object")
        if kind == "paper.highlight":
            papers, _ = await _papers_state(request, stream.id)
            if data.get("paper") not in papers["papers"]:
                raise EventError("that paper is not open on this stream")
        seq = await _append(request, stream, kind, data)
    except ValueError as err:
        return _error(400, str(err))
    return JSONResponse({"seq": seq}, status_code=201)


async def api_papers(request: Request) -> Response:
    """``GET /api/streams/{id}/papers``: the stream's papers, the current one, and the
    highlights made so far (replay/papers.py's state)."""
    sid = request.path_params["stream_id"]
    if await _viewable(request, sid) is None:
        return _error(404, f"no stream {sid!r}")
    papers, _ = await _papers_state(request, sid)
    return JSONResponse(papers, headers={"Cache-Control": "no-store"})


async def _export(request: Request, fmt: str) -> Response:
    sid = request.path_params["stream_id"]
    stream = await _viewable(request, sid)
    if stream is None:
        return _error(404, f"no stream {sid!r}")
    papers, audience = await _papers_state(request, sid)
    meta = {
        "base": _base(request),
        "stream_id": sid,
        "title": stream.title,
        "started_at": stream.started_at,
        "papers": papers,
    }
    headers = {"Content-Disposition": f'attachment; filename="benchcast-{sid}-{fmt}"'}
    if fmt == "annotations.jsonld":
        return JSONResponse(
            web_annotations(**meta),
            media_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
            headers=headers,
        )
    return PlainTextResponse(
        reading_notes(**meta, audience=audience),
        media_type="text/markdown; charset=utf-8",
        headers=headers,
    )


async def api_annotations(request: Request) -> Response:
    """The stream's highlights as a W3C Web Annotation collection (JSON-LD)."""
    return await _export(request, "annotations.jsonld")


async def api_reading_notes(request: Request) -> Response:
    """The stream's papers, highlights, margin notes and anchored questions as Markdown."""
    return await _export(request, "reading-notes.md")


async def reader_page(request: Request) -> Response:
    """``/studio/{channel}/paper``: the streamer's reader for the channel's live stream."""
    from benchcast.server.audience.studio import finish, render, to_login, viewer

    aud, who = await viewer(request)
    name = request.path_params["name"]
    if who.kind == "anonymous":
        return to_login(request, aud, who, f"/studio/{name}/paper")
    store = aud.state.store
    ch = await store.read(store.sync.channel, name)
    if ch is None or not who.streamer_of(ch.id):
        page = render("error.html", 404, me=who, message="No channel you stream on by that name.")
        return finish(request, aud, who, page)
    reader = {"channel": ch.name, "max_bytes": MAX_PAPER_BYTES}
    return finish(request, aud, who, render("paper.html", me=who, channel=ch, reader=reader))


routes = [
    Route("/studio/{name}/paper", reader_page),
    Route("/api/streams/{stream_id}/papers", api_upload, methods=["POST"]),
    Route("/api/streams/{stream_id}/papers", api_papers),
    Route("/api/streams/{stream_id}/paper", api_reader_event, methods=["POST"]),
    Route("/api/streams/{stream_id}/annotations.jsonld", api_annotations),
    Route("/api/streams/{stream_id}/reading-notes.md", api_reading_notes),
]
