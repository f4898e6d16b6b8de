"""Shared fixtures: real servers in subprocesses, real channels, real publishers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services import Postgres

BENCHCAST = [sys.executable, "-m", "benchcast"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(*args: str, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BENCHCAST, *args], capture_output=True, text=True, timeout=timeout, check=False, **kw
    )  # type: ignore[call-overload]


class ServerProcess:
    """``benchcast serve`` in a subprocess, on a fixed port so it can be restarted there.

    ``db`` and ``bus`` are store and bus URLs (default: SQLite in ``data``, the in-process
    bus); several processes given the same PostgreSQL and Redis make one cluster.
    """

    def __init__(
        self,
        data: Path,
        port: int | None = None,
        *,
        db: str | None = None,
        bus: str | None = None,
        log_format: str | None = None,
    ) -> None:
        self.data = data
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.bus = bus
        self.log_format = log_format
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = ""  # what it wrote to stderr, once stopped

    def _store_args(self) -> list[str]:
        return ["--db", self.db] if self.db else ["--data", str(self.data)]

    # Generous: a ready server is seen at once; only a loaded CI machine waits this long.
    def start(self, timeout: float = 60) -> ServerProcess:
        args = [*BENCHCAST, "serve", "--port", str(self.port), *self._store_args()]
        args += ["--log-level", "warning"]
        if self.bus:
            args += ["--bus", self.bus]
        if self.log_format:
            args += ["--log-format", self.log_format]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"server exited: {err}")
            try:
                # Ready, not just alive: its store answers and its bus is connected.
                if httpx.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop(signal.SIGKILL)  # never leave a half-started server behind
        raise RuntimeError(f"server did not start within {timeout} s: {self.log}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.log += self.proc.stderr.read().decode(errors="replace")
            self.proc.stderr.close()
        self.proc = None

    def create_channel(self, name: str) -> str:
        res = run_cli("channel", "create", name, *self._store_args())
        assert res.returncode == 0, res.stderr
        return res.stdout.strip().splitlines()[-1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "server").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The PostgreSQL server tests make their databases on (skips if there is none)."""
    pg = Postgres()
    yield pg
    pg.close()


@pytest.fixture
def pg_database(postgres: Postgres) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    url = postgres.create()
    yield url
    postgres.drop(url)


@pytest.fixture
def env_clean() -> dict[str, str]:
    """An environment for publisher subprocesses, free of the developer's BENCHCAST_*."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
