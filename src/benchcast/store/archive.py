"""The archive's tables beside the log: the search index's writes, the streamer's chapter
edits, channel profiles, schedules, clips, and the directory's queries (by tag, by activity).

``Archive(store)`` holds nothing but the store, so making one per request costs nothing.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update

from benchcast.store import schema
from benchcast.store.database import Store, StoreError, Stream
from benchcast.store.search import Doc, SearchIndex

MAX_BIO = 2000
MAX_CLIP_SECONDS = 3 * 3600.0


@dataclass(frozen=True)
class Scheduled:
    """A stream a channel plans."""

    id: str
    channel: str
    title: str
    description: str
    tags: list[str]
    starts_at: float
    duration: float
    created_at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "starts_at": self.starts_at,
            "duration": self.duration,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Clip:
    id: str
    stream_id: str
    start: float
    end: float
    title: str
    created_at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stream": self.stream_id,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "created_at": self.created_at,
            "url": f"/clip/{self.id}",
        }


def _visibility() -> Any:
    cs = schema.channel_settings
    return func.coalesce(schema.streams.c.visibility, cs.c.visibility, literal("public"))


class Archive:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.search = SearchIndex(store.engine)

    # ── the search index ─────────────────────────────────────────────────────────────────

    def index(
        self,
        stream_id: str,
        docs: Sequence[Doc],
        upto_seq: int,
        *,
        removed: Iterable[str] = (),
        activities: Iterable[str] = (),
    ) -> None:
        """Add a stream's documents, in one transaction with its progress (see SearchIndex)."""
        with self.engine.begin() as conn:
            self.search.add(conn, stream_id, docs, upto_seq, removed=removed, activities=activities)

    def clear_index(self, stream_id: str) -> None:
        with self.engine.begin() as conn:
            self.search.clear(conn, stream_id)

    # ── chapters ─────────────────────────────────────────────────────────────────────────

    def chapter_edits(self, stream_id: str) -> dict[int, dict[str, Any]]:
        e = schema.chapter_edits
        with self.engine.connect() as conn:
            rows = conn.execute(select(e).where(e.c.stream_id == stream_id)).all()
        return {
            int(r.seq): {"title": r.title, "summary": r.summary, "hidden": bool(r.hidden)}
            for r in rows
        }

    def edit_chapter(
        self,
        stream_id: str,
        seq: int,
        *,
        title: str | None = None,
        summary: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Set the title and summary a chapter shows (None: the folded one), or hide it."""
        if title is not None and not 0 < len(title.strip()) <= 200:
            raise StoreError("a chapter title is 1 to 200 characters")
        if summary is not None and len(summary) > 300:
            raise StoreError("a chapter summary is at most 300 characters")
        e = schema.chapter_edits
        row = {
            "title": title.strip() if title else None,
            "summary": summary,
            "hidden": hidden,
            "edited_at": time.time(),
        }
        with self.engine.begin() as conn:
            n = conn.execute(
                update(e).where(e.c.stream_id == stream_id, e.c.seq == seq).values(**row)
            ).rowcount
            if not n:
                conn.execute(insert(e).values(stream_id=stream_id, seq=seq, **row))

    # ── channels ─────────────────────────────────────────────────────────────────────────

    def bio(self, channel_id: int) -> str:
        p = schema.channel_profiles
        with self.engine.connect() as conn:
            v = conn.execute(select(p.c.bio).where(p.c.channel_id == channel_id)).scalar()
        return str(v or "")

    def set_bio(self, channel_id: int, bio: str) -> None:
        if len(bio) > MAX_BIO:
            raise StoreError(f"a bio is at most {MAX_BIO} characters")
        p = schema.channel_profiles
        with self.engine.begin() as conn:
            n = conn.execute(
                update(p)
                .where(p.c.channel_id == channel_id)
                .values(bio=bio, updated_at=time.time())
            ).rowcount
            if not n:
                conn.execute(
                    insert(p).values(channel_id=channel_id, bio=bio, updated_at=time.time())
                )

    # ── schedules ────────────────────────────────────────────────────────────────────────

    def schedule(
        self,
        channel: str,
        title: str,
        starts_at: float,
        duration: float,
        *,
        tags: Sequence[str] = (),
        description: str = "",
    ) -> Scheduled:
        ch = self.store.channel(channel)
        if ch is None:
            raise StoreError(f"no channel named {channel!r}")
        if not 0 < len(title.strip()) <= 200:
            raise StoreError("a title is 1 to 200 characters")
        if not 0 < duration <= 48 * 3600:
            raise StoreError("a duration is more than 0 and at most 48 hours")
        if len(description) > 4000:
            raise StoreError("a description is at most 4,000 characters")
        item = Scheduled(
            id=secrets.token_hex(6),
            channel=channel,
            title=title.strip(),
            description=description,
            tags=[t.strip() for t in tags if t.strip()][:16],
            starts_at=float(starts_at),
            duration=float(duration),
            created_at=time.time(),
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.schedules).values(
                    id=item.id,
                    channel_id=ch.id,
                    title=item.title,
                    description=item.description,
                    tags=json.dumps(item.tags),
                    starts_at=item.starts_at,
                    duration=item.duration,
                    created_at=item.created_at,
                )
            )
        return item

    def scheduled(
        self,
        *,
        channel: str | None = None,
        after: float | None = None,
        limit: int = 100,
        public_only: bool = True,
    ) -> list[Scheduled]:
        """Planned streams, soonest first; ``after``: those not over by then."""
        sc, c, cs = schema.schedules, schema.channels, schema.channel_settings
        q = (
            select(sc, c.c.name.label("channel_name"))
            .join(c, c.c.id == sc.c.channel_id)
            .outerjoin(cs, cs.c.channel_id == c.c.id)
        )
        if public_only:
            q = q.where(func.coalesce(cs.c.visibility, literal("public")) == "public")
        if channel is not None:
            q = q.where(c.c.name == channel)
        if after is not None:
            q = q.where(sc.c.starts_at + sc.c.duration > after)
        q = q.order_by(sc.c.starts_at).limit(limit)
        with self.engine.connect() as conn:
            return [
                Scheduled(
                    id=r.id,
                    channel=r.channel_name,
                    title=r.title,
                    description=r.description,
                    tags=json.loads(r.tags),
                    starts_at=r.starts_at,
                    duration=r.duration,
                    created_at=r.created_at,
                )
                for r in conn.execute(q)
            ]

    def unschedule(self, channel: str, schedule_id: str) -> bool:
        ch = self.store.channel(channel)
        if ch is None:
            return False
        sc = schema.schedules
        with self.engine.begin() as conn:
            n = conn.execute(
                delete(sc).where(sc.c.id == schedule_id, sc.c.channel_id == ch.id)
            ).rowcount
        return bool(n)

    # ── clips ────────────────────────────────────────────────────────────────────────────

    def make_clip(self, stream: Stream, start: float, end: float, title: str = "") -> Clip:
        if not 0 <= start < end:
            raise StoreError("a clip starts at 0 or later and ends after it starts")
        if end - start > MAX_CLIP_SECONDS:
            raise StoreError("a clip is at most 3 hours long")
        if start > stream.last_t:
            raise StoreError("the clip starts after the end of the stream")
        clip = Clip(
            id=secrets.token_urlsafe(6),
            stream_id=stream.id,
            start=round(start, 3),
            end=round(min(end, max(stream.last_t, start + 0.001)), 3),
            title=(title.strip() or stream.title)[:200],
            created_at=time.time(),
        )
        with self.engine.begin() as conn:
            conn.execute(insert(schema.clips).values(**clip.__dict__))
        return clip

    def clip(self, clip_id: str) -> Clip | None:
        cl = schema.clips
        with self.engine.connect() as conn:
            r = conn.execute(select(cl).where(cl.c.id == clip_id)).first()
        if r is None:
            return None
        return Clip(r.id, r.stream_id, r.start, r.end, r.title, r.created_at)

    # ── the directory ────────────────────────────────────────────────────────────────────

    def browse(
        self,
        *,
        tag: str | None = None,
        activity: str | None = None,
        live: bool | None = None,
        limit: int = 100,
    ) -> list[Stream]:
        """Public streams with this tag and/or activity, newest first."""
        s = schema.streams
        q = self.store._streams_query().where(_visibility() == "public")
        if tag:
            q = q.where(s.c.tags.contains(json.dumps(tag), autoescape=True))
        if activity:
            a = schema.stream_activities
            q = q.where(s.c.id.in_(select(a.c.stream_id).where(a.c.activity == activity)))
        if live is True:
            q = q.where(s.c.ended_at.is_(None))
        elif live is False:
            q = q.where(s.c.ended_at.is_not(None))
        q = q.order_by(s.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [self.store._stream_row(r) for r in conn.execute(q)]

    def tag_counts(self, limit: int = 2000) -> dict[str, int]:
        """How many public streams carry each tag (of the newest ``limit`` streams)."""
        s = schema.streams
        q = (
            self.store._streams_query()
            .where(_visibility() == "public")
            .order_by(s.c.started_at.desc())
            .limit(limit)
        )
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                for tag in json.loads(r.tags):
                    counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def activity_counts(self) -> dict[str, int]:
        a, s, c, cs = (
            schema.stream_activities,
            schema.streams,
            schema.channels,
            schema.channel_settings,
        )
        q = (
            select(a.c.activity, func.count())
            .join(s, s.c.id == a.c.stream_id)
            .join(c, c.c.id == s.c.channel_id)
            .outerjoin(cs, cs.c.channel_id == c.c.id)
            .where(_visibility() == "public")
            .group_by(a.c.activity)
        )
        with self.engine.connect() as conn:
            return {act: int(n) for act, n in conn.execute(q)}
