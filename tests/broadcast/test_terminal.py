"""`benchcast stream` in a real pty, as a streamer runs it: the shell behaves as without
Benchcast, and hostile output neither breaks the stream nor the server."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import httpx

from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive, terminal_text, wait_for


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Terminal:
    """The streamer's terminal: a pty whose far end runs `benchcast stream`."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int, rows: int) -> None:
        self.pid, self.fd = os.forkpty()
        if self.pid == 0:
            os.execvpe(argv[0], argv, env)
        set_size(self.fd, cols, rows)
        self.screen = b""

    def read_until(self, needle: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"{needle!r} not seen; got {self.screen[-500:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536)
                except OSError:
                    break

    def poll(self) -> int:
        """Read what is there without waiting; return how much has been seen in all."""
        while select.select([self.fd], [], [], 0)[0]:
            try:
                self.screen += os.read(self.fd, 65536)
            except OSError:
                break
        return len(self.screen)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait(self) -> int:
        while True:
            try:
                self.screen += os.read(self.fd, 65536)
            except OSError:
                break
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_a_streamed_shell_behaves_like_the_real_terminal(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    env = dict(env_clean, PS1="$ ", TERM="xterm-256color")
    term = Terminal(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            key,
            "--data",
            str(tmp_path / "pub"),
            "--title",
            "shell",
            "--",
            "bash",
            "--norc",
            "--noprofile",
            "-i",
        ],
        env,
        cols=100,
        rows=30,
    )
    term.read_until(b"$ ")
    term.type("echo on-air=$BENCHCAST_STREAMING; stty size\r")
    term.read_until(b"30 100")
    set_size(term.fd, 120, 40)  # the kernel signals SIGWINCH to the publisher
    time.sleep(0.3)
    term.type("stty size\r")
    term.read_until(b"40 120")
    term.type("exit 7\r")
    assert term.wait() == 7
    sid = httpx.get(server.url + "/api/streams").json()["streams"][0]["id"]
    events = wait_for(
        lambda: (
            [e for e in archive(server.url, sid) if e["kind"] == "stream.end"]
            and archive(server.url, sid)
        )
    )
    text = terminal_text(events)
    assert "on-air=1" in text and "30 100" in text and "40 120" in text
    opened = next(e for e in events if e["kind"] == "term.open")
    assert (opened["data"]["cols"], opened["data"]["rows"]) == (100, 30)
    resize = next(e for e in events if e["kind"] == "term.resize")
    assert (resize["data"]["cols"], resize["data"]["rows"]) == (120, 40)
    close = next(e for e in events if e["kind"] == "term.close")
    assert close["data"]["status"] == 7


GARBAGE = r"""
import os, sys, time
out = sys.stdout.buffer
out.write(b"before\n")
out.write(b"\xff\xfe\xc3(\xa0\xa1\xf0\x28\x8c\x28 invalid utf-8\n")
out.write(os.urandom(200_000))
out.write(b"\x1b[0m\x1bc\n")
line = b"y" * 79 + b"\n"
for _ in range(24 * 1024 * 1024 // 80):  # a 24 MB burst, like `yes` or `cat big.log`
    out.write(line)
out.flush()
time.sleep(1.5)  # the rate cap refills
out.write(b"after\n")
out.flush()
"""


def test_garbage_bytes_and_a_24mb_burst_keep_the_stream_and_server_whole(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    script = tmp_path / "garbage.py"
    script.write_text(GARBAGE)
    res = subprocess.run(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            key,
            "--data",
            str(tmp_path / "pub"),
            "--drain",
            "150",  # a loaded machine may need a while to deliver 20 MB; wait for all of it
            "--",
            sys.executable,
            str(script),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=240,
        env=env_clean,
    )
    assert res.returncode == 0, res.stderr
    assert b"not yet delivered" not in res.stderr
    sid = httpx.get(server.url + "/api/streams").json()["streams"][0]["id"]
    events = archive(server.url, sid)
    text = terminal_text(events)
    assert text.startswith("before\r\n")
    assert "\ufffd" in text  # invalid bytes became replacement characters, not errors
    assert text.endswith("after\r\n")
    dropped = [e for e in events if e["kind"] == "term.dropped"]
    lost = sum(e["data"]["bytes"] for e in dropped)
    assert dropped and lost > 0
    # Nothing vanished silently: what was kept plus what was reported dropped is the burst.
    kept = sum(len(line) + 2 for line in text.split("\r\n") if line and set(line) == {"y"})
    burst = 24 * 1024 * 1024 // 80 * 81  # 79 y's and a newline, which the pty makes \r\n
    assert abs(kept + lost - burst) < burst * 0.01
    assert "rate cap" in dropped[0]["data"]["reason"]
    # The viewer learns what was lost where it was lost: before the output that followed.
    assert dropped[-1]["seq"] < next(
        e["seq"] for e in events if "after" in e["data"].get("text", "")
    )
    assert httpx.get(server.url + "/-/health").json()["ok"] is True
