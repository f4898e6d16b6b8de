"""The real services the scale-out path runs on: a PostgreSQL database per test, and Redis.

PostgreSQL: the server at ``BENCHCAST_TEST_POSTGRES`` (default: the machine's own, database
``test``) makes a fresh database for each test that asks, dropped afterwards. Redis: tests of
the bus share the machine's Redis (``BENCHCAST_TEST_REDIS``) under a prefix of their own; a test
that restarts Redis starts its own ``redis-server`` on a free port instead. Where a service
is missing the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES = os.environ.get("BENCHCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCHCAST_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """Makes and drops databases on one PostgreSQL server."""

    def __init__(self, url: str = POSTGRES) -> None:
        import psycopg

        self.url = url
        try:
            self.admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as err:
            pytest.skip(f"PostgreSQL not reachable at {url}: {err}")
        self.made: list[str] = []

    def create(self) -> str:
        """A new, empty database; returns its URL."""
        name = "bc_test_" + secrets.token_hex(6)
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/" + name))

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def close(self) -> None:
        for name in list(self.made):
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def shared_redis_url() -> str:
    """The machine's Redis, with a channel prefix no other test uses."""
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as err:
        pytest.skip(f"Redis not reachable at {REDIS}: {err}")
    sep = "&" if "?" in REDIS else "?"
    return f"{REDIS}{sep}prefix=bc-test-{secrets.token_hex(4)}"


class RedisProcess:
    """A ``redis-server`` of a test's own on a fixed free port, so it can be killed and
    started again at the same address. Keeps nothing on disk."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisProcess:
        assert self.binary is not None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None
