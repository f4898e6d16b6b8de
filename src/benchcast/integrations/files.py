"""Stream metric files as they grow: JSON Lines (one object a line) and CSV (a header, then
one row a line) — what training scripts, Lightning's ``CSVLogger`` and many tools write.

    python -m benchcast.integrations.files metrics.jsonl logs/metrics.csv

Each file is a run named after it. A line's step is its ``step`` (or ``global_step``,
``_step``, ``iteration``, ``iter``) when it has one, else the line's number. Numbers become
metrics (nested objects are flattened with ``.``), empty CSV cells are skipped, other values
ignored. A line is read once it ends with a newline; a line that is not valid JSON is
reported (stderr and ``sdk.dropped``) and skipped. A file that shrinks or whose CSV header
changes (Lightning rewrites its file when a new metric appears) is read again from the top,
past the rows already sent.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchcast.broadcast.producer import ROW, Producer, warn

POLL_EVERY = 1.0
STEP_KEYS = ("step", "global_step", "_step", "iteration", "iter")
MAX_LINE = 1024 * 1024


def _flat(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass
class _Tail:
    path: Path
    run: str
    offset: int = 0
    lines: int = 0  # data lines read (the step of a line without one)
    header: list[str] | None = None
    header_line: str = ""
    problems: int = 0


class MetricFileTailer:
    """Follows JSONL and CSV files; ``poll`` reads the lines added since the last poll."""

    def __init__(self, paths: list[str | Path], producer: Producer, project: str = "") -> None:
        self.producer = producer
        self.project = project
        self.tails = [_Tail(Path(p), re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(p).stem)[:64] or "file")
                      for p in paths]  # fmt: skip
        self.started: set[str] = set()

    def poll(self) -> list[tuple[str, str, dict[str, Any]]]:
        events: list[tuple[str, str, dict[str, Any]]] = []
        for tail in self.tails:
            events += self._read(tail)
        return events

    def _read(self, tail: _Tail) -> list[tuple[str, str, dict[str, Any]]]:
        csv_file = tail.path.suffix.lower() in (".csv", ".tsv")
        try:
            size = tail.path.stat().st_size
            with tail.path.open("rb") as fh:
                first = fh.readline().decode("utf-8", "replace").rstrip("\r\n")
                rewritten = csv_file and tail.header is not None and first != tail.header_line
                if size < tail.offset or rewritten:
                    tail.offset = 0  # rewritten: read again, past the rows already sent
                    tail.header = None
                if size == tail.offset:
                    return []
                fh.seek(tail.offset)
                chunk = fh.read(size - tail.offset)
        except OSError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        tail.offset += end + 1
        text = chunk[: end + 1].decode("utf-8", "replace")
        if csv_file:
            return self._csv(tail, text)
        return self._jsonl(tail, text)

    def _start(self, tail: _Tail) -> None:
        if tail.run not in self.started:
            self.started.add(tail.run)
            self.producer.event(
                "run.start",
                f"run:{tail.run}",
                {
                    "run": tail.run,
                    "name": tail.run,
                    "project": self.project,
                    "notes": str(tail.path),
                },
                run=tail.run,
            )

    def _row(self, tail: _Tail, record: dict[str, Any]) -> None:
        step: int | None = None
        values: dict[str, float] = {}
        for key, value in _flat(record).items():
            number = _number(value)
            if number is None:
                continue
            if key in STEP_KEYS and step is None and number >= 0:
                step = int(number)
            else:
                values[key] = number
        index = tail.lines
        tail.lines += 1
        if values:
            self._start(tail)
            if not self.producer.put((ROW, tail.run, index if step is None else step, values)):
                self.producer.lost[tail.run] += 1  # reported to viewers as dropped

    def _jsonl(self, tail: _Tail, text: str) -> list[tuple[str, str, dict[str, Any]]]:
        out: list[tuple[str, str, dict[str, Any]]] = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError:
                out += self._problem(tail, f"line {tail.lines + 1} is not a JSON object; skipped")
                tail.lines += 1
                continue
            self._row(tail, record)
        return out

    def _csv(self, tail: _Tail, text: str) -> list[tuple[str, str, dict[str, Any]]]:
        lines = text.splitlines()
        delimiter = "\t" if tail.path.suffix.lower() == ".tsv" else ","
        if tail.header is None and lines:
            first = lines.pop(0)
            header = next(csv.reader([first], delimiter=delimiter), [])
            skip = 0
            if tail.header_line and first != tail.header_line:
                skip = tail.lines  # rewritten with new columns: rows already sent come first
            tail.header, tail.header_line = header, first
            tail.lines, rows_to_skip = 0, skip
        else:
            rows_to_skip = 0
        for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter):
            if not row:
                continue
            if rows_to_skip:
                rows_to_skip -= 1
                tail.lines += 1
                continue
            assert tail.header is not None
            self._row(tail, dict(zip(tail.header, row, strict=False)))
        return []

    def _problem(self, tail: _Tail, message: str) -> list[tuple[str, str, dict[str, Any]]]:
        text = f"{tail.path}: {message}"
        warn(text)
        tail.problems += 1
        return [
            ("sdk.dropped", f"run:{tail.run}",
             {"run": tail.run, "count": tail.problems, "reason": text[-500:]})
        ]  # fmt: skip


def watch(*paths: str | Path, every: float = POLL_EVERY) -> MetricFileTailer:
    """Follow metric files from this process, on the SDK's background thread."""
    from benchcast.sdk import shared_producer

    producer = shared_producer(f"metrics: {Path(paths[0]).name}" if paths else "metrics")
    tailer = MetricFileTailer(list(paths), producer)
    producer.every(every, tailer.poll)
    return tailer


def main(argv: list[str] | None = None) -> int:
    from benchcast.sdk import shared_producer

    p = argparse.ArgumentParser(
        prog="python -m benchcast.integrations.files",
        description="Stream JSON Lines and CSV metric files as lines are added.",
    )
    p.add_argument("files", nargs="+", help="metric files (.jsonl, .json, .csv, .tsv)")
    p.add_argument("--every", type=float, default=POLL_EVERY, help="seconds between reads")
    p.add_argument("--once", action="store_true", help="read what is there, then stop")
    args = p.parse_args(argv)
    producer = shared_producer(f"metrics: {Path(args.files[0]).name}")
    tailer = MetricFileTailer(args.files, producer)
    try:
        while True:
            for kind, source, data in tailer.poll():
                producer.event(kind, source, data)
            if args.once:
                break
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass
    return 1 if producer.close() else 0


if __name__ == "__main__":
    raise SystemExit(main())
