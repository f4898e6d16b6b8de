"""The real publisher (`benchcast stream`) against a real server that restarts, and a real
publisher that is killed: the archive holds every byte exactly once, in order."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from benchcast.broadcast.spool import spool_path
from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive, terminal_text, wait_for

# Prints three phases of numbered lines; before phases B and C it waits for a flag file, so
# the test can take the server down or kill the publisher at known points. A euro sign is
# written one byte at a time so a UTF-8 character spans pty reads.
EMIT = r"""
import os, sys, time
flags = sys.argv[1]
def phase(name, n):
    for i in range(n):
        print(f"{name} line {i:04d} " + "x" * 30, flush=True)
        if i % 50 == 0:
            time.sleep(0.01)
    print(f"END-{name}", flush=True)
def wait(flag):
    while not os.path.exists(os.path.join(flags, flag)):
        time.sleep(0.02)
phase("A", 300)
for b in "€".encode():
    sys.stdout.buffer.write(bytes([b])); sys.stdout.flush(); time.sleep(0.05)
print(flush=True)
wait("b")
phase("B", 300)
wait("c")
phase("C", 300)
"""


def expected(phases: str) -> str:
    out = []
    for name in phases:
        out += [f"{name} line {i:04d} " + "x" * 30 + "\r\n" for i in range(300)]
        out.append(f"END-{name}\r\n")
        if name == "A":
            out.append("€\r\n")
    return "".join(out)


class Publisher:
    """`benchcast stream -- python EMIT` in a subprocess, its mirrored output collected."""

    def __init__(self, tmp: Path, srv: ServerProcess, key: str, env: dict[str, str]) -> None:
        self.flags = tmp / "flags"
        self.flags.mkdir(exist_ok=True)
        script = tmp / "emit.py"
        script.write_text(EMIT)
        self.data = tmp / "publisher"
        self.srv, self.key = srv, key
        self.proc = subprocess.Popen(
            [
                *BENCHCAST,
                "stream",
                "--server",
                srv.url,
                "--key",
                key,
                "--data",
                str(self.data),
                "--title",
                "restart test",
                "--",
                sys.executable,
                str(script),
                str(self.flags),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._err_file(tmp),
            env=env,
        )
        self.mirror = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _err_file(self, tmp: Path) -> int:
        self.err_path = tmp / "publisher.err"
        fd = os.open(self.err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self._err_fd = fd
        return fd

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: os.read(self.proc.stdout.fileno(), 65536), b""):  # type: ignore[union-attr]
            self.mirror += chunk

    def flag(self, name: str) -> None:
        (self.flags / name).touch()

    def spooled(self, text: str) -> bool:
        """Whether the spool holds an event containing ``text`` (not yet acknowledged)."""
        path = spool_path(self.data, self.srv.url, self.key)
        with sqlite3.connect(path) as db:
            return any(text in row[0] for row in db.execute("SELECT data FROM outbox"))

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        self.proc.wait(timeout=timeout)
        self._reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        os.close(self._err_fd)
        return self.proc.returncode, self.err_path.read_text()


def stream_id(srv: ServerProcess) -> str | None:
    streams = httpx.get(srv.url + "/api/streams").json()["streams"]
    return str(streams[0]["id"]) if streams else None


def test_every_byte_arrives_once_in_order_across_a_server_restart(
    tmp_path: Path, env_clean: dict[str, str]
) -> None:
    srv = ServerProcess(tmp_path / "server").start()
    key = srv.create_channel("ada")
    pub = Publisher(tmp_path, srv, key, env_clean)
    try:
        wait_for(lambda: b"END-A" in pub.mirror)
        sid = wait_for(lambda: stream_id(srv))
        wait_for(lambda: "€" in terminal_text(archive(srv.url, sid)))
        srv.stop()
        pub.flag("b")  # phase B is printed while the server is down: it waits in the spool
        wait_for(lambda: pub.spooled("END-B"))
        srv.start()
        pub.flag("c")
        status, err = pub.finish()
        assert status == 0, err
        events = archive(srv.url, sid)
        assert terminal_text(events) == expected("ABC")
        assert pub.mirror.decode() == expected("ABC")
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert events[0]["kind"] == "stream.start" and events[-1]["kind"] == "stream.end"
    finally:
        pub.proc.kill()
        srv.stop()


def test_a_killed_publisher_resumes_from_its_spool(
    tmp_path: Path, env_clean: dict[str, str]
) -> None:
    srv = ServerProcess(tmp_path / "server").start()
    key = srv.create_channel("ada")
    pub = Publisher(tmp_path, srv, key, env_clean)
    try:
        sid = wait_for(lambda: stream_id(srv))
        wait_for(lambda: "€" in terminal_text(archive(srv.url, sid)))
        srv.stop()
        pub.flag("b")
        wait_for(lambda: pub.spooled("END-B"))
        pub.proc.send_signal(signal.SIGKILL)
        pub.finish()
        srv.start()
        resumed = subprocess.run(
            [
                *BENCHCAST,
                "stream",
                "--resume",
                "--server",
                srv.url,
                "--key",
                key,
                "--data",
                str(pub.data),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=env_clean,
        )
        assert resumed.returncode == 0, resumed.stderr
        events = archive(srv.url, sid)
        assert terminal_text(events) == expected("AB")
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["kind"] == "stream.end"
    finally:
        pub.proc.kill()
        srv.stop()


def test_a_spool_left_by_a_crash_is_not_silently_discarded(
    tmp_path: Path, env_clean: dict[str, str]
) -> None:
    srv = ServerProcess(tmp_path / "server").start()
    key = srv.create_channel("ada")
    pub = Publisher(tmp_path, srv, key, env_clean)
    try:
        wait_for(lambda: stream_id(srv))
        srv.stop()
        pub.flag("b")
        wait_for(lambda: pub.spooled("END-B"))
        pub.proc.send_signal(signal.SIGKILL)
        pub.finish()
        srv.start()
        again = subprocess.run(
            [
                *BENCHCAST,
                "stream",
                "--server",
                srv.url,
                "--key",
                key,
                "--data",
                str(pub.data),
                "--",
                "true",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=env_clean,
        )
        assert again.returncode != 0
        assert "--resume" in again.stderr
    finally:
        pub.proc.kill()
        srv.stop()


def test_a_stream_the_server_refuses_ends_with_its_reason_not_a_traceback(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    for args, reason in [
        (["--key", key, "--tag", "t" * 41], "each tag must be 1 to 40 characters"),
        (["--key", "bc_not-a-key"], "refused"),
    ]:
        res = subprocess.run(
            [
                *BENCHCAST,
                "stream",
                "--server",
                server.url,
                "--data",
                str(tmp_path / "pub"),
                *args,
                *("--", "bash", "-c", "echo hi"),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=env_clean,
        )
        assert res.returncode != 0
        assert reason in res.stderr
        assert "Traceback" not in res.stderr, res.stderr
