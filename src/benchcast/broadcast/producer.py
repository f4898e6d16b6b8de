"""A local producer: how the SDK, the notebook extension and file tailers put events into a
stream without ever making the code that calls them wait.

The caller's side is one bounded deque: ``put`` appends an item and returns (a few hundred
nanoseconds); past ``cap`` items it drops the item and counts it. A background thread wakes
every ``interval`` (0.1 s), turns what gathered into events — consecutive metric rows of a
run become one ``metric`` event of up to ``MAX_METRIC_ROWS`` rows, with the run's pending row
— and hands them to a sink:

* ``ControlSink``: the publisher of the stream this process runs in (``$BENCHCAST_CONTROL``),
  which redacts, delays, spools and sends them like everything else it streams;
* ``OwnStreamSink`` (``benchcast/broadcast/standalone.py``): no publisher around, so this
  process redacts and spools itself, and uploads when a server is configured;
* ``NullSink``: nothing is sent (``mode="disabled"``).

When the sink cannot take events (the publisher is gone), they wait in a bounded outbox and
are retried; what overflows is dropped and counted. Every drop is reported to viewers as an
``sdk.dropped`` event of the run it belongs to, once the sink takes events again.
"""

from __future__ import annotations

import base64
import logging
import math
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from benchcast.broadcast.blobs import Blob
from benchcast.events import MAX_KEY_LEN, MAX_METRIC_ROWS, MAX_ROW_VALUES

log = logging.getLogger("benchcast.producer")

FLUSH_INTERVAL = 0.1
#: Items the caller's side holds at most (rows, events, blobs) before it drops.
MAX_QUEUED = 100_000
#: Room kept beyond the cap for items that must not be dropped (``put(critical=True)``).
RESERVE = 1000
#: Events waiting for a sink that refuses them, at most, and blob bytes.
MAX_OUTBOX_EVENTS = 200_000
MAX_OUTBOX_BLOB_BYTES = 64 * 1024 * 1024
#: A metric event is closed when its rows reach this many bytes (the limit is 256 KiB).
MAX_METRIC_BYTES = 160 * 1024
#: Events per control-socket request (broadcast/session.py takes at most 1,000).
EVENTS_PER_REQUEST = 500
RETRY_MIN, RETRY_MAX = 0.2, 5.0

# Item tags: what the caller's side appends (tuples, for speed).
ROW = 0  # (ROW, run, step, values)
EVENT = 1  # (EVENT, kind, source, data)
BLOB = 2  # (BLOB, Blob)
CALL = 3  # (CALL, fn): fn() on the producer's thread makes (kind, source, data), or None

Event = dict[str, Any]


def warn(message: str) -> None:
    """A message for the person running the code, on stderr."""
    try:
        sys.stderr.write(f"benchcast: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Sink(Protocol):
    """Where a producer's events go. ``send_*`` raise OSError when the sink cannot take them
    now (they are retried); anything refused for good is reported and not retried."""

    def send_blob(self, blob: Blob) -> None: ...

    def send_events(self, events: list[Event]) -> None: ...

    def close(self, drain: float) -> int:
        """Stop; wait up to ``drain`` seconds for delivery; return how many events are left."""
        ...


class NullSink:
    def send_blob(self, blob: Blob) -> None:
        pass

    def send_events(self, events: list[Event]) -> None:
        pass

    def close(self, drain: float) -> int:
        return 0


class ControlSink:
    """The publisher of the stream this process runs in, through its control socket."""

    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._warned: set[str] = set()

    def _refused(self, message: str) -> None:
        if message not in self._warned and len(self._warned) < 20:
            self._warned.add(message)
            warn(f"the stream refused: {message}")

    def send_blob(self, blob: Blob) -> None:
        from benchcast.broadcast.control import send

        reply = send(
            self.path,
            {
                "command": "blob",
                "mime": blob.mime,
                "hash": blob.digest,
                "data": base64.b64encode(blob.data).decode(),
            },
            timeout=self.timeout,
        )
        if not reply.get("ok"):
            self._refused(str(reply.get("error")))

    def send_events(self, events: list[Event]) -> None:
        from benchcast.broadcast.control import send

        reply = send(self.path, {"command": "events", "events": events}, timeout=self.timeout)
        for error in reply.get("errors") or ([reply["error"]] if "error" in reply else []):
            self._refused(str(error))

    def close(self, drain: float) -> int:
        return 0


class Source(Protocol):
    """A producer of metric rows (a run): what the background thread asks it each cycle."""

    id: str
    #: Items this source could not queue (the caller's side was full).
    dropped: int

    def pending_row(self) -> tuple[int, dict[str, Any]] | None:
        """The row at the current step not yet committed, if any."""
        ...


def clean_values(values: dict[Any, Any]) -> dict[str, float | str]:
    """Metric values as the contract takes them: names of 1 to 200 characters, finite numbers,
    and "nan" / "inf" / "-inf" for the rest; the first ``MAX_ROW_VALUES`` of them."""
    out: dict[str, float | str] = {}
    for k, v in values.items():
        if len(out) >= MAX_ROW_VALUES:
            break
        if type(k) is not str or not 0 < len(k) <= MAX_KEY_LEN:
            k = str(k)[:MAX_KEY_LEN] or "_"
        if type(v) is not float:
            try:
                v = float(v)
            except (TypeError, ValueError, OverflowError):
                continue
        if not math.isfinite(v):
            v = "nan" if v != v else ("inf" if v > 0 else "-inf")
        out[k] = v
    return out


def _row_bytes(values: dict[str, Any]) -> int:
    return 24 + sum(len(k) + 24 for k in values)


@dataclass
class _Ticker:
    every: float
    due: float
    fn: Callable[[], list[tuple[str, str, dict[str, Any]]]]


@dataclass
class _Outbox:
    """Messages for the sink, in order: a Blob, or a list of events."""

    items: deque[Blob | list[Event]] = field(default_factory=deque)
    events: int = 0
    blob_bytes: int = 0

    def push(self, item: Blob | list[Event]) -> None:
        self.items.append(item)
        if isinstance(item, Blob):
            self.blob_bytes += len(item.data)
        else:
            self.events += len(item)

    def pop(self) -> None:
        item = self.items.popleft()
        if isinstance(item, Blob):
            self.blob_bytes -= len(item.data)
        else:
            self.events -= len(item)


class Producer:
    """The bounded queue and the thread that empties it into a sink (module docstring)."""

    def __init__(
        self,
        sink: Sink,
        *,
        cap: int = MAX_QUEUED,
        interval: float = FLUSH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.cap = cap
        self.interval = interval
        self.clock = clock
        #: The caller's side. Appended by any thread, emptied by the producer's thread only.
        self.queue: deque[tuple[Any, ...]] = deque()
        self.sources: dict[str, Source] = {}
        self.lost: Counter[str] = Counter()  # per run: dropped on the producer's side
        self._reported: dict[str, int] = {}
        self._sent_pending: dict[str, tuple[int, dict[str, Any]] | None] = {}
        self._tickers: list[_Ticker] = []
        self._outbox = _Outbox()
        self._retry_at = 0.0
        self._retry_delay = RETRY_MIN
        self._wake = threading.Event()
        self._flushes: list[threading.Event] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="benchcast-producer", daemon=True)
        self._thread.start()

    # ── the caller's side ────────────────────────────────────────────────────────────────

    def put(self, item: tuple[Any, ...], critical: bool = False) -> bool:
        """Queue an item; never blocks. False (and nothing queued) when full. A few
        ``critical`` items (a run's start and end) fit beyond the cap, so that a run whose
        points overflow still says how it ended."""
        if len(self.queue) >= self.cap + (RESERVE if critical else 0):
            return False
        self.queue.append(item)
        return True

    def event(
        self,
        kind: str,
        source: str,
        data: dict[str, Any],
        run: str | None = None,
        critical: bool = False,
    ) -> bool:
        if self.put((EVENT, kind, source, data), critical):
            return True
        if run is not None:
            self.lost[run] += 1
        return False

    def add_source(self, source: Source) -> None:
        with self._lock:
            self.sources[source.id] = source

    def remove_source(self, source_id: str) -> None:
        with self._lock:
            source = self.sources.pop(source_id, None)
            self._sent_pending.pop(source_id, None)
            if source is not None and source.dropped:
                self.lost[source_id] += source.dropped

    def every(self, seconds: float, fn: Callable[[], list[tuple[str, str, dict[str, Any]]]]) -> Any:
        """Call ``fn`` on the producer's thread every ``seconds``; the (kind, source, data)
        events it returns are sent. Returns a handle for ``cancel``."""
        ticker = _Ticker(seconds, self.clock(), fn)
        with self._lock:
            self._tickers.append(ticker)
        return ticker

    def cancel(self, handle: Any) -> None:
        with self._lock:
            if handle in self._tickers:
                self._tickers.remove(handle)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been handed to the sink (or the sink has
        just failed to take it: it stays in the outbox, retried)."""
        if not self._thread.is_alive():
            return not self.queue
        done = threading.Event()
        with self._lock:
            self._flushes.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, drain: float = 10.0) -> int:
        """Send what is queued, stop, and let the sink deliver for up to ``drain`` seconds.
        Returns how many events were not delivered."""
        if self._stop:
            return 0
        deadline = time.monotonic() + drain
        self.flush(drain)
        self._stop = True
        self._wake.set()
        self._thread.join(max(0.1, deadline - time.monotonic()))
        return self._outbox.events + self.sink.close(max(0.0, deadline - time.monotonic()))

    # ── the producer's thread ────────────────────────────────────────────────────────────

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            stop = self._stop
            try:
                self._cycle()
            except Exception:  # the producer must outlive any one bad item
                log.exception("benchcast producer: a cycle failed")
            with self._lock:
                # Flushed: everything is with the sink — or the sink is failing, and waiting
                # for it would make the caller (finish, a new init) wait on an outage.
                failing = self.clock() < self._retry_at
                if not self.queue and (not self._outbox.items or failing):
                    for done in self._flushes:
                        done.set()
                    self._flushes.clear()
            if stop:
                return

    def _cycle(self) -> None:
        for ticker in list(self._tickers):
            if self.clock() >= ticker.due:
                ticker.due = self.clock() + ticker.every
                try:
                    # Queued behind what is already queued: a blob an event refers to was
                    # queued before the state the event describes changed.
                    for kind, source, data in ticker.fn():
                        self.put((EVENT, kind, source, data))
                except Exception:
                    log.exception("benchcast producer: a periodic task failed")
        messages = self._build()
        messages += self._drops()
        batch: list[Event] = []
        for m in messages:
            if isinstance(m, Blob):
                if batch:
                    self._queue_out(batch)
                    batch = []
                self._queue_out(m)
            else:
                batch.append(m)
                if len(batch) >= EVENTS_PER_REQUEST:
                    self._queue_out(batch)
                    batch = []
        if batch:
            self._queue_out(batch)
        self._send()

    def _build(self) -> list[Blob | Event]:
        """Turn what the caller's side queued into events, in order."""
        out: list[Blob | Event] = []
        open_metrics: dict[str, tuple[Event, list[int]]] = {}  # run → (event, [bytes])
        q = self.queue
        for _ in range(len(q)):
            item = q.popleft()
            tag = item[0]
            if tag == ROW:
                _, run, step, values = item
                values = clean_values(values)
                entry = open_metrics.get(run)
                size = _row_bytes(values)
                if (
                    entry is None
                    or len(entry[0]["data"]["rows"]) >= MAX_METRIC_ROWS
                    or entry[1][0] + size > MAX_METRIC_BYTES
                ):
                    event: Event = {
                        "kind": "metric",
                        "source": f"run:{run}",
                        "data": {"run": run, "rows": []},
                    }
                    entry = open_metrics[run] = (event, [0])
                    out.append(event)
                entry[0]["data"]["rows"].append({"step": step, "values": values})
                entry[1][0] += size
            elif tag == EVENT:
                out.append({"kind": item[1], "source": item[2], "data": item[3]})
            elif tag == BLOB:
                out.append(item[1])
            elif tag == CALL:
                made = item[1]()
                if made is not None:
                    out.append({"kind": made[0], "source": made[1], "data": made[2]})
        with self._lock:
            sources = list(self.sources.values())
        # Every metric event states its run's pending row (null: none), so one is sent when
        # the pending row changed, and each event of rows carries it too.
        for source in sources:
            pending = source.pending_row()
            if pending is not None:
                pending = (pending[0], clean_values(pending[1]))
            entry = open_metrics.get(source.id)
            if entry is None and pending == self._sent_pending.get(source.id):
                continue
            self._sent_pending[source.id] = pending
            if entry is None:
                event = {
                    "kind": "metric",
                    "source": f"run:{source.id}",
                    "data": {"run": source.id, "rows": []},
                }
                out.append(event)
                entry = open_metrics[source.id] = (event, [0])
            entry[0]["data"]["pending"] = (
                None if pending is None else {"step": pending[0], "values": pending[1]}
            )
        return out

    def _drops(self) -> list[Blob | Event]:
        out: list[Blob | Event] = []
        with self._lock:
            sources = dict(self.sources)
        counts = Counter(self.lost)
        for run_id, source in sources.items():
            counts[run_id] += source.dropped
        for run_id, count in counts.items():
            if count > self._reported.get(run_id, 0):
                self._reported[run_id] = count
                out.append(
                    {
                        "kind": "sdk.dropped",
                        "source": f"run:{run_id}",
                        "data": {
                            "run": run_id,
                            "count": count,
                            "reason": "logged faster than it could be sent (or the stream was "
                            "unreachable); these points were dropped, not sent",
                        },
                    }
                )
        return out

    def _queue_out(self, item: Blob | list[Event]) -> None:
        box = self._outbox
        box.push(item)
        # Over the bounds: drop the oldest, counting what each run lost.
        while box.items and (
            box.events > MAX_OUTBOX_EVENTS or box.blob_bytes > MAX_OUTBOX_BLOB_BYTES
        ):
            old = box.items[0]
            if isinstance(old, list):
                for ev in old:
                    run = ev["data"].get("run")
                    if isinstance(run, str) and ev["kind"] != "sdk.dropped":
                        self.lost[run] += len(ev["data"].get("rows") or ()) or 1
            box.pop()

    def _send(self) -> None:
        if self.clock() < self._retry_at:
            return
        box = self._outbox
        while box.items:
            item = box.items[0]
            try:
                if isinstance(item, Blob):
                    self.sink.send_blob(item)
                else:
                    self.sink.send_events(item)
            except (OSError, ValueError) as err:
                log.debug("benchcast producer: sink unavailable: %s", err)
                self._retry_at = self.clock() + self._retry_delay
                self._retry_delay = min(RETRY_MAX, self._retry_delay * 2)
                return
            box.pop()
            self._retry_delay = RETRY_MIN
