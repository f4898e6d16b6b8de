"""The publisher lease: which connection may append a stream's publisher events.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, so both engines add it in place (SQLite's ALTER TABLE ADD COLUMN).
    op.add_column("streams", sa.Column("publisher", sa.String(64), nullable=True))
