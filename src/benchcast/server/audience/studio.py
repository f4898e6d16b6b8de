"""The audience's pages: log in and out, the streamer's inbox (``/studio/{channel}``: bug
reports, questions, mentions, moderation, settings), and invitation links. ``viewer`` and
``finish`` let the other pages (server/pages.py) know who is looking and keep their session
cookie.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from benchcast.server.audience.core import Audience, Refused
from benchcast.server.audience.routes import login
from benchcast.server.audience.sessions import (
    MAX_INVITES,
    Who,
    check_csrf,
    identify,
    new_session,
    save,
    with_session,
)
from benchcast.server.audience.visibility import audience


async def viewer(request: Request) -> tuple[Audience, Who]:
    aud = audience(request)
    return aud, await identify(aud, request)


def finish(request: Request, aud: Audience, who: Who, response: Response) -> Response:
    """The response, with the session cookie when the session is new or changed, and
    never cached by anyone (a page shows who is logged in)."""
    response.headers.setdefault("Cache-Control", "no-store")
    return save(aud, who, response, request)


def render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    from benchcast.server.pages import templates

    return HTMLResponse(templates.get_template(name).render(**ctx), status_code=status)


def _local(path: str | None) -> str:
    """A redirect target on this site only (never //other.host or a scheme)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form (the only kind these pages post), at most 16 KiB."""
    body = await request.body()
    if len(body) > 16 * 1024:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    return {k: v[0] for k, v in fields.items() if v}


async def login_page(request: Request) -> Response:
    aud, who = await viewer(request)
    nxt = _local(request.query_params.get("next"))
    if request.method == "POST":
        form = await _form(request)
        nxt = _local(form.get("next") or "/")
        try:
            check_csrf(request, who, form.get("csrf", ""))
            who = await login(aud, who, form.get("name", ""), form.get("password", ""))
        except Refused as err:
            status = err.status if err.status in (401, 403, 429) else 400
            page = render("login.html", status, me=who, next=nxt, error=str(err))
            return finish(request, aud, who, page)
        return finish(request, aud, who, RedirectResponse(nxt, status_code=303))
    return finish(request, aud, who, render("login.html", me=who, next=nxt, error=None))


async def logout_page(request: Request) -> Response:
    aud, who = await viewer(request)
    form = await _form(request)
    try:
        check_csrf(request, who, form.get("csrf", ""))
    except Refused as err:
        return finish(request, aud, who, render("error.html", 403, me=who, message=str(err)))
    session = replace(new_session(), invites=who.session.invites)
    who = with_session(Who(ip=who.ip, invites=session.invites), session)
    return finish(request, aud, who, RedirectResponse("/", status_code=303))


def to_login(request: Request, aud: Audience, who: Who, then: str) -> Response:
    """Send someone not logged in to the login page, and back to ``then`` once they are."""
    target = "/login?next=" + quote(then)
    return finish(request, aud, who, RedirectResponse(target, status_code=303))


async def studio(request: Request) -> Response:
    aud, who = await viewer(request)
    name = request.path_params["name"]
    if who.kind == "anonymous":
        return to_login(request, aud, who, f"/studio/{name}")
    store = aud.state.store
    if name == "-":  # "my studio": the only channel one moderates, or a list of them
        staff = None if who.admin else [c for c, r in who.roles.items() if r in ("streamer", "mod")]
        channels = await aud.read(aud.db.channels, staff)
        if len(channels) == 1:
            target = f"/studio/{quote(channels[0].name)}"
            return finish(request, aud, who, RedirectResponse(target, status_code=303))
        return finish(
            request, aud, who, render("inbox.html", me=who, channel=None, channels=channels)
        )
    ch = await store.read(store.sync.channel, name)
    if ch is None or not who.staff_of(ch.id):
        page = render("error.html", 404, me=who, message="No channel you moderate by that name.")
        return finish(request, aud, who, page)
    return finish(
        request,
        aud,
        who,
        render(
            "inbox.html",
            me=who,
            channel=ch,
            role=who.role_in(ch.id),
            studio={"channel": ch.name, "role": who.role_in(ch.id), "me": who.id},
        ),
    )


async def invite_link(request: Request) -> Response:
    """An invitation link: remember it in the session, then go to what it opens."""
    aud, who = await viewer(request)
    token = request.path_params["token"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = await aud.read(aud.db.invite_for_token, digest)
    if found is None:
        page = render("error.html", 404, me=who, message="This invitation is not valid (any more).")
        return finish(request, aud, who, page)
    iid, channel_id, stream_id = found
    invites = tuple(dict.fromkeys((iid, *who.session.invites)))[:MAX_INVITES]
    who = with_session(replace(who, invites=invites), replace(who.session, invites=invites))
    if stream_id is not None:
        target = f"/s/{stream_id}"
    else:
        store = aud.state.store
        (channel,) = await aud.read(aud.db.channels, [channel_id])
        newest = await store.read(store.sync.streams, channel=channel.name, limit=1)
        target = f"/s/{newest[0].id}" if newest else "/"
    return finish(request, aud, who, RedirectResponse(target, status_code=303))


routes = [
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout_page, methods=["POST"]),
    Route("/studio/{name}", studio),
    Route("/i/{token}", invite_link),
]
