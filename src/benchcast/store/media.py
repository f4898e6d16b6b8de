"""The media track in the store: each recording's WebM pieces (webm.py), addressed by time.

A stream has up to two tracks, ``audio`` (WebM/Opus) and ``video`` (WebM/VP8 or VP9). Each
time the streamer starts capturing (at the start, and again after every pause) a new
*epoch* begins: a recording of its own, whose init segment is stored first, then its cluster
pieces. A piece's ``t`` is stream time: the epoch's start ``t0`` plus the recording's own
timecode, so the media and the event log share one clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from benchcast.store import schema
from benchcast.store.database import Store

TRACKS = ("audio", "video")
#: The most bytes one stored piece may hold (a 250 ms slice of 720p video is far less).
MAX_PIECE = 2 * 1024 * 1024


@dataclass(frozen=True)
class MediaPiece:
    idx: int
    epoch: int
    t: float
    kind: str  # "init" | "cluster" | "more"
    mime: str
    data: bytes


def append(
    store: Store, stream_id: str, track: str, epoch: int, mime: str, pieces: Sequence[Any]
) -> list[MediaPiece]:
    """Store ``pieces`` (``(kind, t, data)`` triples) at the end of a track; the stored rows,
    numbered on from the track's last."""
    m = schema.media_pieces
    with store.engine.begin() as conn:
        last = conn.execute(
            select(func.max(m.c.idx)).where(m.c.stream_id == stream_id, m.c.track == track)
        ).scalar()
        idx = int(last or 0)
        rows = []
        for kind, t, data in pieces:
            idx += 1
            rows.append(MediaPiece(idx, epoch, float(t), kind, mime, bytes(data)))
        if rows:
            conn.execute(
                insert(m),
                [
                    {
                        "stream_id": stream_id,
                        "track": track,
                        "idx": r.idx,
                        "epoch": r.epoch,
                        "t": r.t,
                        "kind": r.kind,
                        "mime": r.mime,
                        "data": r.data,
                    }
                    for r in rows
                ],
            )
    return rows


def next_epoch(store: Store, stream_id: str, track: str) -> int:
    m = schema.media_pieces
    with store.engine.connect() as conn:
        last = conn.execute(
            select(func.max(m.c.epoch)).where(m.c.stream_id == stream_id, m.c.track == track)
        ).scalar()
    return int(last or 0) + 1


def epochs(store: Store, stream_id: str) -> dict[str, list[dict[str, Any]]]:
    """Per track, its recordings in order: ``{epoch, t0, end, mime, bytes, first, last}``
    (``end``: the stream time of its last piece's start; ``first``/``last``: piece idx)."""
    m = schema.media_pieces
    q = (
        select(
            m.c.track,
            m.c.epoch,
            func.min(m.c.t),
            func.max(m.c.t),
            func.min(m.c.mime),
            func.sum(func.length(m.c.data)),
            func.min(m.c.idx),
            func.max(m.c.idx),
        )
        .where(m.c.stream_id == stream_id)
        .group_by(m.c.track, m.c.epoch)
        .order_by(m.c.track, m.c.epoch)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as conn:
        for track, epoch, t0, end, mime, size, first, last in conn.execute(q):
            out.setdefault(track, []).append(
                {
                    "epoch": epoch,
                    "t0": t0,
                    "end": end,
                    "mime": mime,
                    "bytes": int(size or 0),
                    "first": first,
                    "last": last,
                }
            )
    return out


def _rows(conn: Any, q: Any) -> list[MediaPiece]:
    # By name through the mapping: a Row's own ``.t`` is its tuple, not the column.
    out = []
    for row in conn.execute(q):
        r = row._mapping
        out.append(MediaPiece(r["idx"], r["epoch"], r["t"], r["kind"], r["mime"], bytes(r["data"])))
    return out


def init(store: Store, stream_id: str, track: str, epoch: int) -> MediaPiece | None:
    m = schema.media_pieces
    q = select(m).where(
        m.c.stream_id == stream_id, m.c.track == track, m.c.epoch == epoch, m.c.kind == "init"
    )
    with store.engine.connect() as conn:
        got = _rows(conn, q)
    return got[0] if got else None


def cluster_at(store: Store, stream_id: str, track: str, epoch: int, t: float | None) -> int:
    """Idx of the newest cluster piece of ``epoch`` starting at or before stream time ``t``
    (the newest of all with None; the epoch's first when ``t`` is before it); 0 if none."""
    m = schema.media_pieces
    base = and_(
        m.c.stream_id == stream_id, m.c.track == track, m.c.epoch == epoch, m.c.kind == "cluster"
    )
    with store.engine.connect() as conn:
        q = select(func.max(m.c.idx)).where(base)
        if t is not None:
            q = q.where(m.c.t <= t)
        idx = conn.execute(q).scalar()
        if idx is None:
            idx = conn.execute(select(func.min(m.c.idx)).where(base)).scalar()
    return int(idx or 0)


def pieces(
    store: Store,
    stream_id: str,
    track: str,
    *,
    after: int,
    epoch: int | None = None,
    max_bytes: int = 4 * 1024 * 1024,
    until: float | None = None,
) -> list[MediaPiece]:
    """Pieces after idx ``after`` in order (of one ``epoch`` if given; no init pieces when
    it is), up to about ``max_bytes`` and up to those starting before stream time ``until``."""
    m = schema.media_pieces
    q = select(m).where(m.c.stream_id == stream_id, m.c.track == track, m.c.idx > after)
    if epoch is not None:
        q = q.where(m.c.epoch == epoch, m.c.kind != "init")
    if until is not None:
        q = q.where(m.c.t < until)
    q = q.order_by(m.c.idx).limit(1000)
    out: list[MediaPiece] = []
    size = 0
    with store.engine.connect() as conn:
        for p in _rows(conn, q):
            if out and size + len(p.data) > max_bytes:
                break
            out.append(p)
            size += len(p.data)
    return out


def air(store: Store, stream_id: str) -> str:
    """The stream's air state now, ``on`` or ``paused``: the newest ``air`` event's."""
    e = schema.events
    kf = store.keyframe(stream_id)
    since = 0
    state = "on"
    if kf is not None:
        since = kf.seq
        state = str(kf.state.get("air", "on"))
    q = (
        select(e.c.data)
        .where(e.c.stream_id == stream_id, e.c.seq > since, e.c.kind == "air")
        .order_by(e.c.seq.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is not None:
        state = str(json.loads(row.data).get("state", "on"))
    return state


#: The longest broadcast delay a publisher may state (seconds); the studio holds that much.
MAX_DELAY = 3600.0


def _settings_row(conn: Any, stream_id: str) -> Any:
    s = schema.media_settings
    return conn.execute(select(s).where(s.c.stream_id == stream_id)).first()


def _upsert_settings(store: Store, stream_id: str, values: dict[str, Any]) -> None:
    s = schema.media_settings
    with store.engine.begin() as conn:
        done = conn.execute(update(s).where(s.c.stream_id == stream_id).values(**values))
        if not done.rowcount:
            conn.execute(insert(s).values(stream_id=stream_id, **{"delay": 0.0, **values}))


def set_delay(store: Store, stream_id: str, seconds: float) -> None:
    """Record the publisher's broadcast delay (stated in its hello, on every connection)."""
    _upsert_settings(store, stream_id, {"delay": float(seconds)})


def set_hold(store: Store, stream_id: str, t: float) -> None:
    """Record a hold: the publisher paused (or panicked) at stream time ``t``. The voice is
    off air from now until an ``air`` event stamped at or after ``t`` is committed (that
    event is the pause itself, coming after the delay, or anything later)."""
    _upsert_settings(store, stream_id, {"hold_t": float(t)})


@dataclass(frozen=True)
class Voice:
    """What the studio needs to know: ``air``, the log's air state; ``delay``, the
    publisher's broadcast delay (0 if it stated none); ``hold_t``, the latest hold's stream
    time (None if none); ``held``, whether that hold still waits for its ``air`` event."""

    air: str
    delay: float
    hold_t: float | None
    held: bool


def voice(store: Store, stream_id: str) -> Voice:
    """The stream's :class:`Voice`; the studio is off air while ``held`` or ``air`` is paused."""
    state = air(store, stream_id)
    e = schema.events
    with store.engine.connect() as conn:
        row = _settings_row(conn, stream_id)
        if row is None:
            return Voice(state, 0.0, None, False)
        held = False
        if row.hold_t is not None:
            caught_up = conn.execute(
                select(e.c.seq)
                .where(e.c.stream_id == stream_id, e.c.kind == "air", e.c.t >= row.hold_t)
                .limit(1)
            ).first()
            held = caught_up is None
    return Voice(state, float(row.delay or 0.0), row.hold_t, held)
