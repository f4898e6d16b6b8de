"""The archive: the search index (FTS5 on SQLite, tsvector on PostgreSQL), chapter edits,
activities per stream, channel profiles, schedules and clips.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "search_docs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("ref", sa.String(64)),
        sa.Column("activity", sa.String(64)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lines", sa.Text),
        sa.Column("tsv", sa.Text().with_variant(TSVECTOR(), "postgresql")),
    )
    op.create_index("search_docs_stream", "search_docs", ["stream_id", "kind", "t"])
    if postgres:
        op.create_index("search_docs_tsv", "search_docs", ["tsv"], postgresql_using="gin")
    else:
        # External content: the text lives once, in search_docs; FTS5 keeps only its index.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_docs', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
    op.create_table(
        "search_progress",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "stream_activities",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("activity", sa.String(64), primary_key=True),
    )
    op.create_index("stream_activities_activity", "stream_activities", ["activity"])
    op.create_table(
        "chapter_edits",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(200)),
        sa.Column("summary", sa.String(300)),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("edited_at", sa.Float, nullable=False),
    )
    op.create_table(
        "channel_profiles",
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("bio", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("starts_at", sa.Float, nullable=False),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("schedules_starts", "schedules", ["starts_at"])
    op.create_table(
        "clips",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), nullable=False),
        sa.Column("start", sa.Float, nullable=False),
        sa.Column("end", sa.Float, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
