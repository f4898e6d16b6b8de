"""Writes keyframes: the fold of each live stream, snapshotted every ~30 s or ~1 MB of output;
and, at each keyframe, the search documents the fold made since the last one
(replay/searchdocs.py: terminal lines as they appeared on screen, notes, chat …).

Folding terminal output through a VT emulator costs CPU, so it runs on a thread of its own,
fed by a bounded queue; the event loop only enqueues. It is fed only the events this process
appended for a publisher, so with many processes each stream's keyframes are written by the
process that ingests it, and no process folds streams it merely relays. Keyframes are an
index, not the truth: if the queue overflows, or after a restart, the fold of that stream is
rebuilt from its newest keyframe and the stored events after it, so nothing is lost, only
delayed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from benchcast.events import Event
from benchcast.replay.fold import StreamFold
from benchcast.replay.papers import PageTexts
from benchcast.replay.searchdocs import StreamIndexer
from benchcast.store.archive import Archive
from benchcast.store.async_store import AsyncStore

log = logging.getLogger("benchcast.keyframer")

KEYFRAME_SECONDS = 30.0
KEYFRAME_BYTES = 1024 * 1024
QUEUE_BATCHES = 10_000
#: A gap of up to this many events is read and applied; a longer one rebuilds from a keyframe.
GAP_FILL_MAX = 1000


class _Live:
    def __init__(self, fold: StreamFold, indexer: StreamIndexer) -> None:
        self.fold = fold
        self.indexer = indexer
        self.last_t = fold.t
        self.last_bytes = fold.output_bytes


class Keyframer:
    def __init__(
        self,
        store: AsyncStore,
        *,
        every_seconds: float = KEYFRAME_SECONDS,
        every_bytes: int = KEYFRAME_BYTES,
    ) -> None:
        self.store = store
        self.archive = Archive(store.sync)
        # A paper's page text, for the search index (extracted here, on the keyframer's thread).
        self.pages = PageTexts(store.sync)
        self.every_seconds = every_seconds
        self.every_bytes = every_bytes
        self._queue: queue.Queue[tuple[str, Sequence[Event]] | threading.Event | None] = (
            queue.Queue(QUEUE_BATCHES)
        )
        self._live: dict[str, _Live] = {}
        self._stale: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="benchcast-keyframer", daemon=True)
        self._pending: list[Future[None]] = []
        self.written = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def feed(self, stream_id: str, events: Sequence[Event], _wire: Sequence[str] = ()) -> None:
        """Called on the event loop for every appended batch. Never blocks."""
        try:
            self._queue.put_nowait((stream_id, events))
        except queue.Full:
            with self._lock:
                self._stale.add(stream_id)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until everything fed so far is folded and its keyframes written (for tests)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)
        for f in list(self._pending):
            f.result(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            stream_id, events = item
            try:
                self._fold(stream_id, events)
            except Exception:  # a bad stream must not stop keyframes for the others
                log.exception("keyframer: folding stream %s failed; will rebuild", stream_id)
                self._live.pop(stream_id, None)

    def _load(self, stream_id: str, upto: int) -> _Live:
        """The fold of a stream up to and including seq ``upto``, from the store."""
        kf = self.store.sync.keyframe(stream_id, at_seq=upto)
        fold = StreamFold.restore(kf.state) if kf else StreamFold()
        # What was indexed before (this process's earlier life, another process) is not again.
        indexed = self.archive.search.progress(stream_id)
        indexer = StreamIndexer(fold, skip_through=indexed, pages=self.pages)
        indexer.apply_all(self.store.sync.iter_events(stream_id, fold.seq, upto))
        return _Live(fold, indexer)

    def _fold(self, stream_id: str, events: Sequence[Event]) -> None:
        with self._lock:
            stale = stream_id in self._stale
            self._stale.discard(stream_id)
        live = self._live.get(stream_id)
        first = events[0].seq
        behind = first - 1 - live.fold.seq if live is not None else 0
        if live is None or stale or behind > GAP_FILL_MAX:
            live = self._live[stream_id] = self._load(stream_id, first - 1)
        elif behind > 0:
            # Events appended elsewhere (a note over HTTP, another process) sit between the
            # last batch and this one: read just those rather than rebuilding the fold.
            live.indexer.apply_all(self.store.sync.iter_events(stream_id, live.fold.seq, first - 1))
        for ev in events:
            if ev.seq <= live.fold.seq:
                continue
            live.indexer.apply(ev)
            ended = ev.kind == "stream.end"
            if (
                ended
                or live.fold.t - live.last_t >= self.every_seconds
                or live.fold.output_bytes - live.last_bytes >= self.every_bytes
            ):
                self._snapshot(stream_id, live, final=ended)
            if ended:
                self._live.pop(stream_id, None)
                return

    def _snapshot(self, stream_id: str, live: _Live, *, final: bool = False) -> None:
        fold = live.fold
        state = fold.snapshot()
        batch = live.indexer.take(final=final)
        live.last_t, live.last_bytes = fold.t, fold.output_bytes
        # The index first: a keyframe newer than the index's progress is never relied on.
        index = self.store._writer.submit(batch.write, self.archive, stream_id)
        fut = self.store._writer.submit(
            self.store.sync.put_keyframe, stream_id, fold.seq, fold.t, state
        )
        self._pending = [f for f in self._pending if not f.done()] + [index, fut]
        self.written += 1
