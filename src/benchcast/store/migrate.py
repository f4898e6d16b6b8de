"""Bring a database's schema to the revision this code needs, on SQLite and PostgreSQL alike.

Migrations are Alembic revisions under ``store/migrations/versions``, small and named, each run
in the same transaction as the version bump. Every ``Store`` calls ``upgrade`` when it opens,
so the embedded default never asks anyone to migrate by hand; ``benchcast db upgrade`` does the
same ahead of a rollout. On PostgreSQL the upgrade holds an advisory lock, so any number of
server processes starting at once migrate exactly once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

#: The newest revision; ``tests/store`` checks it is the head of the migrations folder.
HEAD = "0007"
#: The revision of a database made by the foundation's ``create_all``, before migrations.
FOUNDATION = "0001"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: PostgreSQL advisory locks are named by integers.
_LOCK_ID = 0x62656E6368636173  # "benchcas"


def current(conn: Connection) -> str | None:
    """The revision a database is at: None if it has no Benchcast tables yet."""
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        if row is not None:
            return str(row[0])
    return FOUNDATION if "events" in names else None


def upgrade(engine: Engine) -> str | None:
    """Migrate to ``HEAD`` if needed; return the revision it was at (None: a new database)."""
    with engine.connect() as conn:
        before = current(conn)
    if before == HEAD:
        return before
    try:
        _upgrade(engine, before)
    except Exception:
        # Two processes opening a new SQLite database at once: the loser finds the work done.
        with engine.connect() as conn:
            if current(conn) != HEAD:
                raise
    return before


def _upgrade(engine: Engine, before: str | None) -> None:
    # Alembic (and Mako) load only when there is something to do.
    from alembic import command
    from alembic.config import Config

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            before = current(conn)  # another process may have migrated while we waited
            if before == HEAD:
                return
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        if before == FOUNDATION and not inspect(conn).has_table("alembic_version"):
            command.stamp(cfg, FOUNDATION)
        command.upgrade(cfg, "head")
