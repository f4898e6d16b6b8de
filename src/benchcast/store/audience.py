"""The audience's tables (schema.py): accounts, channel settings and roles, invitations,
sanctions, and the index of the audience's items with their votes and hidden events.

Synchronous and thread-safe like ``Store``; the server calls it through ``AsyncStore.read`` and
``AsyncStore.write`` (writes on the one writer thread). Policy — who may do what — lives in
``server/audience/``; this module only keeps and finds.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from benchcast.store import schema
from benchcast.store.database import Channel, Store, StoreError, _insert_new

VISIBILITIES = ("public", "unlisted", "private")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str  # admin | user
    session_gen: int
    password_hash: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ChannelSettings:
    channel_id: int
    visibility: str = "public"
    accounts_only: bool = False
    slow_seconds: int = 0
    filter: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        return {
            "visibility": self.visibility,
            "accounts_only": self.accounts_only,
            "slow_seconds": self.slow_seconds,
            "filter": list(self.filter),
        }


@dataclass(frozen=True)
class Sanction:
    subject: str
    kind: str  # ban | timeout
    until: float | None
    reason: str


@dataclass(frozen=True)
class Item:
    """An audience item as indexed: a chat message, question, comment or poll."""

    id: str
    stream_id: str
    seq: int
    t: float
    kind: str
    user: str
    ip: str
    data: dict[str, Any]
    status: str
    status_seq: int | None
    status_t: float | None
    votes: int
    staff_mentioned: bool
    hidden: bool

    def public(self) -> dict[str, Any]:
        """As the inbox API shows it (never the writer's address)."""
        return {
            "id": self.id,
            "stream": self.stream_id,
            "seq": self.seq,
            "t": self.t,
            "type": self.kind,
            "data": self.data,
            "status": self.status,
            "status_seq": self.status_seq,
            "status_t": self.status_t,
            "votes": self.votes,
            "mentions_staff": self.staff_mentioned,
        }


def _item(row: Any) -> Item:
    return Item(
        id=row.id,
        stream_id=row.stream_id,
        seq=row.seq,
        t=row[3],  # Row.t is SQLAlchemy's own accessor
        kind=row.kind,
        user=row.user,
        ip=row.ip,
        data=json.loads(row.data),
        status=row.status,
        status_seq=row.status_seq,
        status_t=row.status_t,
        votes=row.votes,
        staff_mentioned=bool(row.staff_mentioned),
        hidden=bool(row.hidden),
    )


class AudienceStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ── shared secrets ───────────────────────────────────────────────────────────────────

    def secret(self, name: str) -> str:
        """A random value made once and kept, the same for every server process."""
        t = schema.server_secrets
        with self.engine.begin() as conn:
            _insert_new(conn, t, {"name": name, "value": secrets.token_urlsafe(48)})
            return str(conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one())

    # ── accounts ─────────────────────────────────────────────────────────────────────────

    def add_user(self, name: str, name_key: str, password_hash: str, role: str) -> User:
        u = schema.users
        with self.engine.begin() as conn:
            if conn.execute(select(u.c.id).where(u.c.name_key == name_key)).first():
                raise StoreError(f"the name {name!r} is taken (or looks like one that is)")
            try:
                uid = conn.execute(
                    insert(u).values(
                        name=name,
                        name_key=name_key,
                        password_hash=password_hash,
                        role=role,
                        session_gen=0,
                        created_at=time.time(),
                    )
                ).inserted_primary_key
            except IntegrityError:
                raise StoreError(f"the name {name!r} is taken") from None
        assert uid is not None
        return User(int(uid[0]), name, role, 0, password_hash)

    def _user_where(self, cond: Any) -> User | None:
        u = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(select(u).where(cond)).first()
        if row is None:
            return None
        return User(row.id, row.name, row.role, row.session_gen, row.password_hash)

    def user(self, user_id: int) -> User | None:
        return self._user_where(schema.users.c.id == user_id)

    def user_by_key(self, name_key: str) -> User | None:
        return self._user_where(schema.users.c.name_key == name_key)

    def name_taken(self, name_key: str) -> bool:
        return self.user_by_key(name_key) is not None

    def set_password(self, user_id: int, password_hash: str) -> None:
        """A new password signs every session of the account out."""
        u = schema.users
        with self.engine.begin() as conn:
            conn.execute(
                update(u)
                .where(u.c.id == user_id)
                .values(password_hash=password_hash, session_gen=u.c.session_gen + 1)
            )

    def users(self) -> list[User]:
        u = schema.users
        with self.engine.connect() as conn:
            return [
                User(r.id, r.name, r.role, r.session_gen, r.password_hash)
                for r in conn.execute(select(u).order_by(u.c.id))
            ]

    def channels(self, ids: Collection[int] | None = None) -> list[Channel]:
        """Every channel (or those with these ids), by name."""
        c = schema.channels
        q = select(c.c.id, c.c.name, c.c.created_at).order_by(c.c.name)
        if ids is not None:
            q = q.where(c.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return [Channel(id=i, name=n, created_at=t) for i, n, t in conn.execute(q)]

    # ── channel roles ────────────────────────────────────────────────────────────────────

    def roles(self, user_id: int) -> dict[int, str]:
        """The channels (ids) where the account is ``streamer`` or ``mod``."""
        r = schema.channel_roles
        with self.engine.connect() as conn:
            return {
                int(cid): str(role)
                for cid, role in conn.execute(
                    select(r.c.channel_id, r.c.role).where(r.c.user_id == user_id)
                )
            }

    def set_role(self, channel_id: int, user_id: int, role: str | None) -> None:
        r = schema.channel_roles
        with self.engine.begin() as conn:
            conn.execute(delete(r).where(r.c.channel_id == channel_id, r.c.user_id == user_id))
            if role is not None:
                conn.execute(insert(r).values(channel_id=channel_id, user_id=user_id, role=role))

    def staff(self, channel_id: int) -> list[dict[str, Any]]:
        r, u = schema.channel_roles, schema.users
        q = (
            select(u.c.id, u.c.name, r.c.role)
            .join(r, r.c.user_id == u.c.id)
            .where(r.c.channel_id == channel_id)
            .order_by(r.c.role.desc(), u.c.name)
        )
        with self.engine.connect() as conn:
            return [{"user": f"u:{i}", "name": n, "role": role} for i, n, role in conn.execute(q)]

    def staff_names(self, channel_id: int) -> set[str]:
        """Names of the channel's streamers and moderators, and of every admin, case folded."""
        r, u = schema.channel_roles, schema.users
        q = select(u.c.name).where(
            or_(
                u.c.role == "admin",
                u.c.id.in_(select(r.c.user_id).where(r.c.channel_id == channel_id)),
            )
        )
        with self.engine.connect() as conn:
            return {str(n).casefold() for n in conn.execute(q).scalars()}

    # ── channel settings and visibility ──────────────────────────────────────────────────

    def settings(self, channel_id: int) -> ChannelSettings:
        cs = schema.channel_settings
        with self.engine.connect() as conn:
            row = conn.execute(select(cs).where(cs.c.channel_id == channel_id)).first()
        if row is None:
            return ChannelSettings(channel_id)
        return ChannelSettings(
            channel_id,
            row.visibility,
            bool(row.accounts_only),
            row.slow_seconds,
            tuple(json.loads(row.filter)),
        )

    def put_settings(self, settings: ChannelSettings) -> None:
        cs = schema.channel_settings
        values = {
            "visibility": settings.visibility,
            "accounts_only": settings.accounts_only,
            "slow_seconds": settings.slow_seconds,
            "filter": json.dumps(list(settings.filter)),
            "updated_at": time.time(),
        }
        with self.engine.begin() as conn:
            n = conn.execute(
                update(cs).where(cs.c.channel_id == settings.channel_id).values(**values)
            ).rowcount
            if not n:
                conn.execute(insert(cs).values(channel_id=settings.channel_id, **values))

    def set_stream_visibility(self, stream_id: str, visibility: str | None) -> None:
        s = schema.streams
        with self.engine.begin() as conn:
            conn.execute(update(s).where(s.c.id == stream_id).values(visibility=visibility))

    # ── invitations ──────────────────────────────────────────────────────────────────────

    def add_invite(
        self,
        channel_id: int,
        *,
        stream_id: str | None = None,
        user_id: int | None = None,
        token_hash: str | None = None,
        label: str = "",
    ) -> int:
        i = schema.invites
        with self.engine.begin() as conn:
            iid = conn.execute(
                insert(i).values(
                    channel_id=channel_id,
                    stream_id=stream_id,
                    user_id=user_id,
                    token_hash=token_hash,
                    label=label,
                    created_at=time.time(),
                )
            ).inserted_primary_key
        assert iid is not None
        return int(iid[0])

    def revoke_invite(self, channel_id: int, invite_id: int) -> bool:
        i = schema.invites
        with self.engine.begin() as conn:
            n = conn.execute(
                update(i)
                .where(i.c.id == invite_id, i.c.channel_id == channel_id, i.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            ).rowcount
        return bool(n)

    def invites(self, channel_id: int) -> list[dict[str, Any]]:
        i, u = schema.invites, schema.users
        q = (
            select(i, u.c.name.label("user_name"))
            .outerjoin(u, u.c.id == i.c.user_id)
            .where(i.c.channel_id == channel_id)
            .order_by(i.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [
                {
                    "id": r.id,
                    "stream": r.stream_id,
                    "user": None if r.user_id is None else f"u:{r.user_id}",
                    "name": r.user_name,
                    "link": r.token_hash is not None,
                    "label": r.label,
                    "created_at": r.created_at,
                    "revoked": r.revoked_at is not None,
                }
                for r in conn.execute(q)
            ]

    def invite_for_token(self, token_hash: str) -> tuple[int, int, str | None] | None:
        """(id, channel id, stream id) of the live (not revoked) invitation of a link."""
        i = schema.invites
        with self.engine.connect() as conn:
            row = conn.execute(
                select(i.c.id, i.c.channel_id, i.c.stream_id).where(
                    i.c.token_hash == token_hash, i.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else (int(row[0]), int(row[1]), row[2])

    def _invited(self, user_id: int | None, invite_ids: Collection[int]) -> Any:
        i = schema.invites
        who = []
        if user_id is not None:
            who.append(i.c.user_id == user_id)
        if invite_ids:
            who.append(and_(i.c.id.in_(list(invite_ids)), i.c.token_hash.is_not(None)))
        return and_(i.c.revoked_at.is_(None), or_(*who)) if who else None

    def invited(
        self, channel_id: int, stream_id: str, user_id: int | None, invite_ids: Collection[int]
    ) -> bool:
        """Whether an account (or the holder of these link invitations) may see the stream."""
        i = schema.invites
        cond = self._invited(user_id, invite_ids)
        if cond is None:
            return False
        q = select(i.c.id).where(
            cond,
            i.c.channel_id == channel_id,
            or_(i.c.stream_id.is_(None), i.c.stream_id == stream_id),
        )
        with self.engine.connect() as conn:
            return conn.execute(q.limit(1)).first() is not None

    def invited_channels(self, user_id: int | None, invite_ids: Collection[int]) -> set[int]:
        i = schema.invites
        cond = self._invited(user_id, invite_ids)
        if cond is None:
            return set()
        with self.engine.connect() as conn:
            return {int(c) for c in conn.execute(select(i.c.channel_id).where(cond)).scalars()}

    # ── sanctions ────────────────────────────────────────────────────────────────────────

    def add_sanction(
        self,
        conn: Connection,
        channel_id: int,
        subjects: Collection[str],
        kind: str,
        until: float | None,
        by: str,
        reason: str,
    ) -> None:
        rows = [
            {
                "channel_id": channel_id,
                "subject": s,
                "kind": kind,
                "until": until,
                "by": by,
                "reason": reason,
                "created_at": time.time(),
            }
            for s in subjects
        ]
        conn.execute(insert(schema.sanctions), rows)

    def lift(self, conn: Connection, channel_id: int, subjects: Collection[str]) -> int:
        sa = schema.sanctions
        return int(
            conn.execute(
                update(sa)
                .where(
                    sa.c.channel_id == channel_id,
                    sa.c.subject.in_(list(subjects)),
                    sa.c.lifted_at.is_(None),
                )
                .values(lifted_at=time.time())
            ).rowcount
        )

    def sanctions(self, channel_id: int, now: float | None = None) -> dict[str, Sanction]:
        """The sanctions in force on the channel, by subject (a ban wins over a timeout)."""
        now = time.time() if now is None else now
        sa = schema.sanctions
        q = select(sa.c.subject, sa.c.kind, sa.c.until, sa.c.reason).where(
            sa.c.channel_id == channel_id,
            sa.c.lifted_at.is_(None),
            or_(sa.c.until.is_(None), sa.c.until > now),
        )
        out: dict[str, Sanction] = {}
        with self.engine.connect() as conn:
            for subject, kind, until, reason in conn.execute(q):
                old = out.get(subject)
                if (
                    old is None
                    or kind == "ban"
                    or (old.kind != "ban" and (until or 0) > (old.until or 0))
                ):
                    out[subject] = Sanction(subject, kind, until, reason)
        return out

    # ── the audience's items ─────────────────────────────────────────────────────────────

    def add_item(
        self,
        conn: Connection,
        *,
        item_id: str,
        stream_id: str,
        seq: int,
        t: float,
        kind: str,
        user: str,
        ip: str,
        data: dict[str, Any],
        status: str = "open",
        staff_mentioned: bool = False,
    ) -> None:
        conn.execute(
            insert(schema.audience_items).values(
                id=item_id,
                stream_id=stream_id,
                seq=seq,
                t=t,
                kind=kind,
                user=user,
                ip=ip,
                data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
                status=status,
                votes=0,
                staff_mentioned=staff_mentioned,
                hidden=False,
            )
        )

    def item(self, item_id: str, conn: Connection | None = None) -> Item | None:
        a = schema.audience_items
        q = select(a).where(a.c.id == item_id)
        if conn is not None:
            row = conn.execute(q).first()
        else:
            with self.engine.connect() as c:
                row = c.execute(q).first()
        return None if row is None else _item(row)

    def set_status(self, conn: Connection, item_id: str, status: str, seq: int, t: float) -> None:
        a = schema.audience_items
        conn.execute(
            update(a).where(a.c.id == item_id).values(status=status, status_seq=seq, status_t=t)
        )

    def hide(self, conn: Connection, item: Item) -> None:
        a = schema.audience_items
        conn.execute(update(a).where(a.c.id == item.id).values(hidden=True))
        _insert_new(
            conn,
            schema.hidden_events,
            {"stream_id": item.stream_id, "seq": item.seq, "item_id": item.id},
        )

    def vote(self, conn: Connection, item_id: str, user: str, choice: int) -> bool:
        """Record a vote; False when this user has voted on the item already."""
        v, a = schema.votes, schema.audience_items
        if conn.execute(select(v.c.choice).where(v.c.item_id == item_id, v.c.user == user)).first():
            return False
        conn.execute(insert(v).values(item_id=item_id, user=user, choice=choice))
        conn.execute(update(a).where(a.c.id == item_id).values(votes=a.c.votes + 1))
        return True

    def unvote(self, conn: Connection, item_id: str, user: str) -> bool:
        v, a = schema.votes, schema.audience_items
        n = conn.execute(delete(v).where(v.c.item_id == item_id, v.c.user == user)).rowcount
        if n:
            conn.execute(update(a).where(a.c.id == item_id).values(votes=a.c.votes - 1))
        return bool(n)

    def my_votes(self, stream_id: str, user: str) -> dict[str, int]:
        """What a user voted on a stream: item id → choice."""
        v, a = schema.votes, schema.audience_items
        q = (
            select(v.c.item_id, v.c.choice)
            .join(a, a.c.id == v.c.item_id)
            .where(a.c.stream_id == stream_id, v.c.user == user)
        )
        with self.engine.connect() as conn:
            return {str(i): int(c) for i, c in conn.execute(q)}

    def items(
        self,
        stream_ids: Collection[str],
        kinds: Collection[str],
        *,
        limit: int = 200,
        statuses: Collection[str] | None = None,
        mentions_only: bool = False,
    ) -> list[Item]:
        """Visible items of these streams, newest first."""
        a = schema.audience_items
        q = select(a).where(
            a.c.stream_id.in_(list(stream_ids)), a.c.kind.in_(list(kinds)), a.c.hidden.is_(False)
        )
        if statuses is not None:
            q = q.where(a.c.status.in_(list(statuses)))
        if mentions_only:
            q = q.where(a.c.staff_mentioned.is_(True))
        q = q.order_by(a.c.seq.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_item(r) for r in conn.execute(q)]

    def tally(self, item_ids: Collection[str]) -> dict[str, dict[int, int]]:
        """Votes per choice of each item (a poll's options)."""
        v = schema.votes
        q = (
            select(v.c.item_id, v.c.choice, func.count())
            .where(v.c.item_id.in_(list(item_ids)))
            .group_by(v.c.item_id, v.c.choice)
        )
        out: dict[str, dict[int, int]] = {}
        with self.engine.connect() as conn:
            for item, choice, n in conn.execute(q):
                out.setdefault(str(item), {})[int(choice)] = int(n)
        return out

    def sanction_list(self, channel_id: int) -> list[dict[str, Any]]:
        """Sanctions in force on the channel, newest first."""
        now = time.time()
        sa = schema.sanctions
        q = (
            select(sa)
            .where(
                sa.c.channel_id == channel_id,
                sa.c.lifted_at.is_(None),
                or_(sa.c.until.is_(None), sa.c.until > now),
                sa.c.subject.not_like("ip:%"),
            )
            .order_by(sa.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [
                {
                    "user": r.subject,
                    "kind": r.kind,
                    "until": r.until,
                    "by": r.by,
                    "reason": r.reason,
                    "at": r.created_at,
                }
                for r in conn.execute(q)
            ]

    def names(self, users: Collection[str]) -> dict[str, str]:
        """The display name each user last wrote under."""
        a = schema.audience_items
        q = (
            select(a.c.user, a.c.data)
            .where(a.c.user.in_(list(users)), a.c.kind != "poll")
            .order_by(a.c.seq.desc())
            .limit(5000)
        )
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for user, data in conn.execute(q):
                out.setdefault(str(user), str(json.loads(data).get("name", "")))
        return out

    def last_ip(self, channel_id: int, user: str) -> str | None:
        """The address (keyed hash) a user last wrote from on the channel."""
        a, s = schema.audience_items, schema.streams
        q = (
            select(a.c.ip)
            .join(s, s.c.id == a.c.stream_id)
            .where(s.c.channel_id == channel_id, a.c.user == user)
            .order_by(a.c.t.desc(), a.c.seq.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            v = conn.execute(q).scalar()
        return None if v is None else str(v)

    def blob_streams(self, digest: str) -> list[str]:
        """The streams that refer to a blob."""
        b = schema.blob_refs
        with self.engine.connect() as conn:
            return [
                str(s)
                for s in conn.execute(select(b.c.stream_id).where(b.c.hash == digest)).scalars()
            ]

    def counts(self, stream_id: str) -> dict[str, int]:
        a = schema.audience_items
        q = (
            select(a.c.kind, func.count())
            .where(a.c.stream_id == stream_id, a.c.hidden.is_(False))
            .group_by(a.c.kind)
        )
        with self.engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(q)}
