"""Migrations: the same revisions build the schema in schema.py on SQLite and PostgreSQL,
upgrade a database the foundation made without them, and run once however many processes
start together."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from benchcast.events import Draft
from benchcast.store import migrate
from benchcast.store.database import Store, engine_url
from benchcast.store.schema import include_name, metadata
from tests.conftest import run_cli

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'b.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    return cfg


def test_head_names_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(_config()).get_current_head() == migrate.HEAD


def test_the_migrations_build_exactly_the_schema_the_code_declares(db_url: str) -> None:
    Store(db_url).close()
    engine = create_engine(engine_url(db_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
        assert migrate.current(conn) == migrate.HEAD
    engine.dispose()
    assert diff == []


def test_a_database_the_foundation_made_is_upgraded_keeping_its_data(db_url: str) -> None:
    # The foundation made its tables with create_all: revision 0001, and no version table.
    engine = create_engine(engine_url(db_url))
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, migrate.FOUNDATION)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text("INSERT INTO channels (id, name, key_hash, created_at) VALUES (1, 'ada', 'h', 0)")
        )
        conn.execute(
            text(
                "INSERT INTO streams (id, channel_id, title, tags, started_at, last_seq, "
                "last_pseq, last_t) VALUES ('s1', 1, 'old', '[]', 0, 0, 0, 0)"
            )
        )
    with engine.connect() as conn:
        assert "publisher" not in {c["name"] for c in inspect(conn).get_columns("streams")}
    engine.dispose()
    store = Store(db_url)
    ev = store.append("s1", [Draft(t=0, kind="note", source="stream", data={"text": "hi"})])
    assert ev[0].seq == 1 and store.stream("s1") is not None
    store.take_lease("s1", "x/1")
    store.close()


def test_db_upgrade_command_migrates_then_reports_up_to_date(pg_database: str) -> None:
    first = run_cli("db", "upgrade", "--db", pg_database)
    assert first.returncode == 0, first.stderr
    assert f"from nothing to {migrate.HEAD}" in first.stderr
    again = run_cli("db", "upgrade", "--db", pg_database)
    assert again.returncode == 0 and "is up to date" in again.stderr
    assert "postgres@" in again.stderr  # the URL, with any password hidden


def test_many_processes_starting_at_once_migrate_once(pg_database: str) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            Store(pg_database).close()
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = create_engine(engine_url(pg_database))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()
