"""Who is asking: sessions in a signed cookie, the identity they make, and CSRF protection.

One cookie, ``benchcast_session``, signed with a key the server makes once and keeps in its
store (all processes share it), holds::

    {"c": CSRF token, "u": account id, "v": the account's session generation,
     "g": guest token, "n": guest display name, "i": [link invitation ids]}

Anyone may watch without one; a page visit gives an anonymous session (a CSRF token only).
Writing needs a guest name (``POST /api/session/guest``) or an account (``/login``). A
request carrying ``Authorization: Bearer KEY`` with a channel's stream key acts as that
channel's streamer (scripts, ``benchcast inbox``) and needs no cookie or CSRF token.

CSRF: every state-changing request made with the cookie must send the session's token, in
the ``X-CSRF-Token`` header (API) or a ``csrf`` form field (HTML forms), and a browser's
``Origin``, when sent, must be this server's own. Websockets check the ``Origin`` the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

from benchcast.server.audience.core import Audience, Refused
from benchcast.store.audience import User

COOKIE = "benchcast_session"
MAX_AGE = 30 * 24 * 3600
MAX_INVITES = 20


@dataclass(frozen=True)
class Session:
    csrf: str
    user: int | None = None
    gen: int = 0
    guest: str | None = None
    guest_name: str | None = None
    invites: tuple[int, ...] = ()

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {"c": self.csrf}
        if self.user is not None:
            out["u"], out["v"] = self.user, self.gen
        if self.guest is not None:
            out["g"], out["n"] = self.guest, self.guest_name
        if self.invites:
            out["i"] = list(self.invites)
        return out

    @classmethod
    def load(cls, obj: Any) -> Session | None:
        if not isinstance(obj, dict) or not isinstance(obj.get("c"), str):
            return None
        try:
            return cls(
                csrf=obj["c"],
                user=None if obj.get("u") is None else int(obj["u"]),
                gen=int(obj.get("v", 0)),
                guest=None if obj.get("g") is None else str(obj["g"]),
                guest_name=None if obj.get("n") is None else str(obj["n"]),
                invites=tuple(int(i) for i in obj.get("i", ()))[:MAX_INVITES],
            )
        except (TypeError, ValueError):
            return None


def new_session() -> Session:
    return Session(csrf=secrets.token_urlsafe(24))


@dataclass(frozen=True)
class Who:
    """The identity a request acts as. ``id`` is what events name: ``u:42`` (an account),
    ``g:…`` (a guest), ``c:NAME`` (a channel's stream key); empty for an anonymous viewer."""

    id: str = ""
    name: str = ""
    kind: str = "anonymous"  # anonymous | guest | account | key
    ip: str = ""
    user: User | None = None
    roles: dict[int, str] = field(default_factory=dict)  # channel id → streamer | mod
    key_channel: int | None = None
    invites: tuple[int, ...] = ()
    session: Session = field(default_factory=new_session)
    #: The session changed while handling the request: the response sets the cookie again.
    dirty: bool = False

    @property
    def admin(self) -> bool:
        return self.user is not None and self.user.admin

    def role_in(self, channel_id: int) -> str | None:
        """streamer, mod, viewer (an account), guest, or None (an anonymous viewer)."""
        if self.admin or self.key_channel == channel_id:
            return "streamer"
        role = self.roles.get(channel_id)
        if role is not None:
            return role
        return {"account": "viewer", "guest": "guest"}.get(self.kind)

    def staff_of(self, channel_id: int) -> bool:
        return self.role_in(channel_id) in ("streamer", "mod")

    def streamer_of(self, channel_id: int) -> bool:
        return self.role_in(channel_id) == "streamer"

    def public(self) -> dict[str, Any]:
        return {
            "user": self.id or None,
            "name": self.name or None,
            "kind": self.kind,
            "admin": self.admin,
            "csrf": self.session.csrf,
        }


def _serializer(aud: Audience) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(aud.secret, salt="benchcast.session")


def guest_id(aud: Audience, token: str) -> str:
    return "g:" + hmac.new(aud.secret, token.encode(), hashlib.sha256).hexdigest()[:20]


async def identify(aud: Audience, conn: HTTPConnection) -> Who:
    """The identity of a request or websocket (never raises: a bad cookie is no cookie)."""
    ip = aud.ip_key(conn)
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        key = auth[7:].strip()
        channel = await aud.read(aud.state.store.sync.channel_for_key, key) if key else None
        if channel is None:
            return Who(ip=ip, kind="anonymous")
        return Who(
            id=f"c:{channel.name}",
            name=channel.name,
            kind="key",
            ip=ip,
            key_channel=channel.id,
        )
    session: Session | None = None
    raw = conn.cookies.get(COOKIE)
    if raw:
        try:
            session = Session.load(_serializer(aud).loads(raw, max_age=MAX_AGE))
        except BadSignature:
            session = None
    if session is None:
        return Who(ip=ip, session=new_session(), dirty=True)
    if session.user is not None:
        user = await aud.read(aud.db.user, session.user)
        if user is not None and user.session_gen == session.gen:
            roles = await aud.read(aud.db.roles, user.id)
            return Who(
                id=f"u:{user.id}",
                name=user.name,
                kind="account",
                ip=ip,
                user=user,
                roles=roles,
                invites=session.invites,
                session=session,
            )
        session = replace(session, user=None, gen=0)
    if session.guest is not None and session.guest_name:
        return Who(
            id=guest_id(aud, session.guest),
            name=session.guest_name,
            kind="guest",
            ip=ip,
            invites=session.invites,
            session=session,
        )
    return Who(ip=ip, invites=session.invites, session=session)


def with_session(who: Who, session: Session) -> Who:
    return replace(who, session=session, dirty=True)


def save(aud: Audience, who: Who, response: Response, conn: HTTPConnection) -> Response:
    """Set the session cookie on ``response`` if the request changed (or made) it."""
    if who.dirty and who.kind != "key":
        response.set_cookie(
            COOKIE,
            _serializer(aud).dumps(who.session.dump()),
            max_age=MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=conn.url.scheme in ("https", "wss"),
            path="/",
        )
    return response


def clear(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/")
    return response


def same_origin(conn: HTTPConnection) -> bool:
    """A browser's Origin, when it sends one, names this server (host and port)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    host = conn.headers.get("host", "")
    try:
        return urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False


def check_csrf(conn: HTTPConnection, who: Who, token: str | None) -> None:
    """Refuse (403) a state-changing request that a page of another site could have made."""
    if who.kind == "key":
        return
    if not same_origin(conn):
        raise Refused(403, "cross-site request refused")
    if not token or not hmac.compare_digest(token, who.session.csrf):
        raise Refused(
            403, "missing or wrong CSRF token: send X-CSRF-Token (GET /api/session gives it)"
        )
