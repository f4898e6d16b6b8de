"""JSONL export: one event envelope per line, oldest first — the log exactly as stored."""

from __future__ import annotations

from typing import TextIO

from benchcast.store.database import Store


def export_jsonl(store: Store, stream_id: str, out: TextIO) -> int:
    """Write every event of a stream; return how many."""
    n = 0
    since = 0
    while True:
        rows = store.events_json(stream_id, since, 5000)
        for _seq, _t, line in rows:
            out.write(line + "\n")
        n += len(rows)
        if len(rows) < 5000:
            return n
        since = rows[-1][0]
