"""The terminal source: run a command in a pty, mirror it to the streamer, hand output on.

The streamer's terminal must feel exactly as without Benchcast: the real terminal goes raw,
keystrokes and window size pass through, full-screen programs work, and the command's exit
status is returned. The loop here only reads, writes to the streamer's own terminal, stamps
and hands over to ``on_output`` — which must never block (the intake is a bounded, coalescing
buffer); a slow disk or network therefore never stalls the streamer's shell.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import os
import select
import signal
import struct
import termios
import time
import tty
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

OutputFn = Callable[[str, float], None]
ResizeFn = Callable[[int, int, float], None]

READ_SIZE = 65536


@dataclass(frozen=True)
class TermSize:
    cols: int
    rows: int


def terminal_size(fd: int, default: TermSize = TermSize(80, 24)) -> TermSize:
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return default
    if cols <= 0 or rows <= 0:
        return default
    return TermSize(cols, rows)


def _set_size(fd: int, size: TermSize) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size.rows, size.cols, 0, 0))


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        data = data[n:]


class PtySession:
    """One command in a pty. ``run()`` blocks until the command exits and returns its status.

    ``stdin``/``stdout`` are the streamer's terminal (injected so tests can pass pipes);
    ``clock`` stamps events in stream time.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        on_output: OutputFn,
        on_resize: ResizeFn,
        env: Mapping[str, str] | None = None,
        stdin: int = 0,
        stdout: int = 1,
        clock: Callable[[], float] = time.monotonic,
        cwd: str | None = None,
        input_filter: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.on_output = on_output
        self.on_resize = on_resize
        self.env = dict(os.environ if env is None else env)
        self.stdin = stdin
        self.stdout = stdout
        self.clock = clock
        self.cwd = cwd
        self.input_filter = input_filter
        self.interactive = os.isatty(stdin)
        self.size = terminal_size(
            stdout if os.isatty(stdout) else stdin,
            TermSize(int(self.env.get("COLUMNS", 80) or 80), int(self.env.get("LINES", 24) or 24)),
        )

    def run(self) -> int:
        pid, master = os.forkpty()
        if pid == 0:
            self._exec_child()
        _set_size(master, self.size)
        return self._loop(pid, master)

    def _exec_child(self) -> None:
        try:
            if self.cwd:
                os.chdir(self.cwd)
            os.execvpe(self.argv[0], self.argv, self.env)
        except OSError as err:
            os.write(2, f"benchcast: cannot run {self.argv[0]!r}: {err.strerror}\r\n".encode())
        os._exit(127)

    def _loop(self, pid: int, master: int) -> int:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        sig_r, sig_w = os.pipe()
        os.set_blocking(sig_w, False)
        old_wakeup = signal.set_wakeup_fd(sig_w)
        old_winch = signal.signal(signal.SIGWINCH, lambda *_: None)
        saved = None
        if self.interactive:
            saved = termios.tcgetattr(self.stdin)
            # TCSANOW, not the default TCSAFLUSH: keep what the streamer typed ahead.
            tty.setraw(self.stdin, termios.TCSANOW)
        inputs = [master, sig_r]
        if self.stdin >= 0:
            inputs.append(self.stdin)
        try:
            while True:
                try:
                    ready, _, _ = select.select(inputs, [], [])
                except InterruptedError:
                    continue
                if sig_r in ready:
                    os.read(sig_r, 1024)
                    self._resized(master)
                if master in ready:
                    try:
                        data = os.read(master, READ_SIZE)
                    except OSError as err:
                        if err.errno != errno.EIO:
                            raise
                        data = b""
                    if not data:
                        break
                    _write_all(self.stdout, data)
                    text = decoder.decode(data)
                    if text:
                        self.on_output(text, self.clock())
                if self.stdin in ready:
                    try:
                        data = os.read(self.stdin, READ_SIZE)
                    except OSError:
                        data = b""
                    if data:
                        if self.input_filter is not None:
                            data = self.input_filter(data)
                        _write_all(master, data)
                    else:
                        inputs.remove(self.stdin)
                        if not self.interactive:
                            # Pass end-of-input on, as a terminal would on ^D.
                            with contextlib.suppress(OSError):
                                os.write(master, b"\x04")
            tail = decoder.decode(b"", final=True)
            if tail:
                self.on_output(tail, self.clock())
        finally:
            if saved is not None:
                termios.tcsetattr(self.stdin, termios.TCSAFLUSH, saved)
            signal.signal(signal.SIGWINCH, old_winch)
            signal.set_wakeup_fd(old_wakeup)
            os.close(sig_r)
            os.close(sig_w)
            os.close(master)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    def _resized(self, master: int) -> None:
        if not os.isatty(self.stdout):
            return
        size = terminal_size(self.stdout, self.size)
        if size != self.size:
            self.size = size
            _set_size(master, size)
            self.on_resize(size.cols, size.rows, self.clock())


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a streamed command: the streamer's, plus BENCHCAST_STREAMING=1 so
    prompts and tools can tell they are on air."""
    env = dict(os.environ if base is None else base)
    env["BENCHCAST_STREAMING"] = "1"
    env.setdefault("TERM", "xterm-256color")
    return env


def default_command() -> list[str]:
    return [os.environ.get("SHELL") or "/bin/sh"]
