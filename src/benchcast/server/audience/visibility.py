"""Who may see a stream. One rule, ``can_view``, used by every page, API route, websocket and
blob; listings use ``listed_for``.

- **public**: anyone; listed in the directory, channel pages, search and feeds.
- **unlisted**: anyone with the link; listed only for the channel's staff.
- **private**: the channel's streamer and moderators, admins, the holder of its stream key,
  accounts the streamer invited, and holders of an invitation link that has not been
  revoked (``GET /i/{token}`` puts the invitation in their session). Its archive, events,
  keyframes, blobs, search hits and feeds are refused to everyone else with the same 404 a
  stream that does not exist gets, so a private stream's existence does not leak either.

A stream's visibility is its own (``POST /api/streams/{id}/visibility``) or, unset, its
channel's (``POST /api/channels/{name}/settings``).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from benchcast.server.audience.core import Audience, Refused
from benchcast.server.audience.sessions import Who, identify
from benchcast.store.database import Stream


async def can_view(aud: Audience, who: Who, stream: Stream) -> bool:
    """Whether ``who`` may see anything of ``stream``."""
    if stream.visibility != "private":
        return True
    if who.staff_of(stream.channel_id):
        return True
    if who.user is None and not who.invites:
        return False
    return await aud.read(
        aud.db.invited,
        stream.channel_id,
        stream.id,
        who.user.id if who.user else None,
        who.invites,
    )


def listed_for(who: Who) -> list[int] | None:
    """Channels (ids) all of whose streams a directory may list for ``who`` beyond the public
    ones: those they are staff of; None: every stream (an admin). Invited viewers find a
    private stream by its link; directories never list it for them (an invitation may be
    for one stream, not its channel's others)."""
    if who.admin:
        return None
    channels = {cid for cid, role in who.roles.items() if role in ("streamer", "mod")}
    if who.key_channel is not None:
        channels.add(who.key_channel)
    return sorted(channels)


async def viewable(
    aud: Audience, conn: HTTPConnection, stream_id: str, who: Who | None = None
) -> tuple[Stream, Who]:
    """The stream and the identity, or Refused(404) if it does not exist or ``who`` may not
    see it (the same answer, on purpose)."""
    who = who or await identify(aud, conn)
    stream = await aud.state.store.stream(stream_id)
    if stream is None or not await can_view(aud, who, stream):
        raise Refused(404, f"no stream {stream_id!r}")
    return stream, who


def audience(conn: HTTPConnection) -> Audience:
    """The process's audience service (made by the app at start)."""
    aud: Audience = conn.app.state.audience
    return aud


async def visible_stream(conn: HTTPConnection, stream_id: str) -> Stream | None:
    """The stream if this request may see it; None if it does not exist or may not (the
    caller answers 404 either way)."""
    try:
        stream, _ = await viewable(audience(conn), conn, stream_id)
    except Refused:
        return None
    return stream


async def directory_filter(conn: HTTPConnection) -> list[int] | None:
    """``listed_for`` of the request's identity: pass it to ``Store.streams``."""
    aud = audience(conn)
    return listed_for(await identify(aud, conn))


async def blob_access(conn: HTTPConnection, digest: str) -> str | None:
    """Whether this request may have a blob: "public" (some stream that is not private refers
    to it, or none does yet), "private" (only private streams do, and one is viewable by
    this request: no shared cache may keep it), or None (refuse, as if it did not exist)."""
    aud = audience(conn)
    store = aud.state.store
    ids = await aud.read(aud.db.blob_streams, digest)
    if not ids:
        return "public"
    streams = [s for s in [await store.stream(i) for i in ids[:50]] if s is not None]
    if any(s.visibility != "private" for s in streams):
        return "public"
    who = await identify(aud, conn)
    for s in streams:
        if await can_view(aud, who, s):
            return "private"
    return None


async def can_see_channel(aud: Audience, who: Who, channel_id: int) -> bool:
    """Whether a channel's own page may be shown: a private channel is shown only to its
    staff and to whom it invited (to any of its streams); to others it does not exist."""
    settings = await aud.settings(channel_id)
    if settings.visibility != "private" or who.staff_of(channel_id):
        return True
    if who.user is None and not who.invites:
        return False
    invited = await aud.read(
        aud.db.invited_channels, who.user.id if who.user else None, who.invites
    )
    return channel_id in invited
