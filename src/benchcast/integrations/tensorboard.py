"""Stream a TensorBoard logdir as it grows: scalars, images and histograms from the event
files that ``torch.utils.tensorboard.SummaryWriter``, tensorboardX, TensorFlow or JAX write.

    python -m benchcast.integrations.tensorboard runs/        # zero code: beside training

or, from the training script, ``benchcast.integrations.tensorboard.watch("runs/")``.

Every folder holding event files is a run (``runs/lr-0.1`` → run ``lr-0.1``). Scalars become
metric rows (one row per step, per read; TensorBoard lets each tag keep its own steps, so
rows of a tailed run may go back in step), images become figures, histograms histograms.
A corrupt record is skipped and a file whose records can no longer be trusted is left; both
are reported, on stderr and to viewers (``sdk.dropped``), never crashed on. A record cut short
that stays so for ``TRUNCATED_AFTER`` seconds is reported as a truncated file.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchcast.broadcast.blobs import BlobError, make_blob
from benchcast.broadcast.producer import BLOB, ROW, Producer, warn
from benchcast.events import MAX_BINS
from benchcast.integrations.tfrecord import Problem, RecordReader, parse_event
from benchcast.media import _sniff, image_size

POLL_EVERY = 1.0
TRUNCATED_AFTER = 5.0
#: Bytes read from one file per poll, at most (a huge backlog is read over several polls).
READ_CHUNK = 8 * 1024 * 1024


def run_id(logdir: Path, folder: Path) -> str:
    """A run id from a folder's path under the logdir (the logdir's own name for itself)."""
    rel = folder.relative_to(logdir).as_posix() if folder != logdir else logdir.resolve().name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", rel).strip("-")[:64] or "tensorboard"


def fit_bins(edges: list[float], counts: list[float]) -> tuple[list[float], list[float]]:
    """Trim empty buckets at both ends and merge neighbours down to ``MAX_BINS``."""
    lo, hi = 0, len(counts)
    while lo < hi and counts[lo] == 0:
        lo += 1
    while hi > lo and counts[hi - 1] == 0:
        hi -= 1
    if lo == hi:
        return edges[:2] if len(edges) >= 2 else [0.0, 1.0], [0.0]
    edges, counts = edges[lo : hi + 1], counts[lo:hi]
    if len(counts) > MAX_BINS:
        k = -(-len(counts) // MAX_BINS)
        counts = [sum(counts[i : i + k]) for i in range(0, len(counts), k)]
        edges = edges[::k] + ([edges[-1]] if (len(edges) - 1) % k else [])
    return edges, counts


@dataclass
class _File:
    path: Path
    run: str
    reader: RecordReader = field(default_factory=RecordReader)
    size: int = 0
    grown_at: float = field(default_factory=time.monotonic)
    reported: int = 0
    truncated: bool = False


class TensorBoardTailer:
    """Follows every event file under ``logdir``; ``poll`` reads what is new."""

    def __init__(self, logdir: str | Path, producer: Producer, project: str = "") -> None:
        self.logdir = Path(logdir)
        self.producer = producer
        self.project = project or self.logdir.resolve().name
        self.files: dict[Path, _File] = {}
        self.runs: set[str] = set()
        self.problems: dict[str, int] = {}  # per run: records skipped, reported as dropped

    def poll(self, final: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
        """Read what the files added since the last poll; queue their events."""
        events: list[tuple[str, str, dict[str, Any]]] = []
        if self.logdir.is_dir():
            for path in sorted(self.logdir.rglob("*tfevents*")):
                if path.is_file() and path not in self.files:
                    self.files[path] = _File(path, run_id(self.logdir, path.parent))
        for f in self.files.values():
            events += self._read(f, final)
        return events

    def _start(self, run: str) -> None:
        if run not in self.runs:
            self.runs.add(run)
            self.producer.event(
                "run.start",
                f"run:{run}",
                {"run": run, "name": run, "project": self.project, "notes": "TensorBoard"},
                run=run,
            )

    def _read(self, f: _File, final: bool) -> list[tuple[str, str, dict[str, Any]]]:
        try:
            size = f.path.stat().st_size
            if size < f.size:
                f.reader = RecordReader()  # rewritten from the start
                f.size = 0
            if size > f.size:
                with f.path.open("rb") as fh:
                    fh.seek(f.size)
                    chunk = fh.read(min(size - f.size, READ_CHUNK))
                f.size += len(chunk)
                f.reader.feed(chunk)
                f.grown_at = time.monotonic()
        except OSError as err:
            return self._problem(f, f"cannot read it: {err.strerror}")
        out: list[tuple[str, str, dict[str, Any]]] = []
        row: dict[str, float] = {}
        row_step: int | None = None
        for data in f.reader.records():
            try:
                rec = parse_event(data)
            except (ValueError, IndexError, UnicodeDecodeError):
                start = f.reader.offset - len(data) - 16
                f.reader.problems.append(Problem(start, "a record is not a valid event; skipped"))
                continue
            if rec is None:
                continue
            self._start(f.run)
            for v in rec.values:
                if v.scalar is not None:
                    if row_step is not None and rec.step != row_step and row:
                        self._row(f.run, row_step, row)
                        row = {}
                    row_step = rec.step
                    row[v.tag] = v.scalar
                elif v.image is not None:
                    self._image(f.run, v.tag, rec.step, v.image)
                elif v.histogram is not None:
                    edges, counts = fit_bins(*v.histogram)
                    self.producer.event(
                        "histogram",
                        f"run:{f.run}",
                        {"run": f.run, "key": v.tag[:200], "step": rec.step, "bins": edges,
                         "counts": counts},
                    )  # fmt: skip
        if row and row_step is not None:
            self._row(f.run, row_step, row)
        for problem in f.reader.problems[f.reported :]:
            out += self._problem(f, f"{problem.message} (byte {problem.offset})")
        f.reported = len(f.reader.problems)
        idle = time.monotonic() - f.grown_at
        if f.reader.incomplete and not f.truncated and (final or idle >= TRUNCATED_AFTER):
            f.truncated = True
            out += self._problem(
                f, f"truncated: its last record is cut short ({f.reader.incomplete} bytes)"
            )
        return out

    def _row(self, run: str, step: int, values: dict[str, float]) -> None:
        if not self.producer.put((ROW, run, step, values)):
            self.producer.lost[run] += 1  # reported to viewers as dropped

    def _image(self, run: str, tag: str, step: int, data: bytes) -> None:
        mime = _sniff(data)
        if mime is None:
            return
        try:
            blob = make_blob(data, mime)
        except BlobError:
            return
        if self.producer.put((BLOB, blob)):
            w, h = image_size(data, mime)
            self.producer.event(
                "figure",
                f"run:{run}",
                {"run": run, "key": tag[:200], "blob": blob.digest, "mime": mime, "step": step,
                 "width": w, "height": h},
            )  # fmt: skip

    def _problem(self, f: _File, message: str) -> list[tuple[str, str, dict[str, Any]]]:
        text = f"{f.path}: {message}"
        warn(text)
        self.problems[f.run] = self.problems.get(f.run, 0) + 1
        data = {"run": f.run, "count": self.problems[f.run], "reason": text[-500:]}
        return [("sdk.dropped", f"run:{f.run}", data)]


def watch(logdir: str | Path, every: float = POLL_EVERY) -> TensorBoardTailer:
    """Follow ``logdir`` from this process, on the SDK's background thread."""
    from benchcast.sdk import shared_producer

    producer = shared_producer(f"TensorBoard: {Path(logdir).resolve().name}")
    tailer = TensorBoardTailer(logdir, producer)
    producer.every(every, tailer.poll)
    return tailer


def main(argv: list[str] | None = None) -> int:
    from benchcast.sdk import shared_producer

    p = argparse.ArgumentParser(
        prog="python -m benchcast.integrations.tensorboard",
        description="Stream a TensorBoard logdir's scalars, images and histograms as they "
        "are written (into the stream this shell streams, or a stream of its own).",
    )
    p.add_argument("logdir", help="the folder the SummaryWriter writes to")
    p.add_argument("--every", type=float, default=POLL_EVERY, help="seconds between reads")
    p.add_argument("--once", action="store_true", help="read what is there, then stop")
    args = p.parse_args(argv)
    producer = shared_producer(f"TensorBoard: {Path(args.logdir).resolve().name}")
    tailer = TensorBoardTailer(args.logdir, producer)
    try:
        while True:
            for kind, source, data in tailer.poll(final=args.once):
                producer.event(kind, source, data)
            if args.once:
                break
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass
    return 1 if producer.close() else 0


if __name__ == "__main__":
    raise SystemExit(main())
