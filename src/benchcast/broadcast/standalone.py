"""A process that streams on its own: the SDK (or a tailer) run outside any `benchcast
stream`/`live` session.

It does what the publisher would: scans every event with the redactor (the streamer's known
secrets included), spools it to disk, and — when a server is configured (``BENCHCAST_SERVER``
and ``BENCHCAST_KEY``) — uploads it over the same resumable uplink, as a stream of its own.
Without a server the stream stays in the spool file, ``<data>/sdk/<name>.db``.

The producer's thread calls ``send_*``: scanning and an SQLite append, never the network.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from benchcast.broadcast.blobs import Blob, BlobStash
from benchcast.broadcast.intake import Raw
from benchcast.broadcast.producer import Event, warn
from benchcast.broadcast.redact import Redactor, Scanned
from benchcast.broadcast.spool import Spool
from benchcast.broadcast.uplink import Uplink
from benchcast.events import EventError, blob_refs, validate_payload


class OwnStreamSink:
    def __init__(
        self,
        *,
        data_dir: Path,
        server: str | None,
        key: str | None,
        title: str,
        tags: list[str] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
        self.path = data_dir / "sdk" / f"{name}.db"
        self.spool = Spool(self.path)
        self.t0 = self.spool.started_at()
        self.redactor = redactor or Redactor.for_streamer(folders=[Path.cwd()])
        self.stash = BlobStash()
        self.uplink: Uplink | None = None
        self._warned: set[str] = set()
        tags = list(tags or [])
        if server and key:
            self.uplink = Uplink(
                server,
                key,
                self.spool,
                # The hello carries them before any event does: masked here, as events are.
                title=self.redactor.clean(title),
                tags=self.redactor.clean(tags),
                on_message=warn,
            )
            self.uplink.start()
        self._append([Raw(self.now(), "stream.start", "stream", {"title": title, "tags": tags})])

    def now(self) -> float:
        return max(0.0, time.time() - self.t0)

    def send_blob(self, blob: Blob) -> None:
        self.stash.put(blob)

    def send_events(self, events: list[Event]) -> None:
        raws = []
        for ev in events:
            try:
                data = validate_payload(ev["kind"], ev["data"])
            except EventError as err:
                if str(err) not in self._warned and len(self._warned) < 20:
                    self._warned.add(str(err))
                    warn(f"not sent: {err}")
                continue
            raws.append(Raw(self.now(), ev["kind"], ev["source"], data))
        self._append(raws)

    def _append(self, raws: list[Raw]) -> None:
        try:
            # A .env or token file written since the last batch: its values are known first.
            self.redactor.refresh_known()
        except Exception as err:  # the values known so far still apply
            warn(f"cannot read secrets from changed files again: {err}")
        try:
            scanned: list[Scanned] = self.redactor.scan(raws)
        except Exception:  # fail closed: what could not be scanned is not sent
            warn(f"the redactor failed; {len(raws)} events withheld")
            return
        for ev in scanned:
            for digest in blob_refs(ev.kind, ev.data):
                blob = self.stash.take(digest)
                if blob is not None and not self.redactor.withholds(blob.mime, blob.data):
                    self.spool.put_blob(blob.digest, blob.mime, blob.data)
        self.spool.append(scanned)
        if self.uplink is not None:
            self.uplink.notify()

    def close(self, drain: float) -> int:
        self._append([Raw(self.now(), "stream.end", "stream", {"reason": "finished"})])
        if self.uplink is None:
            self.spool.close()
            warn(f"no server configured (BENCHCAST_SERVER, BENCHCAST_KEY): kept in {self.path}")
            return 0
        deadline = time.monotonic() + drain
        while self.spool.unacked() and time.monotonic() < deadline and not self.uplink.info.refused:
            time.sleep(0.05)
        self.uplink.close()
        left = self.spool.unacked()
        self.spool.close()
        if left:
            warn(f"{left} events not delivered yet; they are kept in {self.path}")
        return left
