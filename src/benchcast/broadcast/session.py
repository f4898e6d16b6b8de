"""A broadcast session: sources → intake → redactor → spool → uplink, wired and run.

``Broadcast`` owns the pump thread that moves what sources put into the intake through the
redactor and into the spool, and the uplink that sends the spool to the server. Sources only
ever touch the intake, so nothing they do waits on the disk or the network.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchcast.broadcast.intake import Intake
from benchcast.broadcast.redact import Redactor
from benchcast.broadcast.sources.terminal import PtySession, child_env, default_command
from benchcast.broadcast.spool import Spool, spool_path
from benchcast.broadcast.uplink import Uplink

PUMP_INTERVAL = 0.01


def say(message: str) -> None:
    """A message for the streamer, on stderr, never into the streamed pty."""
    sys.stderr.write(f"benchcast: {message}\r\n")
    sys.stderr.flush()


class Broadcast:
    def __init__(
        self,
        *,
        server: str,
        key: str,
        data_dir: Path,
        title: str = "",
        tags: Sequence[str] = (),
        resume: bool = False,
        redactor: Redactor | None = None,
        on_message: Callable[[str], None] = say,
    ) -> None:
        path = spool_path(data_dir, server, key)
        if not resume and path.exists():
            old = Spool(path)
            left = old.unacked()
            old.close()
            if left:
                raise SystemExit(
                    f"benchcast: {left} events of an earlier stream were never delivered; "
                    "run again with --resume to send them and continue that stream, or "
                    f"delete {path} to discard them"
                )
            path.unlink()
            for extra in ("-wal", "-shm"):
                Path(str(path) + extra).unlink(missing_ok=True)
        self.spool = Spool(path)
        self.resumed = resume and self.spool.stream_id is not None
        self.t0 = self.spool.started_at()
        self.intake = Intake()
        self.redactor = redactor or Redactor.from_environment()
        self.uplink = Uplink(
            server, key, self.spool, title=title, tags=list(tags), on_message=on_message
        )
        self.title = title
        self.tags = list(tags)
        self.on_message = on_message
        self._pump = threading.Thread(target=self._pump_loop, name="benchcast-pump", daemon=True)

    def now(self) -> float:
        """Stream time: seconds since the stream started (across resumes)."""
        return max(0.0, time.time() - self.t0)

    def start(self, wait: float = 5.0) -> None:
        self.uplink.start()
        self._pump.start()
        self.uplink.welcomed.wait(wait)
        if self.uplink.info.refused:
            self.close(drain=0)
            raise SystemExit(f"benchcast: {self.uplink.info.refused}")
        if not self.uplink.welcomed.is_set():
            self.on_message(
                f"cannot reach {self.uplink.server} yet; streaming to the local "
                "spool and retrying in the background"
            )

    def _pump_loop(self) -> None:
        while True:
            items = self.intake.take(timeout=0.5)
            if items:
                scanned = self.redactor.scan(items)
                self.spool.append(scanned)
                self.uplink.notify()
            elif self.intake.closed:
                return
            time.sleep(PUMP_INTERVAL)  # let output gather into fewer, larger events

    def close(self, drain: float = 10.0) -> int:
        """Stop; wait up to ``drain`` seconds for the server to acknowledge everything.
        Returns how many events are left undelivered in the spool."""
        self.intake.close()
        self._pump.join(5)
        deadline = time.monotonic() + drain
        while self.spool.unacked() and time.monotonic() < deadline and not self.uplink.info.refused:
            time.sleep(0.05)
        self.uplink.close()
        left = self.spool.unacked()
        self.spool.close()
        return left

    def run_terminal(
        self,
        argv: Sequence[str] | None = None,
        source: str = "term:1",
        *,
        stdin: int = 0,
        stdout: int = 1,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> int:
        """Stream a command in a pty until it exits; return its exit status."""
        argv = list(argv) if argv else default_command()
        if not self.resumed:
            self.intake.put(
                self.now(),
                "stream.start",
                "stream",
                {"title": self.title or "Untitled stream", "tags": self.tags},
            )
        session = PtySession(
            argv,
            env=child_env(env),
            stdin=stdin,
            stdout=stdout,
            cwd=cwd,
            on_output=lambda text, _t: self.intake.put_output(self.now(), source, text),
            on_resize=lambda c, r, _t: self.intake.put(
                self.now(), "term.resize", source, {"cols": c, "rows": r}
            ),
        )
        self.intake.put(
            self.now(),
            "term.open",
            source,
            {"cols": session.size.cols, "rows": session.size.rows, "title": " ".join(argv)[:200]},
        )
        status = session.run()
        self.intake.put(self.now(), "term.close", source, {"status": status})
        self.intake.put(self.now(), "stream.end", "stream", {"reason": "finished"})
        return status

    def resume_only(self) -> None:
        """Send what the spool holds (from a publisher that was killed), then end the stream."""
        self.intake.put(self.now(), "stream.end", "stream", {"reason": "resumed and finished"})
