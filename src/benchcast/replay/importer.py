"""Import asciicast recordings (v1, v2, v3) as past streams.

The recording becomes an ended stream on a channel: ``stream.start``, ``term.open`` at the
recording's size, its output, resizes and markers, ``stream.end``. Keyframes are written as
the live server would (every 30 s of stream time or 1 MB of output), so seeking an imported
recording costs what seeking a streamed one does.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from benchcast.events import Draft, EventError, validate_payload
from benchcast.replay.asciicast import Recording, read_asciicast
from benchcast.replay.fold import StreamFold
from benchcast.replay.searchdocs import StreamIndexer
from benchcast.store.archive import Archive
from benchcast.store.database import Store, StoreError, Stream

KEYFRAME_SECONDS = 30.0
KEYFRAME_BYTES = 1024 * 1024
BATCH = 2000
SOURCE = "term:1"


def _drafts(rec: Recording, title: str) -> Iterator[Draft]:
    header = rec.header
    yield Draft(
        t=0.0,
        kind="stream.start",
        source="stream",
        data=validate_payload("stream.start", {"title": title, "tags": ["imported"]}),
    )
    yield Draft(
        t=0.0,
        kind="term.open",
        source=SOURCE,
        data={
            "cols": header.cols,
            "rows": header.rows,
            "title": (header.command or header.title or "")[:200],
        },
    )
    last = 0.0
    for ev in rec.events:
        last = ev.time
        if ev.code == "o":
            # One event's payload is bounded; long frames are split, in order.
            for i in range(0, len(ev.data), 64 * 1024):
                yield Draft(
                    t=ev.time,
                    kind="term.output",
                    source=SOURCE,
                    data={"text": ev.data[i : i + 64 * 1024]},
                )
        elif ev.code == "r":
            cols, _, rows = ev.data.partition("x")
            try:
                data = validate_payload("term.resize", {"cols": int(cols), "rows": int(rows)})
            except (ValueError, EventError):
                continue  # the reader already drops impossible sizes; be as tolerant here
            yield Draft(t=ev.time, kind="term.resize", source=SOURCE, data=data)
        elif ev.code == "m":
            yield Draft(
                t=ev.time,
                kind="marker",
                source="stream",
                data={"label": (ev.data or "marker")[:200]},
            )
    yield Draft(t=last, kind="term.close", source=SOURCE, data={"status": None})
    yield Draft(t=last, kind="stream.end", source="stream", data={"reason": "imported"})


#: Turns a recording's events into those to store (``Redactor.replay``: masked, in order).
Redact = Callable[[Iterable[Draft]], Iterator[Draft]]


def import_recording(
    store: Store,
    rec: Recording,
    *,
    channel: str = "imported",
    title: str | None = None,
    redact: Redact | None = None,
) -> Stream:
    """Store a recording as an ended stream on ``channel`` (created if missing). With
    ``redact``, what is stored is what it makes of the recording's events."""
    ch = store.channel(channel)
    if ch is None:
        try:
            ch, _key = store.create_channel(channel)
        except StoreError:
            ch = store.channel(channel)
            if ch is None:
                raise
    name = title or rec.header.title or "Imported recording"
    drafts = _drafts(rec, name)
    if redact is not None:
        drafts = redact(drafts)
    start = next(drafts)  # stream.start: the stream's title as stored (masked, with redact)
    started = float(rec.header.timestamp) if rec.header.timestamp else time.time()
    stream = store.create_stream(ch, start.data["title"][:200], ["imported"], started)
    fold = StreamFold()
    indexer = StreamIndexer(fold)
    archive = Archive(store)
    last_kf_t, last_kf_bytes = 0.0, 0
    batch: list[Draft] = []

    def flush() -> None:
        nonlocal last_kf_t, last_kf_bytes
        for ev in store.append(stream.id, batch):
            indexer.apply(ev)
            if (
                fold.t - last_kf_t >= KEYFRAME_SECONDS
                or fold.output_bytes - last_kf_bytes >= KEYFRAME_BYTES
            ):
                indexer.take().write(archive, stream.id)
                store.put_keyframe(stream.id, fold.seq, fold.t, fold.snapshot())
                last_kf_t, last_kf_bytes = fold.t, fold.output_bytes
        batch.clear()

    try:
        for draft in itertools.chain([start], drafts):
            batch.append(draft)
            if len(batch) >= BATCH:
                flush()
        flush()
    except Exception:
        store.end_stream(stream.id, started + fold.t)  # what was stored stays, not left live
        raise
    indexer.take(final=True).write(archive, stream.id)
    store.put_keyframe(stream.id, fold.seq, fold.t, fold.snapshot())
    store.end_stream(stream.id, started + fold.t)
    out = store.stream(stream.id)
    assert out is not None
    return out


def import_file(
    store: Store,
    path: Path,
    *,
    channel: str = "imported",
    title: str | None = None,
    redact: Redact | None = None,
) -> Stream:
    """Read and import one recording; raises AsciicastError (with the line) if it is refused."""
    with path.open(encoding="utf-8", errors="strict") as f:
        rec = read_asciicast(f.read())
    return import_recording(store, rec, channel=channel, title=title, redact=redact)
