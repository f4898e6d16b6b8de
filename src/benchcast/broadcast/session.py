"""A broadcast session: sources → intake → redactor → delay → spool → uplink, wired and run.

``Broadcast`` owns the pump thread that moves what sources put into the intake through the
redactor and the delay into the spool, and the uplink that sends the spool to the server.
Sources only ever touch the intake, so nothing they do waits on the disk or the network.

Fails closed: if the redactor raises, the output it was scanning is withheld (viewers see a
notice that something was not sent), never sent unscanned.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchcast.broadcast.blobs import MAX_HELD_SECONDS, BlobError, BlobStash, decode_request
from benchcast.broadcast.control import ControlServer
from benchcast.broadcast.delay import Delay
from benchcast.broadcast.intake import Intake, Raw
from benchcast.broadcast.redact import Redactor, Scanned, air_event, withheld_event
from benchcast.broadcast.sources.folder import Folder
from benchcast.broadcast.sources.terminal import PtySession, child_env, default_command
from benchcast.broadcast.spool import Spool, spool_path
from benchcast.broadcast.uplink import Uplink
from benchcast.events import EventError, blob_refs, validate_payload

log = logging.getLogger("benchcast.session")

PUMP_INTERVAL = 0.01
CONTROL = "_control"
#: Inside the streamed shell, Ctrl-] then: p pause/resume, x panic, Ctrl-] a literal Ctrl-].
HOTKEY_PREFIX = 0x1D
#: Kinds only the publisher itself makes (a local producer must not end or fake the stream).
_PUBLISHER_ONLY = {
    "stream.start",
    "stream.end",
    "air",
    "redacted",
    "term.open",
    "term.output",
    "term.resize",
    "term.close",
    "term.dropped",
}
MAX_LOCAL_EVENTS = 1000
#: Sent even off air: they carry no content, and the stream must still end.
_ALWAYS_SENT = {"air", "term.close", "stream.end"}


def say(message: str) -> None:
    """A message for the streamer, on stderr, never into the streamed pty."""
    sys.stderr.write(f"benchcast: {message}\r\n")
    sys.stderr.flush()


class Hotkeys:
    """Filters the streamer's keystrokes for the prefix key; passes everything else on."""

    def __init__(self, actions: dict[bytes, Callable[[], None]]) -> None:
        self.actions = actions
        self._armed = False

    def __call__(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if self._armed:
                self._armed = False
                key = bytes([b])
                if b == HOTKEY_PREFIX:
                    out.append(b)
                elif key in self.actions:
                    self.actions[key]()
                continue
            if b == HOTKEY_PREFIX:
                self._armed = True
                continue
            out.append(b)
        return bytes(out)


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
        delay: float = 0.0,
        watch: Sequence[Path] = (),
        secrets: Sequence[str] = (),
        on_message: Callable[[str], None] = say,
        code: Path | None = None,
    ) -> None:
        """``code``: the folder to stream on the code panel (its files and git), if any."""
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
        self.data_dir = data_dir
        self.spool = Spool(path)
        self.resumed = resume and self.spool.stream_id is not None
        self.t0 = self.spool.started_at()
        self.intake = Intake()
        self.on_message = on_message
        self._last_notice = 0.0
        self._refresh_failed = False
        self.redactor = redactor or Redactor.for_streamer(
            folders=list(watch) or [Path.cwd()], extra=secrets, on_redacted=self._notice
        )
        self.delay = Delay(delay)
        # Blobs wait beside their events; they must outlive the delay those events wait out.
        self.blobs = BlobStash(max_age=self.delay.seconds + MAX_HELD_SECONDS)
        self.folder = Folder(code, self.intake, self.now) if code is not None else None
        self.uplink = Uplink(
            server,
            key,
            self.spool,
            # The hello carries them before any event does: masked here, as events are.
            title=self.redactor.clean(title),
            tags=self.redactor.clean(list(tags)),
            on_message=on_message,
            on_request=self._server_request,
            delay=self.delay.seconds,
        )
        self.title = title
        self.tags = list(tags)
        self.air = "on"
        self._pump = threading.Thread(target=self._pump_loop, name="benchcast-pump", daemon=True)
        self.control_path = data_dir / "control" / f"{os.getpid()}.sock"
        self.control: ControlServer | None = None

    # ── lifecycle ────────────────────────────────────────────────────────────────────────

    def now(self) -> float:
        """Stream time: seconds since the stream started (across resumes)."""
        return max(0.0, time.time() - self.t0)

    def start(self, wait: float = 5.0) -> None:
        self.uplink.start()
        self._pump.start()
        try:
            self.control = ControlServer(self.control_path, self.handle)
            self.control.start()
        except OSError as err:
            self.on_message(f"no control socket ({err}); pause and panic work by hotkey only")
        self.uplink.welcomed.wait(wait)
        if self.uplink.info.refused:
            self.close(drain=0)
            raise SystemExit(f"benchcast: {self.uplink.info.refused}")
        if not self.uplink.welcomed.is_set():
            self.on_message(
                f"cannot reach {self.uplink.server} yet; streaming to the local "
                "spool and retrying in the background"
            )

    def close(self, drain: float = 10.0) -> int:
        """Stop; wait up to ``drain`` seconds for the server to acknowledge everything.
        Returns how many events are left undelivered in the spool."""
        if self.folder is not None:
            self.folder.close()
        self.intake.close()
        self._pump.join(max(5.0, self.delay.seconds + 5.0))
        if self.control is not None:
            self.control.close()
        deadline = time.monotonic() + drain
        while self.spool.unacked() and time.monotonic() < deadline and not self.uplink.info.refused:
            time.sleep(0.05)
        self.uplink.close()
        left = self.spool.unacked()
        self.spool.close()
        return left

    # ── control: pause, resume, panic ────────────────────────────────────────────────────

    def pause(self) -> None:
        self.intake.put(self.now(), CONTROL, "stream", {"command": "pause"})

    def resume(self) -> None:
        self.intake.put(self.now(), CONTROL, "stream", {"command": "resume"})

    def toggle(self) -> None:
        self.intake.put(self.now(), CONTROL, "stream", {"command": "toggle"})

    def panic(self) -> int:
        """Drop everything the delay still holds and go off air, now."""
        dropped = self.delay.panic()
        self.intake.put(self.now(), CONTROL, "stream", {"command": "panic"})
        return dropped

    def _panic_key(self) -> None:
        self.panic()

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """A control-socket request (see broadcast/control.py)."""
        command = request.get("command")
        if command is None and "focus" in request:  # an editor's cursor (docs/protocol.md)
            if self.folder is None:
                return {"ok": False, "error": "this stream shows no folder (--watch DIR)"}
            return self.folder.focus(request)
        if command == "pause":
            self.pause()
        elif command == "resume":
            self.resume()
        elif command == "panic":
            return {"ok": True, "dropped": self.panic(), "air": "paused"}
        elif command == "status":
            return {
                "ok": True,
                "air": self.air,
                "held": len(self.delay),
                "unacked": self.spool.unacked(),
                "hidden": self.redactor.hidden,
                "url": self.uplink.info.url,
            }
        elif command == "events":
            return self._local_events(request.get("events"))
        elif command == "blob":
            return self._local_blob(request)
        else:
            return {"ok": False, "error": f"unknown command {command!r}"}
        return {"ok": True}

    def _local_events(self, events: Any) -> dict[str, Any]:
        """Events from a local producer (the SDK, an editor, `benchcast note`): validated,
        stamped with stream time unless they carry it, then scanned like everything else."""
        if not isinstance(events, list) or len(events) > MAX_LOCAL_EVENTS:
            return {"ok": False, "error": f"events must be a list of at most {MAX_LOCAL_EVENTS}"}
        accepted, errors = 0, []
        for obj in events:
            try:
                if not isinstance(obj, dict):
                    raise EventError("an event must be a JSON object")
                kind, source = obj.get("kind"), obj.get("source", "sdk")
                if not isinstance(kind, str) or kind.startswith("_") or kind in _PUBLISHER_ONLY:
                    raise EventError(f"local producers cannot send {kind!r} events")
                if not isinstance(source, str) or not 0 < len(source) <= 64:
                    raise EventError("source must be a string of 1 to 64 characters")
                data = validate_payload(kind, obj.get("data", {}))
            except EventError as err:
                errors.append(str(err))
                continue
            self.intake.put(self.now(), kind, source, data)
            accepted += 1
        return {"ok": not errors, "accepted": accepted, "errors": errors[:10]}

    def _server_request(self, msg: dict[str, Any]) -> None:
        """A request from the server (on the uplink's thread): ``want`` a file's contents."""
        if msg.get("type") == "want" and self.folder is not None:
            self.folder.want(str(msg.get("path", "")))

    def _local_blob(self, request: dict[str, Any]) -> dict[str, Any]:
        """Bytes a local producer's next event refers to (an image): held here, in memory,
        and spooled only with that event (broadcast/blobs.py)."""
        try:
            blob = decode_request(request)
        except BlobError as err:
            return {"ok": False, "error": str(err)}
        self.blobs.put(blob)
        return {"ok": True, "hash": blob.digest}

    def _spool_blobs(self, ready: list[Scanned]) -> None:
        for ev in ready:
            for digest in blob_refs(ev.kind, ev.data):
                blob = self.blobs.take(digest)
                if blob is not None and not self.redactor.withholds(blob.mime, blob.data):
                    self.spool.put_blob(blob.digest, blob.mime, blob.data)

    def _notice(self, counts: Counter[str]) -> None:
        now = time.monotonic()
        if now - self._last_notice >= 3.0:
            self._last_notice = now
            n = sum(counts.values())
            self.on_message(
                f"hid {n} secret{'s' if n != 1 else ''} from viewers ({', '.join(sorted(counts))})"
            )

    # ── the pump ─────────────────────────────────────────────────────────────────────────

    def _pump_loop(self) -> None:
        while True:
            items = self.intake.take(timeout=0.05)
            if items:
                self._refresh_known()
            closed = self.intake.closed and not items
            out: list[Scanned] = []
            batch: list[Raw] = []
            for raw in items:
                if raw.kind == CONTROL:
                    out += self._scan(batch)
                    batch = []
                    out += self._control(raw)
                else:
                    batch.append(raw)
            out += self._scan(batch)
            out += self._guard(lambda: self.redactor.tick(self.now()))
            if closed:
                out += self._guard(lambda: self.redactor.flush(self.now()))
            if self.air == "paused":
                out = [e for e in out if e.kind in _ALWAYS_SENT]
            if out:
                self.delay.push(out)
            ready = self.delay.due(everything=closed)
            if ready:
                self._spool_blobs(ready)
                self.spool.append(ready)
                self.uplink.notify()
            if closed:
                return
            time.sleep(PUMP_INTERVAL)  # let output gather into fewer, larger events

    def _refresh_known(self) -> None:
        """Before scanning what arrived: learn the values of a ``.env`` or credential file
        changed since the last look (what arrived may be that file, printed)."""
        try:
            self.redactor.refresh_known()
        except Exception as err:  # the values known so far still apply
            if not self._refresh_failed:
                self._refresh_failed = True
                self.on_message(f"cannot read secrets from changed files again: {err}")

    def _guard(self, fn: Callable[[], list[Scanned]]) -> list[Scanned]:
        try:
            return fn()
        except Exception:  # fail closed: withhold, never send unscanned
            log.exception("redactor failed; output withheld")
            return self._withheld()

    def _withheld(self) -> list[Scanned]:
        out = []
        for source in list(self.redactor.terms):
            self.redactor.terms.pop(source)
            out.append(withheld_event(self.now(), source))
        self.on_message("the redactor failed; output was withheld, not sent")
        return out

    def _scan(self, batch: list[Raw]) -> list[Scanned]:
        if not batch:
            return []
        return self._guard(lambda: self.redactor.scan(batch))

    def _control(self, raw: Raw) -> list[Scanned]:
        command = raw.data["command"]
        if command == "toggle":
            command = "resume" if self.air == "paused" else "pause"
        if command in ("pause", "panic") and self.air == "on":
            self.air = "paused"
            if self.folder is not None:
                self.folder.pause()
            # The voice stops now, out of band, not after the delay (docs/voice.md).
            self.uplink.hold(raw.t)
            if command == "panic":
                self.delay.panic()
                # Straight to the spool: off air must not wait behind the delay.
                self.spool.append([air_event(raw.t, "paused")])
                self.uplink.notify()
                self.on_message("PANIC: held output dropped; off air (resume: Ctrl-] p)")
                return []
            self.on_message("paused: nothing is sent until you resume (Ctrl-] p)")
            return [air_event(raw.t, "paused")]
        if command == "resume" and self.air == "paused":
            self.air = "on"
            # Back on air follows the delayed air event; only going off air jumps the queue.
            self.uplink.hold(None)
            if self.folder is not None:
                self.folder.resume()
            self.on_message("back on air")
            # The screen goes out as it is now, not as a backlog of what happened off air.
            return [
                air_event(raw.t, "on"),
                *self._guard(lambda: self.redactor.resume_redraw(raw.t)),
            ]
        return []

    # ── sources ──────────────────────────────────────────────────────────────────────────

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
        child = child_env(env)
        child["BENCHCAST_CONTROL"] = str(self.control_path)
        session = PtySession(
            argv,
            env=child,
            stdin=stdin,
            stdout=stdout,
            cwd=cwd,
            on_output=lambda text, _t: self.intake.put_output(self.now(), source, text),
            on_resize=lambda c, r, _t: self.intake.put(
                self.now(), "term.resize", source, {"cols": c, "rows": r}
            ),
            input_filter=Hotkeys({b"p": self.toggle, b"x": self._panic_key}),
        )
        self.intake.put(
            self.now(),
            "term.open",
            source,
            {"cols": session.size.cols, "rows": session.size.rows, "title": " ".join(argv)[:200]},
        )
        if self.folder is not None:
            # After the terminal opened: its first output never waits behind the tree.
            self.folder.start()
        status = session.run()
        self.intake.put(self.now(), "term.close", source, {"status": status})
        self.intake.put(self.now(), "stream.end", "stream", {"reason": "finished"})
        return status

    def resume_only(self) -> None:
        """Send what the spool holds (from a publisher that was killed), then end the stream."""
        self.intake.put(self.now(), "stream.end", "stream", {"reason": "resumed and finished"})
