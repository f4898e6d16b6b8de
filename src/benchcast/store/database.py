"""The store: channels, streams, the event log, keyframes and blobs, behind one class.

Everything here is synchronous and safe to call from several threads; the server reaches it
through ``AsyncStore`` (one writer thread, a few reader threads). The backend is chosen by URL:
``sqlite:///path/to/benchcast.db`` (the default, in WAL mode) or ``postgresql://…`` (through
psycopg 3, imported only then: ``pip install 'benchcast[postgres]'``). Opening a store brings
its schema up to date (``store/migrate.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection, make_url

from benchcast.events import Draft, Event, blob_refs
from benchcast.store import migrate, schema

#: What every reader gets in place of an event a moderator hid (``chat.delete``): an event of
#: this kind, at the same seq, with data ``{"id": ITEM, "kind": THE HIDDEN EVENT'S KIND}``.
#: It is not a kind of the contract (nothing appends it), so every fold and panel that does
#: not know it ignores it, as they ignore any kind they do not know.
HIDDEN = "hidden"

CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
KEY_PREFIX = "bck_"
#: A stream not ended but silent this long (seconds) is treated as over: its publisher died.
ABANDONED_AFTER = 6 * 3600.0


class StoreError(Exception):
    """A request the store refuses; the message says why."""


class LeaseLost(StoreError):
    """The stream's publisher lease is held by another connection; this one may not append."""


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    created_at: float


@dataclass(frozen=True)
class Stream:
    id: str
    channel: str
    title: str
    tags: list[str]
    started_at: float
    ended_at: float | None
    last_seq: int
    last_pseq: int
    last_t: float
    #: public | unlisted | private: the stream's own, else its channel's (audience/visibility.py).
    visibility: str = "public"
    channel_id: int = 0

    @property
    def live(self) -> bool:
        """Not ended, and heard from recently: a publisher that died without ending its
        stream (and was never resumed) does not leave it "live" forever."""
        return self.ended_at is None and time.time() - self.last_heard < ABANDONED_AFTER

    @property
    def last_heard(self) -> float:
        """Wall-clock time of the stream's last event (its start if it has none)."""
        return self.started_at + self.last_t

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "title": self.title,
            "tags": self.tags,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "live": self.live,
            "events": self.last_seq,
            "duration": self.last_t,
            "visibility": self.visibility,
        }


@dataclass(frozen=True)
class Keyframe:
    stream_id: str
    seq: int
    t: float
    state: dict[str, Any]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'benchcast.db'}"


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a store URL: ``postgresql://`` means psycopg 3, not psycopg2."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def display_url(url: str) -> str:
    """The store URL with any password hidden, fit for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0] + "://…"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an event is acknowledged only once it would survive a power cut, not just a crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _event_json(seq: int, t: float, kind: str, source: str, data: str) -> str:
    # Built by hand so the payload, already JSON in the store, is not decoded and re-encoded.
    return (
        f'{{"seq":{seq},"t":{t!r},"kind":{json.dumps(kind)},'
        f'"source":{json.dumps(source)},"data":{data}}}'
    )


class Store:
    """The truth of every stream. Appends are atomic per batch; reads never block writes."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif url.startswith(("postgresql", "postgres:")):
            # Readers, the writer and the keyframer each hold at most one connection at a time.
            self.engine = create_engine(
                engine_url(url), pool_pre_ping=True, pool_size=8, max_overflow=8
            )
        else:
            scheme = url.split(":", 1)[0]
            raise StoreError(
                f"unsupported store URL scheme {scheme!r}: use sqlite:///… or postgresql://…"
            )
        try:
            migrate.upgrade(self.engine)
        except Exception:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    # ── channels ─────────────────────────────────────────────────────────────────────────

    def create_channel(self, name: str) -> tuple[Channel, str]:
        """Create a channel; return it and its stream key (shown once, stored only hashed)."""
        if not CHANNEL_NAME.match(name):
            raise StoreError(
                "channel names are 1-64 characters: lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        now = time.time()
        with self.engine.begin() as conn:
            if conn.execute(
                select(schema.channels.c.id).where(schema.channels.c.name == name)
            ).first():
                raise StoreError(f"a channel named {name!r} already exists")
            cid = conn.execute(
                insert(schema.channels).values(name=name, key_hash=hash_key(key), created_at=now)
            ).inserted_primary_key
            assert cid is not None
        return Channel(id=int(cid[0]), name=name, created_at=now), key

    def rotate_key(self, name: str) -> str:
        """Give a channel a new stream key (the old one stops working); return it."""
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            n = conn.execute(
                update(schema.channels)
                .where(schema.channels.c.name == name)
                .values(key_hash=hash_key(key))
            ).rowcount
        if not n:
            raise StoreError(f"no channel named {name!r}")
        return key

    def channel_for_key(self, key: str) -> Channel | None:
        """The channel this stream key opens, or None. The comparison is constant-time."""
        digest = hash_key(key)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.channels).where(schema.channels.c.key_hash == digest)
            ).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        return Channel(id=row.id, name=row.name, created_at=row.created_at)

    def channel(self, name: str) -> Channel | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.channels).where(schema.channels.c.name == name)
            ).first()
        return None if row is None else Channel(id=row.id, name=row.name, created_at=row.created_at)

    # ── streams ──────────────────────────────────────────────────────────────────────────

    def create_stream(
        self, channel: Channel, title: str, tags: Sequence[str], started_at: float | None = None
    ) -> Stream:
        sid = secrets.token_hex(6)
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.streams).values(
                    id=sid,
                    channel_id=channel.id,
                    title=title,
                    tags=json.dumps(list(tags)),
                    started_at=started_at if started_at is not None else time.time(),
                    last_seq=0,
                    last_pseq=0,
                    last_t=0.0,
                )
            )
        stream = self.stream(sid)
        assert stream is not None
        return stream

    def _streams_query(self) -> Any:
        s, c, cs = schema.streams, schema.channels, schema.channel_settings
        return (
            select(s, c.c.name.label("channel_name"), _VISIBILITY.label("effective_visibility"))
            .join(c, s.c.channel_id == c.c.id)
            .outerjoin(cs, cs.c.channel_id == c.c.id)
        )

    @staticmethod
    def _stream_row(row: Any) -> Stream:
        return Stream(
            id=row.id,
            channel=row.channel_name,
            title=row.title,
            tags=json.loads(row.tags),
            started_at=row.started_at,
            ended_at=row.ended_at,
            last_seq=row.last_seq,
            last_pseq=row.last_pseq,
            last_t=row.last_t,
            visibility=row.effective_visibility,
            channel_id=row.channel_id,
        )

    def stream(self, stream_id: str) -> Stream | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                self._streams_query().where(schema.streams.c.id == stream_id)
            ).first()
        return None if row is None else self._stream_row(row)

    def streams(
        self,
        *,
        channel: str | None = None,
        live: bool | None = None,
        limit: int = 100,
        listed_for: Collection[int] | None = None,
    ) -> list[Stream]:
        """Streams, newest first. With ``listed_for``, only those a directory may list: the
        public ones, and every stream of the channels (ids) given (the viewer's own, or those
        they were invited to; audience/visibility.py decides which)."""
        q = self._streams_query()
        if channel is not None:
            q = q.where(schema.channels.c.name == channel)
        if listed_for is not None:
            q = q.where(
                or_(_VISIBILITY == "public", schema.streams.c.channel_id.in_(list(listed_for)))
            )
        s = schema.streams
        heard = s.c.started_at + s.c.last_t
        cutoff = time.time() - ABANDONED_AFTER
        if live is True:
            q = q.where(s.c.ended_at.is_(None), heard >= cutoff)
        elif live is False:
            q = q.where(or_(s.c.ended_at.is_not(None), heard < cutoff))
        q = q.order_by(s.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [self._stream_row(r) for r in conn.execute(q)]

    def end_stream(self, stream_id: str, ended_at: float | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.streams)
                .where(schema.streams.c.id == stream_id, schema.streams.c.ended_at.is_(None))
                .values(ended_at=ended_at if ended_at is not None else time.time())
            )

    def reopen_stream(self, stream_id: str) -> None:
        """Mark an ended stream live again (its publisher resumed after a crash)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.streams).where(schema.streams.c.id == stream_id).values(ended_at=None)
            )

    # ── the log ──────────────────────────────────────────────────────────────────────────

    def take_lease(self, stream_id: str, holder: str) -> None:
        """Make ``holder`` the stream's one publisher; whoever held it can append no more.

        The newest connection always wins: it is the publisher that reconnected, wherever it
        landed. The holder before it finds out at its next append (``LeaseLost``).
        """
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.streams)
                .where(schema.streams.c.id == stream_id)
                .values(publisher=holder)
            )

    def lease_holder(self, stream_id: str) -> str | None:
        """The connection that holds the stream's publisher lease, if any."""
        s = schema.streams
        with self.engine.connect() as conn:
            v = conn.execute(select(s.c.publisher).where(s.c.id == stream_id)).scalar()
        return None if v is None else str(v)

    def release_lease(self, stream_id: str, holder: str) -> None:
        """Give the lease up, if ``holder`` still has it."""
        s = schema.streams
        with self.engine.begin() as conn:
            conn.execute(
                update(s).where(s.c.id == stream_id, s.c.publisher == holder).values(publisher=None)
            )

    def append(
        self, stream_id: str, drafts: Iterable[Draft], *, holder: str | None = None
    ) -> list[Event]:
        """Append drafts in order, in one transaction; return the events as stored.

        A draft whose ``pseq`` is not above the stream's last stored pseq is a resend of an
        event already stored, and is skipped (publishers number their events densely and send
        them in order, so the highest pseq seen is all the memory deduplication needs).

        With ``holder``, the append happens only while that connection holds the stream's
        publisher lease, checked under the same row lock that assigns the seqs: a replaced
        publisher can never write again, even one whose process has not heard yet. Raises
        ``LeaseLost`` otherwise.
        """
        with self.engine.begin() as conn:
            return self._append(conn, stream_id, drafts, holder)

    def _append(
        self, conn: Connection, stream_id: str, drafts: Iterable[Draft], holder: str | None
    ) -> list[Event]:
        s = schema.streams
        q = select(s.c.last_seq, s.c.last_pseq, s.c.last_t, s.c.publisher).where(
            s.c.id == stream_id
        )
        if conn.dialect.name == "postgresql":
            # Serialises seq assignment between processes (SQLite has one writer anyway).
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise StoreError(f"no stream {stream_id!r}")
        seq, pseq, last_t, lease = row
        if holder is not None and lease != holder:
            raise LeaseLost(f"stream {stream_id} has another publisher")
        out: list[Event] = []
        rows: list[dict[str, Any]] = []
        for d in drafts:
            if d.pseq is not None:
                if d.pseq <= pseq:
                    continue
                pseq = d.pseq
            seq += 1
            # Stream time never runs backwards in the log, whatever a clock said.
            t = max(d.t, last_t)
            last_t = t
            ev = Event(seq=seq, t=t, kind=d.kind, source=d.source, data=d.data)
            out.append(ev)
            rows.append(
                {
                    "stream_id": stream_id,
                    "seq": seq,
                    "t": t,
                    "kind": d.kind,
                    "source": d.source,
                    "data": json.dumps(d.data, separators=(",", ":"), ensure_ascii=False),
                }
            )
        if rows:
            conn.execute(insert(schema.events), rows)
            conn.execute(
                update(s)
                .where(s.c.id == stream_id)
                .values(last_seq=seq, last_pseq=pseq, last_t=last_t)
            )
            # Which blobs the stream refers to: a private stream's blobs stay private.
            for digest in {h for ev in out for h in blob_refs(ev.kind, ev.data)}:
                _insert_new(conn, schema.blob_refs, {"hash": digest, "stream_id": stream_id})
        return out

    def append_each(
        self,
        stream_id: str,
        jobs: Sequence[
            tuple[
                Draft,
                Callable[[Connection, Event], Any] | None,
                Callable[[Connection], None] | None,
            ]
        ],
    ) -> list[tuple[Event, Any] | Exception]:
        """Append one draft per job, in order, in one transaction (one commit for many
        audience events): for each, ``check(conn)`` runs first and may refuse it by raising
        (before writing anything), then the draft is appended and ``then(conn, event)`` runs
        — an index of the log (the audience's items) never disagrees with it. Returns, per
        job, ``(event, then's result)`` or the exception its check raised."""
        out: list[tuple[Event, Any] | Exception] = []
        with self.engine.begin() as conn:
            for draft, then, check in jobs:
                if check is not None:
                    try:
                        check(conn)
                    except Exception as err:
                        out.append(err)
                        continue
                (ev,) = self._append(conn, stream_id, [draft], None)
                out.append((ev, then(conn, ev) if then is not None else None))
        return out

    def events_json(
        self,
        stream_id: str,
        since: int = 0,
        limit: int = 1000,
        until_seq: int | None = None,
        *,
        kinds: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> list[tuple[int, float, str]]:
        """Events with seq > since, oldest first, as (seq, t, envelope JSON).

        ``kinds`` and ``sources``, when given, keep the events whose kind (source) is one of
        them; an entry ending in ``.`` or ``:`` is a prefix (``run.``, ``run:``)."""
        q = _events_query(stream_id, since, limit, until_seq)
        for column, entries in ((schema.events.c.kind, kinds), (schema.events.c.source, sources)):
            if entries:
                q = q.where(_one_of(column, entries))
        with self.engine.connect() as conn:
            # Rows are unpacked by position: Row.t is SQLAlchemy's own tuple accessor.
            return [
                (seq, t, _event_json(seq, t, kind, source, data))
                if hid is None
                else (seq, t, _event_json(seq, t, HIDDEN, source, _tomb(hid, kind)))
                for seq, t, kind, source, data, hid in conn.execute(q)
            ]

    def events(
        self, stream_id: str, since: int = 0, limit: int = 1000, until_seq: int | None = None
    ) -> list[Event]:
        q = _events_query(stream_id, since, limit, until_seq)
        with self.engine.connect() as conn:
            return [
                Event(seq=seq, t=t, kind=kind, source=source, data=json.loads(data))
                if hid is None
                else Event(seq=seq, t=t, kind=HIDDEN, source=source, data={"id": hid, "kind": kind})
                for seq, t, kind, source, data, hid in conn.execute(q)
            ]

    def iter_events(
        self, stream_id: str, since: int = 0, until_seq: int | None = None, page: int = 5000
    ) -> Iterable[Event]:
        """Every event after ``since`` (up to ``until_seq``), paged so memory stays flat."""
        while True:
            batch = self.events(stream_id, since, page, until_seq)
            yield from batch
            if len(batch) < page:
                return
            since = batch[-1].seq

    def heads(self, stream_ids: Sequence[str]) -> dict[str, int]:
        """The last seq of each of these streams (streams that do not exist are left out)."""
        s = schema.streams
        with self.engine.connect() as conn:
            return {
                sid: int(seq)
                for sid, seq in conn.execute(
                    select(s.c.id, s.c.last_seq).where(s.c.id.in_(list(stream_ids)))
                )
            }

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def seq_at(self, stream_id: str, t: float) -> int:
        """The seq of the last event at or before stream time ``t`` (0 if none)."""
        e = schema.events
        with self.engine.connect() as conn:
            v = conn.execute(
                select(func.max(e.c.seq)).where(e.c.stream_id == stream_id, e.c.t <= t)
            ).scalar()
        return int(v or 0)

    # ── keyframes ────────────────────────────────────────────────────────────────────────

    def put_keyframe(self, stream_id: str, seq: int, t: float, state: dict[str, Any]) -> None:
        """Store a keyframe; one already stored at that seq is kept (they are identical)."""
        with self.engine.begin() as conn:
            _insert_new(
                conn,
                schema.keyframes,
                {"stream_id": stream_id, "seq": seq, "t": t, "state": json.dumps(state)},
            )

    def keyframe(self, stream_id: str, *, at_seq: int | None = None) -> Keyframe | None:
        """The newest keyframe at or before ``at_seq`` (the newest overall if None)."""
        k = schema.keyframes
        q = select(k).where(k.c.stream_id == stream_id)
        if at_seq is not None:
            q = q.where(k.c.seq <= at_seq)
        q = q.order_by(k.c.seq.desc()).limit(1)
        h = schema.hidden_events
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            hidden = set(
                conn.execute(
                    select(h.c.item_id).where(h.c.stream_id == stream_id, h.c.seq <= row.seq)
                ).scalars()
            )
        state = json.loads(row.state)
        if hidden:
            # Written before a moderator hid something: nobody may see it in a keyframe either.
            state = scrub(state, hidden)
        return Keyframe(stream_id=row.stream_id, seq=row.seq, t=row[2], state=state)

    def keyframe_index(self, stream_id: str) -> list[tuple[int, float]]:
        k = schema.keyframes
        with self.engine.connect() as conn:
            return [
                (seq, t)
                for seq, t in conn.execute(
                    select(k.c.seq, k.c.t).where(k.c.stream_id == stream_id).order_by(k.c.seq)
                )
            ]

    # ── blobs ────────────────────────────────────────────────────────────────────────────

    def put_blob(self, data: bytes, mime: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.engine.begin() as conn:
            _insert_new(
                conn, schema.blobs, {"hash": digest, "mime": mime, "size": len(data), "data": data}
            )
        return digest

    def blob(self, digest: str) -> tuple[bytes, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.blobs.c.data, schema.blobs.c.mime).where(
                    schema.blobs.c.hash == digest
                )
            ).first()
        return None if row is None else (bytes(row.data), row.mime)


#: A stream's visibility: its own, else its channel's, else public.
_VISIBILITY = func.coalesce(
    schema.streams.c.visibility, schema.channel_settings.c.visibility, "public"
)


def _events_query(stream_id: str, since: int, limit: int, until_seq: int | None) -> Any:
    """The events after ``since``, each with the id of the item it carried if a moderator
    hid it (else NULL)."""
    e, h = schema.events, schema.hidden_events
    q = (
        select(e.c.seq, e.c.t, e.c.kind, e.c.source, e.c.data, h.c.item_id)
        .outerjoin(h, (h.c.stream_id == e.c.stream_id) & (h.c.seq == e.c.seq))
        .where(e.c.stream_id == stream_id, e.c.seq > since)
    )
    if until_seq is not None:
        q = q.where(e.c.seq <= until_seq)
    return q.order_by(e.c.seq).limit(limit)


def _one_of(column: Any, entries: Sequence[str]) -> Any:
    """``column`` equals one of ``entries``, or starts with one ending in ``.`` or ``:``.
    (A prefix is compared with substr, not LIKE: SQLite's LIKE ignores case.)"""
    exact = [x for x in entries if not x.endswith((".", ":"))]
    tests = [column.in_(exact)] if exact else []
    tests += [func.substr(column, 1, len(x)) == x for x in entries if x.endswith((".", ":"))]
    return or_(*tests)


def _tomb(item_id: str, kind: str) -> str:
    return json.dumps({"id": item_id, "kind": kind}, separators=(",", ":"))


def scrub(state: Any, hidden: Collection[str]) -> Any:
    """A keyframe's state without the audience's items whose ids are in ``hidden``: every
    object with such an ``id`` is dropped from the lists and maps that hold it (whichever
    fold part keeps it: the chat, the questions, the catch-up list …)."""
    if isinstance(state, dict):
        return {
            k: scrub(v, hidden)
            for k, v in state.items()
            if not (isinstance(v, dict) and v.get("id") in hidden)
        }
    if isinstance(state, list):
        return [
            scrub(v, hidden) for v in state if not (isinstance(v, dict) and v.get("id") in hidden)
        ]
    return state


def _insert_new(conn: Connection, table: Any, row: dict[str, Any]) -> None:
    """Insert ``row`` unless its primary key is taken: safe when two processes race to it."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**row).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**row).on_conflict_do_nothing())
