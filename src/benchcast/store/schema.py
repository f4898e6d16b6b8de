"""The SQL schema, in SQLAlchemy Core so the same tables run on SQLite and PostgreSQL.

This is the schema at the newest migration (``store/migrations/versions``); a change here
needs a new migration beside it, and ``tests/store`` checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.dialects.postgresql import TSVECTOR

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
    # public | unlisted | private; NULL: as the channel says (channel_settings).
    Column("visibility", String(16)),
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

# ── the audience (server/audience/) ──────────────────────────────────────────────────────
# What the log cannot answer quickly: accounts, who may see a private stream, who is banned,
# and an index of the audience's items (for the inbox, votes and deletions). The log stays
# the truth of what was said; these tables only index it or hold what is not an event.

#: Blobs each stream refers to, so a private stream's blobs stay private (server/blobs.py).
blob_refs = Table(
    "blob_refs",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
)

#: Values the server makes once and every process shares (the cookie signing key).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(40), nullable=False, unique=True),
    # The name's skeleton (audience/names.py): two names that look alike share it.
    Column("name_key", String(160), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # admin | user
    # Bumped to sign every session of the account out (a password change, "log out").
    Column("session_gen", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("visibility", String(16), nullable=False),  # public | unlisted | private
    Column("accounts_only", Boolean, nullable=False),
    Column("slow_seconds", Integer, nullable=False),
    Column("filter", Text, nullable=False),  # JSON list: words, and /regexes/
    Column("updated_at", Float, nullable=False),
)

channel_roles = Table(
    "channel_roles",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("role", String(16), nullable=False),  # streamer | mod
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("stream_id", String(16), ForeignKey("streams.id")),  # NULL: every stream
    Column("user_id", Integer, ForeignKey("users.id")),  # an account's invitation…
    Column("token_hash", String(64), unique=True),  # …or a link's (sha256 of its token)
    Column("label", String(100), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    Index("invites_channel", "channel_id"),
)

sanctions = Table(
    "sanctions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    # "u:42" (an account), "g:…" (a guest), "ip:…" (a keyed hash of an address)
    Column("subject", String(80), nullable=False),
    Column("kind", String(16), nullable=False),  # ban | timeout
    Column("until", Float),  # NULL: until lifted
    Column("by", String(80), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("lifted_at", Float),
    Index("sanctions_channel_subject", "channel_id", "subject"),
)

audience_items = Table(
    "audience_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("stream_id", String(16), ForeignKey("streams.id"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("t", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # chat | question | comment | poll
    Column("user", String(80), nullable=False),
    Column("ip", String(64), nullable=False),  # keyed hash of the writer's address
    Column("data", Text, nullable=False),  # the event's payload, JSON
    Column("status", String(16), nullable=False),
    Column("status_seq", BigInteger),
    Column("status_t", Float),
    Column("votes", Integer, nullable=False),
    Column("staff_mentioned", Boolean, nullable=False),
    Column("hidden", Boolean, nullable=False),
    Index("audience_items_stream", "stream_id", "kind", "seq"),
)

votes = Table(
    "votes",
    metadata,
    Column("item_id", String(64), ForeignKey("audience_items.id"), primary_key=True),
    Column("user", String(80), primary_key=True),
    Column("choice", Integer, nullable=False),  # 1: an upvote; a poll's option
)

#: Events a moderator hid (``chat.delete``): every reader gets a tombstone in their place.
hidden_events = Table(
    "hidden_events",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("item_id", String(64), nullable=False),
)

# ── the archive: search, chapters, the directory, clips (store/search.py, server/archive.py) ──

#: What a stream showed and said, as text with its stream time: terminal lines as they left
#: the screen (through the VT fold, not raw bytes), files and diffs, notes, chat, questions,
#: comments, papers, runs. Full-text indexed by the engine's own means, outside this table's
#: declaration: an FTS5 table ``search_fts`` on SQLite, a GIN index on ``tsv`` on PostgreSQL
#: (see ``SEARCH_ENGINE_OBJECTS``).
search_docs = Table(
    "search_docs",
    metadata,
    # INTEGER PRIMARY KEY on SQLite: the rowid the FTS5 table points at.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("stream_id", String(16), ForeignKey("streams.id"), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the event that completed the document
    Column("t", Float, nullable=False),  # stream time of its first line
    Column("kind", String(16), nullable=False),  # term | file | diff | note | chat | …
    Column("source", String(1000), nullable=False),  # term:1, a file's path, a run …
    Column("ref", String(64)),  # the audience item it indexes (removed with it)
    Column("activity", String(64)),  # what the streamer was doing then
    Column("text", Text, nullable=False),
    Column("lines", Text),  # JSON: each line's stream time, for documents of many lines
    Column("tsv", Text().with_variant(TSVECTOR(), "postgresql")),  # PostgreSQL only
    Index("search_docs_stream", "stream_id", "kind", "t"),
)

#: The last seq whose documents are in the index, per stream: a keyframer that rebuilds a
#: stream's fold after a restart does not index the same output twice.
search_progress = Table(
    "search_progress",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

#: The activities a stream went through (browse by activity).
stream_activities = Table(
    "stream_activities",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("activity", String(64), primary_key=True),
    Index("stream_activities_activity", "activity"),
)

#: The streamer's edits to chapters after the stream; the log keeps what was folded.
chapter_edits = Table(
    "chapter_edits",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("title", String(200)),  # NULL: the folded title
    Column("summary", String(300)),  # NULL: the folded summary
    Column("hidden", Boolean, nullable=False),
    Column("edited_at", Float, nullable=False),
)

#: What a channel says about itself on its page.
channel_profiles = Table(
    "channel_profiles",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("bio", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: Streams a channel plans (``benchcast schedule add``), for the home page and iCal feeds.
schedules = Table(
    "schedules",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list
    Column("starts_at", Float, nullable=False),  # unix seconds
    Column("duration", Float, nullable=False),  # seconds
    Column("created_at", Float, nullable=False),
    Index("schedules_starts", "starts_at"),
)

#: A range of a stream someone marked to share: /clip/{id} plays just that.
clips = Table(
    "clips",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("stream_id", String(16), ForeignKey("streams.id"), nullable=False),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("title", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)

# The media track (store/media.py): the WebM byte stream of each recording, cut at cluster
# starts, each piece addressed by the stream time it begins at.
media_pieces = Table(
    "media_pieces",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("track", String(16), primary_key=True),  # "audio" | "video"
    Column("idx", BigInteger, primary_key=True, autoincrement=False),  # dense from 1
    Column("epoch", Integer, nullable=False),  # which recording (a new one after each pause)
    Column("t", Float, nullable=False),
    Column("kind", String(8), nullable=False),  # "init" | "cluster" | "more"
    Column("mime", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index("media_pieces_stream_t", "stream_id", "track", "t"),
)

# What the publisher told the server for the studio's voice (server/media.py): its broadcast
# delay (the studio holds slices that long) and the stream time of its latest pause or panic
# (the voice is held from then until an ``air`` event stamped at or after it is committed).
media_settings = Table(
    "media_settings",
    metadata,
    Column("stream_id", String(16), ForeignKey("streams.id"), primary_key=True),
    Column("delay", Float, nullable=False, default=0.0),
    Column("hold_t", Float),
)

#: Objects the search engines keep beside ``search_docs`` that the declaration above does not
#: describe (the FTS5 table and its shadow tables; the GIN index): migrations make them, and
#: schema comparisons leave them out.
SEARCH_ENGINE_OBJECTS = frozenset(
    {
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_content",
        "search_fts_docsize",
        "search_fts_config",
        "search_fts_source",  # the view FTS5 reads text and facets from
        "search_docs_tsv",
    }
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's comparisons: everything but ``SEARCH_ENGINE_OBJECTS``."""
    return name not in SEARCH_ENGINE_OBJECTS
