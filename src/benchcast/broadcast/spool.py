"""The spool: a durable outbox on the streamer's disk.

Every scanned event is written here, numbered with the publisher's own dense sequence number
(pseq), before the uplink sends it, and stays until the server acknowledges it. A dropped
connection, a restarted server or a killed publisher therefore loses nothing: the next
connection (or the next ``benchcast stream --resume``) sends what is still here, and the server
recognises anything it already has by pseq.

One spool file per (server, stream key); it is SQLite in WAL mode, written by one thread.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchcast.broadcast.redact import Scanned

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    pseq INTEGER PRIMARY KEY,
    t REAL NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL);
"""


@dataclass(frozen=True)
class Spooled:
    pseq: int
    t: float
    kind: str
    source: str
    data: str  # JSON

    def wire(self) -> str:
        return (
            f'{{"pseq":{self.pseq},"t":{self.t!r},"kind":{json.dumps(self.kind)},'
            f'"source":{json.dumps(self.source)},"data":{self.data}}}'
        )


def spool_path(data_dir: Path, server: str, key: str) -> Path:
    ident = hashlib.sha256(f"{server}\n{key}".encode()).hexdigest()[:20]
    return data_dir / "spool" / f"{ident}.db"


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (the case that matters here); FULL would add an
        # fsync per batch on the streamer's laptop for protection only against power loss.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        row = self._db.execute("SELECT COALESCE(MAX(pseq), 0) FROM outbox").fetchone()
        last = int(self.get("last_pseq") or 0)
        self._next = max(int(row[0]), last) + 1

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, value))

    @property
    def stream_id(self) -> str | None:
        return self.get("stream")

    def started_at(self) -> float:
        """Wall-clock start of the stream (stream time is measured from it), set once."""
        value = self.get("t0")
        if value is None:
            t0 = time.time()
            self.set("t0", repr(t0))
            return t0
        return float(value)

    def append(self, items: Sequence[Scanned]) -> int:
        """Durably add events; return the last pseq given."""
        with self._lock:
            rows: list[tuple[Any, ...]] = []
            for it in items:
                rows.append(
                    (
                        self._next,
                        it.t,
                        it.kind,
                        it.source,
                        json.dumps(it.data, separators=(",", ":"), ensure_ascii=False),
                    )
                )
                self._next += 1
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO outbox (pseq, t, kind, source, data) VALUES (?, ?, ?, ?, ?)", rows
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta (k, v) VALUES ('last_pseq', ?)", (str(self._next - 1),)
            )
            self._db.execute("COMMIT")
            return self._next - 1

    def pending(self, after: int = 0, limit: int = 500) -> list[Spooled]:
        with self._lock:
            rows = self._db.execute(
                "SELECT pseq, t, kind, source, data FROM outbox WHERE pseq > ? "
                "ORDER BY pseq LIMIT ?",
                (after, limit),
            ).fetchall()
        return [Spooled(*r) for r in rows]

    def ack(self, pseq: int) -> None:
        """The server has everything up to ``pseq``: forget it."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE pseq <= ?", (pseq,))

    def unacked(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    # ── blobs: bytes that spooled events refer to by hash (broadcast/blobs.py) ───────────

    def put_blob(self, digest: str, mime: str, data: bytes) -> None:
        """Keep a blob until the server has it; spool it before the events that refer to it,
        since the uplink sends every blob it holds before the events it reads after it."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO blobs (hash, mime, data) VALUES (?, ?, ?)",
                (digest, mime, data),
            )

    def pending_blobs(self) -> list[tuple[str, str]]:
        """(hash, mime) of every blob the server has not acknowledged, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT hash, mime FROM blobs ORDER BY rowid").fetchall()
        return [(str(h), str(m)) for h, m in rows]

    def blob_data(self, digest: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM blobs WHERE hash = ?", (digest,)).fetchone()
        return None if row is None else bytes(row[0])

    def ack_blob(self, digest: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM blobs WHERE hash = ?", (digest,))

    @property
    def last_pseq(self) -> int:
        return self._next - 1
