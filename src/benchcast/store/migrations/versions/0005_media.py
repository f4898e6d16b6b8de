"""The media track: the streamer's voice (and camera) as WebM pieces addressed by stream time.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_pieces",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("track", sa.String(16), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("media_pieces_stream_t", "media_pieces", ["stream_id", "track", "t"])


def downgrade() -> None:
    op.drop_index("media_pieces_stream_t", "media_pieces")
    op.drop_table("media_pieces")
