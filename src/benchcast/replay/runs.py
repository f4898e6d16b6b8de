"""The runs and the machine, as folded from the log: what a late joiner's runs panel draws
first, before it reads any points.

Keyframe state (``StreamFold.snapshot()``) gains two keys once such events appear:

``runs`` — one entry per run id, in the order the runs started::

    {"abc123": {
        "run": "abc123", "source": "run:abc123", "name": "lr-sweep-3", "project": "mnist",
        "group": "", "tags": [], "notes": "", "config": {...},
        "status": "running" | "finished" | "failed" | "crashed" | "killed",
        "exit_code": null, "started": T, "ended": T | null,
        "first_seq": SEQ, "last_seq": SEQ,
        "summary": {...},
        "step": LAST_COMMITTED_STEP | null, "rows": COMMITTED_ROWS,
        "metrics": {"train/loss": {"step": S, "value": V, "min": V, "max": V}, ...},
        "pending": {"step": S, "values": {...}} | null,
        "media": {"samples": {"kind": "figure", "seq": SEQ, "step": S, "blob": H,
                              "mime": "image/png", "caption": "", "width": W, "height": H},
                  "weights": {"kind": "histogram", "seq": SEQ, "step": S},
                  "preds": {"kind": "table", "seq": SEQ, "step": S, "columns": [...],
                            "total": N}},
        "dropped": N}}

``sys`` — the newest machine reading per source: ``{"sys": {"t": T, "cpu": …, "gpus": […],
"gpu": "ok" | "absent" | "error", …}}``.

Points are not kept here (a long run has millions): the panel reads ``metric`` events of the
run's source from ``first_seq`` on; ``min``/``max`` let it size a chart's axis before they
arrive. A run still ``running`` when the stream has ended did not say how it finished.
"""

from __future__ import annotations

import json
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register, register_part


def _copy(value: Any) -> Any:
    # A round trip through JSON is a deep copy of plain JSON, and faster than copy.deepcopy.
    return json.loads(json.dumps(value))


class Runs:
    """Every run of a stream, as plain JSON (see the module docstring)."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.runs: dict[str, dict[str, Any]] = _copy(state) if state else {}

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = _copy(self.runs)
        return out

    def run(self, run_id: str, ev: Event) -> dict[str, Any]:
        """The run's entry; a run seen first through its metrics gets one too (its
        ``run.start`` may have been lost to a crash, or come from a file tailer)."""
        run = self.runs.get(run_id)
        if run is None:
            run = self.runs[run_id] = {
                "run": run_id,
                "source": ev.source,
                "name": run_id,
                "project": "",
                "group": "",
                "tags": [],
                "notes": "",
                "config": {},
                "status": "running",
                "exit_code": None,
                "started": ev.t,
                "ended": None,
                "first_seq": ev.seq,
                "last_seq": ev.seq,
                "summary": {},
                "step": None,
                "rows": 0,
                "metrics": {},
                "pending": None,
                "media": {},
                "dropped": 0,
            }
        run["last_seq"] = ev.seq
        return run


class Machine:
    """The newest ``sys`` reading of each source."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.readings: dict[str, dict[str, Any]] = _copy(state) if state else {}

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = _copy(self.readings)
        return out


def runs_of(fold: StreamFold) -> Runs:
    return cast(Runs, fold.part("runs"))


def _on_run_start(f: StreamFold, ev: Event) -> None:
    d = ev.data
    run = runs_of(f).run(d["run"], ev)
    run.update(
        source=ev.source,
        name=d.get("name") or d["run"],
        project=d.get("project", ""),
        group=d.get("group", ""),
        tags=list(d.get("tags", [])),
        notes=d.get("notes", ""),
        config=dict(d.get("config", {})),
        status="running",
        exit_code=None,
        started=ev.t,
        ended=None,
    )


def _on_run_update(f: StreamFold, ev: Event) -> None:
    d = ev.data
    run = runs_of(f).run(d["run"], ev)
    if d.get("config"):
        run["config"].update(d["config"])
    for key, value in (d.get("summary") or {}).items():
        if value is None:
            run["summary"].pop(key, None)
        else:
            run["summary"][key] = value
    if d.get("notes") is not None:
        run["notes"] = d["notes"]


def _on_run_end(f: StreamFold, ev: Event) -> None:
    d = ev.data
    run = runs_of(f).run(d["run"], ev)
    run["summary"].update(d.get("summary", {}))
    run.update(status=d.get("status", "finished"), exit_code=d.get("exit_code"), ended=ev.t)
    run["pending"] = None


def _on_metric(f: StreamFold, ev: Event) -> None:
    d = ev.data
    run = runs_of(f).run(d["run"], ev)
    metrics = run["metrics"]
    for row in d.get("rows", ()):
        step = row["step"]
        for name, value in row["values"].items():
            m = metrics.get(name)
            if m is None:
                m = metrics[name] = {"step": step, "value": value, "min": None, "max": None}
            m["step"], m["value"] = step, value
            if not isinstance(value, str):  # "nan", "inf", "-inf" do not move the range
                if m["min"] is None or value < m["min"]:
                    m["min"] = value
                if m["max"] is None or value > m["max"]:
                    m["max"] = value
        run["step"] = step
        run["rows"] += 1
    run["pending"] = d.get("pending")


def _on_media(f: StreamFold, ev: Event) -> None:
    d = ev.data
    run = runs_of(f).run(d["run"], ev)
    entry: dict[str, Any] = {"kind": ev.kind, "seq": ev.seq, "step": d.get("step")}
    if ev.kind == "figure":
        if d.get("index", 0):  # the first image of a list stands for the list
            return
        for k in ("blob", "mime", "caption", "width", "height"):
            entry[k] = d.get(k)
    elif ev.kind == "table":
        if d.get("offset", 0):  # later pages of a table already listed
            return
        for k in ("columns", "total"):
            entry[k] = d.get(k)
    run["media"][d["key"]] = entry


def _on_dropped(f: StreamFold, ev: Event) -> None:
    run_id = ev.data.get("run")
    if run_id is not None:
        run = runs_of(f).run(run_id, ev)
        run["dropped"] = max(run["dropped"], ev.data["count"])


def _on_sys(f: StreamFold, ev: Event) -> None:
    machine = cast(Machine, f.part("sys"))
    machine.readings[ev.source] = {"t": ev.t, **ev.data}


register_part("runs", Runs)
register_part("sys", Machine)
register("run.start", _on_run_start)
register("run.update", _on_run_update)
register("run.end", _on_run_end)
register("metric", _on_metric)
register("figure", _on_media)
register("histogram", _on_media)
register("table", _on_media)
register("sdk.dropped", _on_dropped)
register("sys", _on_sys)
