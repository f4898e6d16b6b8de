"""The Python API scientists call — the same as wandb's, so switching is one line::

    import benchcast as wandb

    run = wandb.init(project="mnist", config={"lr": 3e-4}, tags=["baseline"])
    for step in range(10_000):
        ...
        wandb.log({"train/loss": loss, "train/acc": acc})   # about a microsecond
    run.summary["best_acc"] = best
    wandb.finish()

Promises:

* **Steps and commits are wandb's.** ``log(d)`` adds a row at the current step and moves to
  the next; ``log(d, commit=False)`` adds to the current row without moving; ``log(d,
  step=s)`` fills row ``s`` until a later step (or ``commit=True``, or ``finish``) closes it; a
  step below the current one is ignored with a warning. A row not yet committed is sent as the
  run's *pending* row, so viewers see it live rather than one point behind.
* **Keys with ``/`` group charts into sections** (``train/loss`` goes under ``train``);
  nested dicts are flattened with ``.`` as wandb does.
* **It never blocks and never raises into the training loop.** ``log`` appends to a bounded
  queue and returns; a background thread batches and sends every 0.1 s. When the queue is
  full, points are dropped and counted, and viewers see the count (``sdk.dropped``). A
  mistake in a call is reported once on stderr and skipped.
* **Where events go.** Inside a `benchcast live`/`stream` session (``$BENCHCAST_CONTROL``),
  to that stream's publisher, so redaction and the broadcast delay apply. Otherwise this
  process streams on its own (``broadcast/standalone.py``): it redacts, spools to disk, and
  uploads when ``BENCHCAST_SERVER`` and ``BENCHCAST_KEY`` are set. ``mode="disabled"`` (or
  ``BENCHCAST_MODE``/``WANDB_MODE=disabled``) sends nothing; ``mode="offline"`` only spools.
* **Every string is redacted** before it leaves the machine: config values and keys, metric
  names, captions, table cells. Image bytes cannot be (docs/security.md).
"""

from __future__ import annotations

import atexit
import math
import os
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchcast.media import Histogram, Image, Table

if TYPE_CHECKING:
    from types import TracebackType

    from benchcast.broadcast.producer import Producer, Sink

__all__ = [
    "Config",
    "Histogram",
    "Image",
    "Run",
    "Summary",
    "Table",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "login",
    "save",
    "summary",
    "watch",
]

#: How long ``finish`` waits for the background thread to hand everything on.
FINISH_TIMEOUT = 10.0
#: Table rows per ``table`` event, at most, and bytes (a page is closed at whichever first).
TABLE_PAGE_BYTES = 128 * 1024
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

_current: Run | None = None
_producer: Producer | None = None
_lock = threading.Lock()
_exit_status: str | None = None
_hooked = False
_registered: list[Any] = []
_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key in _warned or len(_warned) > 100:
        return
    _warned.add(key)
    from benchcast.broadcast.producer import warn

    warn(message)


# ── plain values ─────────────────────────────────────────────────────────────────────────


def _plain(value: Any, depth: int = 0) -> Any:
    """A value as JSON can carry it (config and summary values)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else float(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if depth > 6:
        return str(value)[:1000]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, depth + 1) for v in list(value)[:1000]]
    if hasattr(value, "item") and getattr(value, "size", 2) == 1:
        try:
            return _plain(value.item(), depth + 1)
        except (TypeError, ValueError):
            pass
    if isinstance(value, Path):
        return str(value)
    return str(value)[:1000]


def _fit(obj: dict[str, Any]) -> dict[str, Any]:
    """A config or summary within the contract's size, keeping its first keys."""
    from benchcast.events import MAX_JSON_BYTES, dumps

    if len(dumps(obj).encode()) <= MAX_JSON_BYTES:
        return obj
    out: dict[str, Any] = {}
    size = 2
    for key, value in obj.items():
        size += len(dumps({key: value}).encode())
        if size > MAX_JSON_BYTES - 64:
            break
        out[key] = value
    _warn_once("fit", f"a config or summary over {MAX_JSON_BYTES} bytes was cut to fit")
    return out


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if hasattr(value, "__dict__"):  # argparse.Namespace and the like
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    raise TypeError(f"expected a dict, not {type(value).__name__}")


def _number(value: Any) -> float | None:
    """A scalar's value: Python, numpy and torch numbers (a one-element array too)."""
    if isinstance(value, bool):
        return float(value)
    size = getattr(value, "size", None)
    if size is not None and not isinstance(size, int):
        size = value.numel() if hasattr(value, "numel") else None  # torch: size is a method
    if size is not None and size != 1:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _flatten(data: Mapping[Any, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            yield from _flatten(v, key + ".")
        else:
            yield key, v


# ── config and summary ───────────────────────────────────────────────────────────────────


class Config:
    """A run's configuration: ``config.lr``, ``config["lr"]``, ``config.update({...})``.
    Changes after ``init`` are sent (``run.update``)."""

    def __init__(self, run: Run | None = None, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_data", dict(data or {}))

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        try:
            return data[name]
        except KeyError:
            raise AttributeError(f"config has no {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def values(self) -> Any:
        return self._data.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def update(self, d: Any = None, allow_val_change: bool | None = None, **kw: Any) -> None:
        try:
            changes = {**_as_dict(d), **kw}
        except TypeError as err:
            _warn_once("config.update", f"config.update() skipped: {err}")
            return
        self._data.update(changes)
        if self._run is not None and changes:
            self._run._update(config=_plain(changes))

    def setdefaults(self, d: Mapping[str, Any]) -> None:
        self.update({k: v for k, v in d.items() if k not in self._data})


class Summary:
    """A run's summary: the last value of every metric, and whatever the code sets
    (``run.summary["best_acc"] = 0.93``), sent as it changes and with the run's end."""

    def __init__(self, run: Run | None = None) -> None:
        self._run = run
        self._data: dict[str, Any] = {}

    def _last(self) -> dict[str, Any]:
        return self._run._last if self._run is not None else {}

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        return self._last()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        self._data.pop(key, None)
        if self._run is not None:
            self._run._update(summary={key: None})

    def __contains__(self, key: object) -> bool:
        return key in self._data or key in self._last()

    def __iter__(self) -> Iterator[str]:
        return iter({**self._last(), **self._data})

    def __len__(self) -> int:
        return len({**self._last(), **self._data})

    def __repr__(self) -> str:
        return f"Summary({self.as_dict()!r})"

    def keys(self) -> Any:
        return self.as_dict().keys()

    def items(self) -> Any:
        return self.as_dict().items()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def as_dict(self) -> dict[str, Any]:
        return {**self._last(), **self._data}

    def update(self, d: Mapping[str, Any] | None = None, **kw: Any) -> None:
        changes = {str(k): v for k, v in {**dict(d or {}), **kw}.items()}
        self._data.update(changes)
        if self._run is not None and changes:
            self._run._update(summary=_plain(changes))

    def final(self) -> dict[str, Any]:
        """What the run's end carries: last values and set values, within the size limit."""
        from benchcast.events import MAX_JSON_BYTES, dumps

        out = _plain(self.as_dict())
        while out and len(dumps(out).encode()) > MAX_JSON_BYTES:
            out.pop(next(iter(out)))
        return dict(out)


# ── the run ──────────────────────────────────────────────────────────────────────────────


class Run:
    """One run: what ``init`` returns. ``log`` is its hot path; ``with init(...) as run:``
    finishes it, failed if the block raised."""

    def __init__(
        self,
        producer: Producer,
        *,
        id: str,
        name: str,
        project: str,
        group: str,
        job_type: str,
        config: Mapping[str, Any],
        tags: list[str],
        notes: str,
    ) -> None:
        self.id = id
        self.name = name
        self.project = project
        self.group = group
        self.job_type = job_type
        self.entity = ""
        self.tags = tuple(tags)
        self.notes = notes
        self.url: str | None = None
        #: Points this run could not queue (the queue was full); viewers see the count.
        self.dropped = 0
        self._producer = producer
        self._queue = producer.queue
        self._cap = producer.cap
        self._source = f"run:{id}"
        self._step = 0
        self._dirty = False  # something was logged at the current step, not yet committed
        self._pending: dict[str, Any] = {}
        self._last: dict[str, Any] = {}
        self._finished = False
        self._upd_lock = threading.Lock()
        self._upd: dict[str, dict[str, Any]] = {}
        self.config = Config(None, config)
        object.__setattr__(self.config, "_run", self)
        self.summary = Summary(self)
        producer.add_source(self)
        producer.event(
            "run.start",
            self._source,
            {
                "run": id,
                "name": name,
                "project": project,
                "group": group,
                "config": _fit(_plain(self.config.as_dict())),
                "tags": list(tags),
                "notes": notes,
            },
            run=id,
            critical=True,
        )

    def __repr__(self) -> str:
        return f"<benchcast Run {self.name} ({self.id})>"

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        else:
            killed = issubclass(exc_type, KeyboardInterrupt)
            self._end("killed" if killed else "failed", 1)

    @property
    def step(self) -> int:
        """The step the next committed row gets."""
        return self._step

    @property
    def dir(self) -> str:
        """A folder for the run's files."""
        path = Path(tempfile.gettempdir()) / "benchcast" / self.id
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

    # ── log: the hot path ────────────────────────────────────────────────────────────────

    def log(
        self,
        data: Mapping[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Log ``data`` at the current step (see the module docstring for step and commit).
        Never raises, never blocks."""
        try:
            if step is None and commit is None and not self._dirty and type(data) is dict:
                for k, v in data.items():
                    t = type(v)
                    if (t is not float and t is not int) or type(k) is not str:
                        break
                else:
                    # A row of plain numbers, committed at once: the common case.
                    if self._finished:
                        raise RuntimeError("this run has finished")
                    q = self._queue
                    if len(q) < self._cap:
                        q.append((0, self.id, self._step, data.copy()))  # producer.ROW
                    else:
                        self.dropped += 1
                    self._last.update(data)
                    self._step += 1
                    return
            self._log(data, step, commit)
        except Exception as err:
            _warn_once(f"log:{type(err).__name__}", f"log() skipped: {err}")

    def _log(self, data: Mapping[str, Any], step: int | None, commit: bool | None) -> None:
        if self._finished:
            raise RuntimeError("this run has finished")
        if not isinstance(data, Mapping):
            raise TypeError(f"log() takes a dict, not {type(data).__name__}")
        if step is not None:
            step = int(step)
            if step < self._step:
                _warn_once(
                    "log:step",
                    f"log() at step {step}, below the current step {self._step}, was ignored: "
                    "steps only increase",
                )
                return
            if step > self._step:
                self._commit()
                self._step = step
        values: dict[str, Any] = {}
        for key, value in _flatten(data):
            t = type(value)
            if t is float or t is int:
                values[key] = value
            elif isinstance(value, Image | Histogram | Table) or (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, Image) for v in value)
            ):
                self._media(key, value)
            elif isinstance(value, str):
                self.summary[key] = value
            elif value is not None:
                number = _number(value)
                if number is not None:
                    values[key] = number
                elif hasattr(value, "__array__") or hasattr(value, "detach"):
                    self._media(key, Histogram(value))  # as wandb: an array is a histogram
                else:
                    _warn_once(
                        f"log:type:{type(value).__name__}",
                        f"log() cannot chart a {type(value).__name__} ({key!r}); skipped",
                    )
        self._dirty = True
        if values:
            self._pending.update(values)
            self._last.update(values)
        if commit or (commit is None and step is None):
            self._commit()

    def _commit(self) -> None:
        if not self._dirty:
            return
        if self._pending:
            self._put((0, self.id, self._step, self._pending))  # producer.ROW
            self._pending = {}
        self._dirty = False
        self._step += 1

    def _put(self, item: tuple[Any, ...], critical: bool = False) -> bool:
        if self._producer.put(item, critical):
            return True
        self.dropped += 1
        return False

    def _event(self, kind: str, data: dict[str, Any]) -> bool:
        return self._put((1, kind, self._source, {"run": self.id, **data}))  # producer.EVENT

    def _media(self, key: str, value: Any) -> None:
        from benchcast.broadcast.blobs import make_blob
        from benchcast.events import MAX_KEY_LEN, MAX_TABLE_ROWS, dumps

        key = key[:MAX_KEY_LEN] or "_"
        step = self._step
        if isinstance(value, Histogram):
            self._event(
                "histogram",
                {"key": key, "step": step, "bins": value.bins, "counts": value.histogram},
            )
            return
        if isinstance(value, Table):
            total = len(value.data)
            page: list[list[Any]] = []
            size, offset = 0, 0
            for start, rows in value.pages(1):
                row_bytes = len(dumps(rows[0]).encode()) if rows else 0
                if page and (len(page) >= MAX_TABLE_ROWS or size + row_bytes > TABLE_PAGE_BYTES):
                    self._table_page(key, step, value.columns, page, offset, total)
                    page, size, offset = [], 0, start
                page += rows
                size += row_bytes
            self._table_page(key, step, value.columns, page, offset, total)
            return
        images = value if isinstance(value, list | tuple) else [value]
        for index, image in enumerate(images[:1000]):
            blob = make_blob(image.data, image.mime)
            if self._producer.put((2, blob)):  # producer.BLOB
                self._event(
                    "figure",
                    {
                        "key": key,
                        "blob": blob.digest,
                        "mime": image.mime,
                        "step": step,
                        "caption": image.caption[:2000],
                        "index": index,
                        "width": image.width,
                        "height": image.height,
                    },
                )
            else:
                self.dropped += 1

    def _table_page(
        self,
        key: str,
        step: int,
        columns: list[str],
        rows: list[list[Any]],
        offset: int,
        total: int,
    ) -> None:
        self._event(
            "table",
            {
                "key": key,
                "step": step,
                "columns": columns,
                "rows": rows,
                "offset": offset,
                "total": total,
            },
        )

    # ── what the producer's thread asks ──────────────────────────────────────────────────

    def pending_row(self) -> tuple[int, dict[str, Any]] | None:
        # Read on another thread while log() may commit: the step is read before and after
        # the row, so a row is never paired with the step after its own.
        for _ in range(3):
            step, pending = self._step, self._pending
            if step == self._step:
                return (step, dict(pending)) if pending else None
        return None

    def _update(self, **parts: Any) -> None:
        """Merge config/summary changes into one ``run.update``, sent with the next batch."""
        with self._upd_lock:
            first = not self._upd
            for name, changes in parts.items():
                self._upd.setdefault(name, {}).update(changes)
        if first:
            self._put((3, self._take_update), critical=True)  # producer.CALL

    def _take_update(self) -> tuple[str, str, dict[str, Any]] | None:
        with self._upd_lock:
            upd, self._upd = self._upd, {}
        if not upd:
            return None
        return "run.update", self._source, {"run": self.id, **{k: _fit(v) for k, v in upd.items()}}

    # ── the end ──────────────────────────────────────────────────────────────────────────

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run: commit the pending row, send the summary, hand everything on."""
        self._end("failed" if exit_code else "finished", exit_code)

    def _end(self, status: str, exit_code: int | None) -> None:
        global _current
        if self._finished:
            return
        try:
            self._commit()
            self._finished = True
            self._put(
                (
                    1,
                    "run.end",
                    self._source,
                    {
                        "run": self.id,
                        "status": status,
                        "summary": self.summary.final(),
                        "exit_code": exit_code,
                    },
                ),
                critical=True,
            )
            self._producer.remove_source(self.id)
            self._producer.flush(FINISH_TIMEOUT)
        except Exception as err:
            _warn_once("finish", f"finish() did not complete: {err}")
        finally:
            with _lock:
                if _current is self:
                    _current = None

    # ── wandb calls that mean nothing here ───────────────────────────────────────────────

    def define_metric(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Accepted for compatibility; every metric is charted against its step."""

    def watch(self, *args: Any, **kwargs: Any) -> None:
        """Accepted for compatibility; gradients are not streamed."""

    def save(self, *args: Any, **kwargs: Any) -> list[str]:
        """Accepted for compatibility; files are not uploaded."""
        return []

    def alert(self, title: str, text: str, level: Any = None, **kwargs: Any) -> None:
        """A note on the stream (viewers see it as narration)."""
        note = f"{title}: {text}" if text else str(title)
        self._put((1, "note", "notes", {"text": note[:20_000] or "alert"}))


# ── the module-level API ─────────────────────────────────────────────────────────────────


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _mode(mode: str | None) -> str:
    chosen = mode or os.environ.get("BENCHCAST_MODE") or os.environ.get("WANDB_MODE") or "online"
    return {"dryrun": "offline", "run": "online"}.get(chosen, chosen)


def make_sink(title: str, tags: list[str], mode: str | None = None) -> Sink:
    """Where this process's events go (see the module docstring)."""
    from benchcast import settings
    from benchcast.broadcast.producer import ControlSink, NullSink
    from benchcast.broadcast.standalone import OwnStreamSink

    chosen = _mode(mode)
    if chosen == "disabled":
        return NullSink()
    control = os.environ.get("BENCHCAST_CONTROL")
    if control and chosen != "offline":
        if Path(control).exists():
            return ControlSink(control)
        _warn_once("control", f"BENCHCAST_CONTROL={control} does not exist; streaming on my own")
    online = chosen != "offline"
    return OwnStreamSink(
        data_dir=Path(settings.resolve("data")).expanduser(),
        server=settings.resolve("server") if online else None,
        key=settings.resolve("key") if online else None,
        title=title,
        tags=tags,
    )


def shared_producer(title: str, tags: list[str] | None = None, mode: str | None = None) -> Producer:
    """The process's one producer (made on first use, with ``title`` for a stream of its
    own): runs, notebook cells and tailed files of one process share it, and its stream."""
    return _producer_for(title, tags or [], mode)


def _producer_for(title: str, tags: list[str], mode: str | None) -> Producer:
    global _producer
    from benchcast.broadcast.producer import Producer

    if _producer is None:
        _producer = Producer(make_sink(title, tags, mode))
        if not _registered:
            _registered.append(atexit.register(_at_exit))
    return _producer


def _telemetry(producer: Producer) -> None:
    from benchcast.integrations.telemetry import SYS_INTERVAL, Sampler

    sampler: list[Sampler] = []

    def sample() -> list[tuple[str, str, dict[str, Any]]]:
        if _current is None:
            return []
        if not sampler:
            sampler.append(Sampler())
        return [("sys", "sys", sampler[0].read())]

    producer.every(SYS_INTERVAL, sample)


def _clean_tags(tags: Any) -> list[str]:
    out: list[str] = []
    for tag in tags or ():
        tag = str(tag).strip()[:40]
        if tag and tag not in out:
            out.append(tag)
    return out[:16]


def init(
    project: str | None = None,
    name: str | None = None,
    config: Any = None,
    tags: Any = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    id: str | None = None,
    mode: str | None = None,
    telemetry: bool | None = None,
    **_ignored: Any,
) -> Run:
    """Start a run (finishing the one before, if any) and return it.

    ``telemetry`` (default on, or ``BENCHCAST_TELEMETRY=0``) samples CPU, memory and GPUs
    every few seconds while a run is active. Arguments of wandb's that mean nothing here
    (``entity``, ``reinit``, ``settings`` …) are accepted and ignored.
    """
    global _current, _hooked
    if _current is not None:
        _current.finish()
    run_id = "".join(c for c in str(id or "") if c.isalnum() or c in "_.-")[:64] or _new_id()
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] not in ("", "-c") else ""
    run_name = str(name or f"{script or 'run'}-{run_id[:4]}")[:200]
    tag_list = _clean_tags(tags)
    try:
        cfg = {**_detached_config.as_dict(), **_as_dict(config)}
    except TypeError as err:
        _warn_once("init.config", f"init(config=…) skipped: {err}")
        cfg = _detached_config.as_dict()
    project_name = str(project or "")[:200]
    title = f"{project_name}: {run_name}" if project_name else run_name
    try:
        producer = _producer_for(title[:200], tag_list, mode)
    except Exception as err:  # a broken setup must not stop the training it would watch
        from benchcast.broadcast.producer import NullSink, Producer

        _warn_once("init", f"cannot stream this run ({err}); it is not sent anywhere")
        producer = Producer(NullSink())
    if not _hooked:
        _hooked = True
        previous = sys.excepthook

        def hook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
            global _exit_status
            _exit_status = "killed" if issubclass(tp, KeyboardInterrupt) else "failed"
            previous(tp, value, tb)

        sys.excepthook = hook
        if telemetry is None:
            telemetry = os.environ.get("BENCHCAST_TELEMETRY", "1") not in ("0", "false", "no")
        if telemetry:
            _telemetry(producer)
    run = Run(
        producer,
        id=run_id,
        name=run_name,
        project=project_name,
        group=str(group or "")[:200],
        job_type=str(job_type or ""),
        config=cfg,
        tags=tag_list,
        notes=str(notes or "")[:20_000],
    )
    with _lock:
        _current = run
    return run


def log(
    data: Mapping[str, Any],
    step: int | None = None,
    commit: bool | None = None,
    sync: bool | None = None,
) -> None:
    """``run.log`` of the current run."""
    run = _current
    if run is None:
        _warn_once("log:norun", "log() before init(): call benchcast.init() first; skipped")
        return
    run.log(data, step, commit)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run, if any."""
    run = _current
    if run is not None:
        run.finish(exit_code)


def define_metric(name: str, *args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility; every metric is charted against its step."""


def watch(*args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility; gradients are not streamed."""


def save(*args: Any, **kwargs: Any) -> list[str]:
    """Accepted for compatibility; files are not uploaded."""
    return []


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: the stream key comes from the environment or the config file."""
    return True


def alert(title: str, text: str = "", level: Any = None, **kwargs: Any) -> None:
    """A note on the stream from the current run."""
    if _current is not None:
        _current.alert(title, text)


def _at_exit() -> None:
    run = _current
    if run is not None:
        run._end(_exit_status or "finished", 1 if _exit_status else 0)
    if _producer is not None:
        try:
            drain = float(os.environ.get("BENCHCAST_DRAIN", "10"))
        except ValueError:
            drain = 10.0
        _producer.close(drain)


class _Current:
    """``benchcast.config`` and ``benchcast.summary``: the current run's, whichever it is."""

    def __init__(self, attr: str) -> None:
        object.__setattr__(self, "_attr", attr)

    def _target(self) -> Any:
        run = _current
        if run is not None:
            return getattr(run, object.__getattribute__(self, "_attr"))
        return _detached_config if self._attr == "config" else _detached_summary

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __repr__(self) -> str:
        return repr(self._target())


_detached_config = Config()
_detached_summary = Summary()
#: The current run's config (before ``init``, values set here go into the next run's).
config: Any = _Current("config")
#: The current run's summary.
summary: Any = _Current("summary")


def __getattr__(name: str) -> Any:
    # ``benchcast.run`` is the current run, or None: looked up each time, as in wandb.
    if name == "run":
        return _current
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
