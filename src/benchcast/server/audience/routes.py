"""The audience's JSON API: sessions, the actions (actions.py), the viewer's own state, and
the streamer's endpoints (inbox, settings, invitations, moderation lists).

Errors are ``{"error": message}`` with 400 (bad input), 401 (write without a name), 403 (not
allowed, CSRF), 404 (no such thing, or not one you may see), 409 (already done, or the stream
has ended), 413 (too big) or 429 (too fast: ``Retry-After`` says when to try again). Every
route is in the OpenAPI schema at ``GET /api/openapi.json`` (openapi.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchcast.server.audience import chat, moderation  # noqa: F401  (they declare actions)
from benchcast.server.audience.accounts import check_login
from benchcast.server.audience.actions import ACTIONS, Action, parse_body, perform
from benchcast.server.audience.core import Audience, Refused
from benchcast.server.audience.inbox import inbox
from benchcast.server.audience.sessions import (
    Session,
    Who,
    check_csrf,
    guest_id,
    identify,
    new_session,
    save,
    with_session,
)
from benchcast.server.audience.text import MAX_CHAT, TextError, clean_name, skeleton
from benchcast.server.audience.visibility import audience, viewable
from benchcast.store.audience import VISIBILITIES, ChannelSettings
from benchcast.store.database import Channel

Endpoint = Callable[[Request, Audience, Who], Awaitable[Any]]


def _refusal(err: Refused) -> JSONResponse:
    headers = {}
    if err.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(err.retry_after)))
    return JSONResponse({"error": str(err)}, status_code=err.status, headers=headers)


def endpoint(write: bool = False, status: int = 200) -> Callable[[Endpoint], Any]:
    """Wrap a handler: identify the caller, check CSRF on writes, turn Refused into errors,
    and set the session cookie when the session changed."""

    def wrap(handler: Endpoint) -> Any:
        async def run(request: Request) -> Response:
            aud = audience(request)
            host = request.client.host if request.client else "?"
            if aud.state.auth_failures.blocked(host):
                return _refusal(Refused(429, "too many refused stream keys; wait a minute", 60))
            who = await identify(aud, request)
            if who.kind != "key" and request.headers.get("authorization", "").lower().startswith(
                "bearer "
            ):
                aud.state.auth_failures.hit(host)
                return _refusal(Refused(401, "stream key not accepted"))
            try:
                if write:
                    check_csrf(request, who, request.headers.get("x-csrf-token"))
                result = await handler(request, aud, who)
            except Refused as err:
                return save(aud, who, _refusal(err), request)
            if isinstance(result, tuple):
                who, result = result
            if isinstance(result, Response):
                return save(aud, who, result, request)
            return save(aud, who, JSONResponse(result, status_code=status), request)

        run.__doc__ = handler.__doc__
        run.__name__ = handler.__name__
        return run

    return wrap


async def _body(request: Request) -> Any:
    return parse_body(await request.body())


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _parse(model: type[_In], body: Any) -> Any:
    try:
        return model.model_validate(body if isinstance(body, dict) else None)
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(str(p) for p in e["loc"]) or "body"
        raise Refused(400, f"{where}: {e['msg']}") from None


# ── sessions ──────────────────────────────────────────────────────────────────────────────


@endpoint()
async def get_session(request: Request, aud: Audience, who: Who) -> Any:
    """Who you are, and the CSRF token to send with writes (starts a session if none)."""
    return who.public()


class GuestIn(_In):
    name: str = Field(max_length=200)


@endpoint(write=True)
async def post_guest(request: Request, aud: Audience, who: Who) -> Any:
    """Pick a display name: a guest session (an account's own name is not free to take)."""
    body = _parse(GuestIn, await _body(request))
    if who.kind == "account":
        raise Refused(409, "you are logged in; log out to write as a guest")
    try:
        name = clean_name(body.name)
    except TextError as err:
        raise Refused(400, str(err)) from None
    key = skeleton(name)
    if key in await aud.channel_keys() or await aud.read(aud.db.name_taken, key):
        raise Refused(409, f"{name!r} is taken (or looks like a name that is): pick another")
    session = who.session
    if session.guest is None:
        aud.limits.take(aud.limits.guests, who.ip, "new guests from your address")
        session = replace(session, guest=secrets.token_urlsafe(16))
    session = replace(session, guest_name=name)
    who = await identify_session(aud, request, who, session)
    return who, who.public()


async def identify_session(aud: Audience, request: Request, who: Who, session: Session) -> Who:
    """The identity a new session makes (it is saved with the response)."""
    if session.guest is not None and session.guest_name and session.user is None:
        return Who(
            id=guest_id(aud, session.guest),
            name=session.guest_name,
            kind="guest",
            ip=who.ip,
            invites=session.invites,
            session=session,
            dirty=True,
        )
    return with_session(Who(ip=who.ip, invites=session.invites), session)


class LoginIn(_In):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1024)


async def login(aud: Audience, who: Who, name: str, password: str) -> Who:
    """Check a login (rate limited per address and per name); the logged-in identity."""
    limits = aud.limits
    key = "name:" + skeleton(name)[:80]
    if limits.logins.blocked(who.ip) or limits.logins.blocked(key):
        raise Refused(429, "too many failed logins; wait a minute", 60)
    user = await asyncio.to_thread(check_login, aud.db, name, password)
    if user is None:
        limits.logins.hit(who.ip)
        limits.logins.hit(key)
        raise Refused(401, "wrong name or password")
    # A new CSRF token with every login: a token seen before it is worth nothing after.
    session = Session(
        csrf=secrets.token_urlsafe(24),
        user=user.id,
        gen=user.session_gen,
        invites=who.session.invites,
    )
    roles = await aud.read(aud.db.roles, user.id)
    return Who(
        id=f"u:{user.id}",
        name=user.name,
        kind="account",
        ip=who.ip,
        user=user,
        roles=roles,
        invites=session.invites,
        session=session,
        dirty=True,
    )


@endpoint(write=True)
async def post_login(request: Request, aud: Audience, who: Who) -> Any:
    """Log in with an account's name and password."""
    body = _parse(LoginIn, await _body(request))
    who = await login(aud, who, body.name, body.password)
    return who, who.public()


@endpoint(write=True)
async def post_logout(request: Request, aud: Audience, who: Who) -> Any:
    """Log out (or forget the guest name): a fresh anonymous session."""
    session = replace(new_session(), invites=who.session.invites)
    who = with_session(Who(ip=who.ip, invites=session.invites), session)
    return who, who.public()


# ── a stream ──────────────────────────────────────────────────────────────────────────────


@endpoint()
async def get_audience(request: Request, aud: Audience, who: Who) -> Any:
    """Your own state on a stream: who you are there, your votes, the chat's rules."""
    stream, who = await viewable(aud, request, request.path_params["stream_id"], who)
    settings = await aud.settings(stream.channel_id)
    votes = await aud.read(aud.db.my_votes, stream.id, who.id) if who.id else {}
    return {
        "me": {**who.public(), "role": who.role_in(stream.channel_id)},
        "votes": votes,
        "chat": {
            "accounts_only": settings.accounts_only,
            "slow_seconds": settings.slow_seconds,
            "max_length": MAX_CHAT,
            "live": stream.live,
        },
    }


def _action_endpoint(act: Action) -> Any:
    @endpoint(write=True, status=201)
    async def run(request: Request, aud: Audience, who: Who) -> Any:
        stream, who = await viewable(aud, request, request.path_params["stream_id"], who)
        body = await _body(request)
        return await perform(aud, who, stream, act.name, request.path_params.get("item"), body)

    run.__doc__ = act.summary
    return run


class VisibilityIn(_In):
    visibility: str | None


@endpoint(write=True)
async def post_stream_visibility(request: Request, aud: Audience, who: Who) -> Any:
    """Set one stream's visibility (public, unlisted, private; null: as its channel)."""
    stream, who = await viewable(aud, request, request.path_params["stream_id"], who)
    if not who.streamer_of(stream.channel_id):
        raise Refused(403, "only the streamer may do that")
    body = _parse(VisibilityIn, await _body(request))
    if body.visibility is not None and body.visibility not in VISIBILITIES:
        raise Refused(400, f"visibility is one of {', '.join(VISIBILITIES)} (or null)")
    await aud.write(aud.db.set_stream_visibility, stream.id, body.visibility)
    return {"visibility": body.visibility}


# ── a channel (its staff) ─────────────────────────────────────────────────────────────────


async def _channel(request: Request, aud: Audience, who: Who, streamer: bool = False) -> Channel:
    name = request.path_params.get("name")
    if name is None:  # /api/inbox: the stream key's channel, or the account's only one
        mine = [who.key_channel] if who.key_channel else list(who.roles)
        if len(mine) != 1:
            raise Refused(400, "which channel? use /api/channels/{name}/inbox")
        (only,) = await aud.read(aud.db.channels, mine)
        return only
    ch: Channel | None = await aud.read(aud.state.store.sync.channel, name)
    if ch is None or not who.staff_of(ch.id):
        # The same answer whether the channel exists or not.
        raise Refused(404, f"no channel {name!r} you moderate")
    if streamer and not who.streamer_of(ch.id):
        raise Refused(403, "only the streamer may do that")
    return ch


@endpoint()
async def get_inbox(request: Request, aud: Audience, who: Who) -> Any:
    """The streamer's inbox: bug reports, questions, mentions, recent chat, polls, bans
    (``?stream=ID``: that stream's; default: the channel's newest)."""
    ch = await _channel(request, aud, who)
    sid = request.query_params.get("stream")
    store = aud.state.store
    if sid:
        stream = await store.stream(sid)
        if stream is None or stream.channel_id != ch.id:
            raise Refused(404, f"no stream {sid!r} on this channel")
    else:
        newest = await store.read(store.sync.streams, channel=ch.name, limit=1)
        stream = newest[0] if newest else None
    return await aud.read(inbox, aud, ch, stream)


@endpoint()
async def get_settings(request: Request, aud: Audience, who: Who) -> Any:
    """The channel's settings: visibility, accounts-only chat, slow mode, the filter."""
    ch = await _channel(request, aud, who)
    return (await aud.read(aud.db.settings, ch.id)).public()


class SettingsIn(_In):
    visibility: str | None = None
    accounts_only: bool | None = None
    slow_seconds: int | None = Field(default=None, ge=0, le=3600)
    filter: list[str] | None = None


@endpoint(write=True)
async def post_settings(request: Request, aud: Audience, who: Who) -> Any:
    """Change the channel's settings (any subset of them)."""
    ch = await _channel(request, aud, who, streamer=True)
    body = _parse(SettingsIn, await _body(request))
    old = await aud.read(aud.db.settings, ch.id)
    if body.visibility is not None and body.visibility not in VISIBILITIES:
        raise Refused(400, f"visibility is one of {', '.join(VISIBILITIES)}")
    try:
        words = old.filter if body.filter is None else chat.check_filter_entries(body.filter)
    except ValueError as err:
        raise Refused(400, str(err)) from None
    new = ChannelSettings(
        ch.id,
        body.visibility or old.visibility,
        old.accounts_only if body.accounts_only is None else body.accounts_only,
        old.slow_seconds if body.slow_seconds is None else body.slow_seconds,
        words,
    )
    await aud.write(aud.db.put_settings, new)
    aud.forget(ch.id)
    return new.public()


@endpoint()
async def get_invites(request: Request, aud: Audience, who: Who) -> Any:
    """The channel's invitations (accounts and links), newest first."""
    ch = await _channel(request, aud, who, streamer=True)
    return {"invites": await aud.read(aud.db.invites, ch.id)}


class InviteIn(_In):
    user: str | None = Field(default=None, max_length=100)  # an account's name; else a link
    stream: str | None = Field(default=None, max_length=16)  # one stream; else every stream
    label: str = Field(default="", max_length=100)


@endpoint(write=True, status=201)
async def post_invite(request: Request, aud: Audience, who: Who) -> Any:
    """Invite an account (``user``: its name) or make an invitation link (the link is shown
    once: ``url``), to one stream or all the channel's streams. Revocable."""
    ch = await _channel(request, aud, who, streamer=True)
    body = _parse(InviteIn, await _body(request))
    if body.stream is not None:
        stream = await aud.state.store.stream(body.stream)
        if stream is None or stream.channel_id != ch.id:
            raise Refused(404, f"no stream {body.stream!r} on this channel")
    out: dict[str, Any] = {}
    if body.user:
        user = await aud.read(aud.db.user_by_key, skeleton(body.user))
        if user is None:
            raise Refused(404, f"no account named {body.user!r}")
        iid = await aud.write(
            aud.db.add_invite, ch.id, stream_id=body.stream, user_id=user.id, label=body.label
        )
    else:
        token = secrets.token_urlsafe(24)
        digest = hashlib.sha256(token.encode()).hexdigest()
        iid = await aud.write(
            aud.db.add_invite, ch.id, stream_id=body.stream, token_hash=digest, label=body.label
        )
        out["url"] = f"/i/{token}"
    return {"id": iid, **out}


@endpoint(write=True)
async def post_revoke(request: Request, aud: Audience, who: Who) -> Any:
    """Revoke an invitation: its holders lose access at their next request (and their open
    viewer sockets within a few seconds)."""
    ch = await _channel(request, aud, who, streamer=True)
    try:
        iid = int(request.path_params["invite"])
    except ValueError:
        raise Refused(404, "no such invitation") from None
    if not await aud.write(aud.db.revoke_invite, ch.id, iid):
        raise Refused(404, "no such invitation (or revoked already)")
    return {"revoked": iid}


async def get_openapi(request: Request) -> Response:
    """This API, as an OpenAPI 3.1 document."""
    from benchcast.server.audience.openapi import schema

    return JSONResponse(schema(request.app))


routes = [
    Route("/api/session", get_session),
    Route("/api/session/guest", post_guest, methods=["POST"]),
    Route("/api/session/login", post_login, methods=["POST"]),
    Route("/api/session/logout", post_logout, methods=["POST"]),
    Route("/api/streams/{stream_id}/audience", get_audience),
    Route("/api/streams/{stream_id}/visibility", post_stream_visibility, methods=["POST"]),
    *(
        Route(f"/api/streams/{{stream_id}}{a.path}", _action_endpoint(a), methods=["POST"])
        for a in ACTIONS.values()
    ),
    Route("/api/inbox", get_inbox),
    Route("/api/channels/{name}/inbox", get_inbox),
    Route("/api/channels/{name}/settings", get_settings),
    Route("/api/channels/{name}/settings", post_settings, methods=["POST"]),
    Route("/api/channels/{name}/invites", get_invites),
    Route("/api/channels/{name}/invites", post_invite, methods=["POST"]),
    Route("/api/channels/{name}/invites/{invite}/revoke", post_revoke, methods=["POST"]),
    Route("/api/openapi.json", get_openapi),
]
