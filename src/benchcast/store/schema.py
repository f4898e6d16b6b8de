"""The SQL schema, in SQLAlchemy Core so the same tables run on SQLite and PostgreSQL.

This is the schema at the newest migration (``store/migrations/versions``); a change here
needs a new migration beside it, and ``tests/store`` checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    # sha256 of the stream key; the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

streams = Table(
    "streams",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("tags", Text, nullable=False),  # JSON list
    Column("started_at", Float, nullable=False),  # wall clock (unix seconds)
    Column("ended_at", Float),
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("last_pseq", BigInteger, nullable=False, default=0),
    Column("last_t", Float, nullable=False, default=0.0),
    # The lease: which publisher connection may append pseq-numbered events (ingest.py).
    Column("publisher", String(64)),
    Index("streams_channel_started", "channel_id", "started_at"),
)

events = Table(
    "events",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("t", Float, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("data", Text, nullable=False),  # the payload, JSON as sent on the wire
    Index("events_stream_t", "stream_id", "t"),
)

keyframes = Table(
    "keyframes",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("t", Float, nullable=False),
    Column("state", Text, nullable=False),  # JSON, see replay/fold.py
    Index("keyframes_stream_t", "stream_id", "t"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("hash", String(64), primary_key=True),  # sha256 hex of the bytes
    Column("mime", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
