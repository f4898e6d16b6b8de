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
    """``benchcast serve`` in a subprocess, on a fixed port so it can be restarted there."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> ServerProcess:
        self.proc = subprocess.Popen(
            [
                *BENCHCAST,
                "serve",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"server exited: {err}")
            try:
                if httpx.get(self.url + "/-/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def create_channel(self, name: str) -> str:
        res = run_cli("channel", "create", name, "--data", str(self.data))
        assert res.returncode == 0, res.stderr
        return res.stdout.strip().splitlines()[-1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "server").start()
    yield srv
    srv.stop()


@pytest.fixture
def env_clean() -> dict[str, str]:
    """An environment for publisher subprocesses, free of the developer's BENCHCAST_*."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
