"""Moderation: delete and pin messages, time out, ban and unban, appoint moderators.

Every action is a ``chat.delete``, ``chat.pin`` or ``mod.*`` event in the stream's log, so
replay shows what happened when. Sanctions are also kept in the store (``sanctions``), per
channel, so bans and timeouts hold across streams and server restarts. A deleted item is
hidden from every reader from then on — live viewers remove it, and the archive, keyframes,
the inbox and exports serve a ``hidden`` event (``{"id", "kind"}``) in its place.

Bans: an account is banned by its id; a guest by its id *and* the address it last wrote
from, so a new guest name from the same address is banned too (an address ban binds guests
only: accounts behind the same address may still write). The streamer and moderators cannot
be timed out or banned, and only the streamer appoints moderators.
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.engine import Connection

from benchcast.events import Event
from benchcast.server.audience.actions import Body, Ctx, action
from benchcast.server.audience.core import Refused

USER_PATTERN = r"^(u:[0-9]{1,12}|g:[0-9a-f]{20})$"


class DeleteIn(Body):
    reason: str = Field(default="", max_length=200)


@action(
    "chat.delete",
    "/messages/{item}/delete",
    DeleteIn,
    "Delete a message, question or comment: hidden from live and from replay "
    "(moderators; anyone may delete their own)",
)
async def delete(ctx: Ctx, body: DeleteIn) -> dict[str, Any]:
    db, staff = ctx.aud.db, ctx.who.staff_of(ctx.stream.channel_id)

    def check(conn: Connection) -> None:
        assert ctx.item is not None
        item = db.item(ctx.item, conn)
        if item is None or item.stream_id != ctx.stream.id or item.kind == "poll":
            raise Refused(404, f"no message {ctx.item!r} on this stream")
        if item.user != ctx.who.id and not staff:
            raise Refused(403, "only moderators may delete others' messages")
        if item.hidden:
            raise Refused(409, "deleted already")
        db.hide(conn, item)

    data = {"id": ctx.item, "by": ctx.who.id, "reason": body.reason}
    ev, _ = await ctx.aud.append(ctx.stream, "chat.delete", data, check=check)
    return {"seq": ev.seq}


class PinIn(Body):
    pinned: bool = True


@action("chat.pin", "/messages/{item}/pin", PinIn, "Pin a chat message (or unpin it)", "staff")
async def pin(ctx: Ctx, body: PinIn) -> dict[str, Any]:
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        assert ctx.item is not None
        item = db.item(ctx.item, conn)
        if item is None or item.stream_id != ctx.stream.id or item.kind != "chat" or item.hidden:
            raise Refused(404, f"no chat message {ctx.item!r} on this stream")

    data = {"id": ctx.item, "by": ctx.who.id, "pinned": body.pinned}
    ev, _ = await ctx.aud.append(ctx.stream, "chat.pin", data, check=check)
    return {"seq": ev.seq}


class SanctionIn(Body):
    user: str = Field(pattern=USER_PATTERN)
    minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    reason: str = Field(default="", max_length=200)


async def _target(ctx: Ctx, user: str) -> None:
    """Refuse to sanction the streamer, a moderator, or oneself."""
    if user == ctx.who.id:
        raise Refused(400, "you cannot do that to yourself")
    if user.startswith("u:"):
        target = await ctx.aud.read(ctx.aud.db.user, int(user[2:]))
        if target is None:
            raise Refused(404, f"no account {user!r}")
        roles = await ctx.aud.read(ctx.aud.db.roles, target.id)
        if target.admin or roles.get(ctx.stream.channel_id) in ("streamer", "mod"):
            raise Refused(403, "the streamer and moderators cannot be timed out or banned")


async def _sanction(ctx: Ctx, body: SanctionIn, kind: Literal["timeout", "ban"]) -> dict[str, Any]:
    await _target(ctx, body.user)
    aud, channel = ctx.aud, ctx.stream.channel_id
    subjects = [body.user]
    if kind == "ban" and body.user.startswith("g:"):
        ip = await aud.read(aud.db.last_ip, channel, body.user)
        if ip:
            subjects.append(ip)
    minutes = body.minutes or 10 if kind == "timeout" else None
    until = None if minutes is None else time.time() + minutes * 60

    def then(conn: Connection, ev: Event) -> None:
        aud.db.add_sanction(conn, channel, subjects, kind, until, ctx.who.id, body.reason)

    data: dict[str, Any] = {"user": body.user, "by": ctx.who.id, "reason": body.reason}
    if minutes is not None:
        data["minutes"] = minutes
    ev, _ = await aud.append(ctx.stream, f"mod.{kind}", data, then)
    aud.forget(channel)
    return {"seq": ev.seq, "until": until}


@action(
    "mod.timeout",
    "/mod/timeout",
    SanctionIn,
    "Time a viewer out of the channel's chat for N minutes (default 10)",
    "staff",
)
async def timeout(ctx: Ctx, body: SanctionIn) -> dict[str, Any]:
    return await _sanction(ctx, body, "timeout")


@action(
    "mod.ban",
    "/mod/ban",
    SanctionIn,
    "Ban a viewer from the channel's chat (a guest: also its address)",
    "staff",
)
async def ban(ctx: Ctx, body: SanctionIn) -> dict[str, Any]:
    return await _sanction(ctx, body, "ban")


class UnbanIn(Body):
    user: str = Field(pattern=USER_PATTERN)
    reason: str = Field(default="", max_length=200)


@action("mod.unban", "/mod/unban", UnbanIn, "Lift a viewer's ban or timeout", "staff")
async def unban(ctx: Ctx, body: UnbanIn) -> dict[str, Any]:
    aud, channel = ctx.aud, ctx.stream.channel_id
    subjects = [body.user]
    ip = await aud.read(aud.db.last_ip, channel, body.user)
    if ip:
        subjects.append(ip)

    def check(conn: Connection) -> None:
        if not aud.db.lift(conn, channel, subjects):
            raise Refused(409, f"{body.user} is neither banned nor timed out")

    data = {"user": body.user, "by": ctx.who.id, "reason": body.reason}
    ev, _ = await aud.append(ctx.stream, "mod.unban", data, check=check)
    aud.forget(channel)
    return {"seq": ev.seq}


class RoleIn(Body):
    user: str = Field(pattern=r"^u:[0-9]{1,12}$")
    role: Literal["mod", "viewer"]


@action(
    "mod.role",
    "/mod/role",
    RoleIn,
    "Appoint an account moderator of the channel (role: mod), or take it back (viewer)",
    "streamer",
)
async def role(ctx: Ctx, body: RoleIn) -> dict[str, Any]:
    aud, channel = ctx.aud, ctx.stream.channel_id
    target = await aud.read(aud.db.user, int(body.user[2:]))
    if target is None:
        raise Refused(404, f"no account {body.user!r}")
    roles = await aud.read(aud.db.roles, target.id)
    if roles.get(channel) == "streamer" or target.admin:
        raise Refused(403, "the streamer's role is set with `benchcast user grant`")
    await aud.write(aud.db.set_role, channel, target.id, "mod" if body.role == "mod" else None)
    data = {"user": body.user, "by": ctx.who.id, "role": body.role}
    ev, _ = await aud.append(ctx.stream, "mod.role", data)
    aud.forget(channel)
    return {"seq": ev.seq}


def is_user_id(value: str) -> bool:
    return re.match(USER_PATTERN, value) is not None
