"""The publisher's word on the studio's voice: its broadcast delay and its latest hold.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_settings",
        sa.Column("stream_id", sa.String(16), sa.ForeignKey("streams.id"), primary_key=True),
        sa.Column("delay", sa.Float, nullable=False, server_default="0"),
        sa.Column("hold_t", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("media_settings")
