"""Alembic's entry point: run the migrations on the connection ``migrate.upgrade`` hands in.

Benchcast never runs Alembic from an ``alembic.ini``; ``benchcast db upgrade`` and every
``Store`` that opens an out-of-date database call ``benchcast.store.migrate.upgrade``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from benchcast.store.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
