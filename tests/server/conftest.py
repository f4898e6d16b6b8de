"""The server's tests run against both deployments: the embedded default (SQLite, in-process
bus) and the scale-out one (PostgreSQL, Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.services import shared_redis_url


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        srv = ServerProcess(tmp_path / "server")
    else:
        srv = ServerProcess(
            tmp_path / "server", db=request.getfixturevalue("pg_database"), bus=shared_redis_url()
        )
    srv.start()
    yield srv
    srv.stop()
