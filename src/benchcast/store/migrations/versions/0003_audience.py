"""The audience: accounts, visibility and invitations, sanctions, an index of the audience's
items and votes, hidden events, and the blobs each stream refers to.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("streams", sa.Column("visibility", sa.String(16), nullable=True))
    op.create_table(
        "blob_refs",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("name_key", sa.String(160), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("session_gen", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "channel_settings",
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("accounts_only", sa.Boolean, nullable=False),
        sa.Column("slow_seconds", sa.Integer, nullable=False),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "channel_roles",
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id")),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float),
    )
    op.create_index("invites_channel", "invites", ["channel_id"])
    op.create_table(
        "sanctions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("until", sa.Float),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lifted_at", sa.Float),
    )
    op.create_index("sanctions_channel_subject", "sanctions", ["channel_id", "subject"])
    op.create_table(
        "audience_items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user", sa.String(80), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_seq", sa.BigInteger),
        sa.Column("status_t", sa.Float),
        sa.Column("votes", sa.Integer, nullable=False),
        sa.Column("staff_mentioned", sa.Boolean, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )
    op.create_index("audience_items_stream", "audience_items", ["stream_id", "kind", "seq"])
    op.create_table(
        "votes",
        sa.Column("item_id", sa.String(64), sa.ForeignKey("audience_items.id"), primary_key=True),
        sa.Column("user", sa.String(80), primary_key=True),
        sa.Column("choice", sa.Integer, nullable=False),
    )
    op.create_table(
        "hidden_events",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(64), nullable=False),
    )
    _backfill_blob_refs()


def _backfill_blob_refs() -> None:
    """Record the blobs that events stored before this revision refer to, so the blobs of
    existing private streams are private from the first request on."""
    from benchcast.events import blob_refs

    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT stream_id, kind, data FROM events WHERE kind IN ('figure', 'nb.cell')")
    )
    refs = {
        (digest, sid) for sid, kind, data in rows for digest in blob_refs(kind, json.loads(data))
    }
    if refs:
        conn.execute(
            sa.text("INSERT INTO blob_refs (hash, stream_id) VALUES (:hash, :stream_id)"),
            [{"hash": h, "stream_id": s} for h, s in sorted(refs)],
        )
