"""The runs, the machine and the notebooks as folded from the log: a keyframe taken at any
event, restored and fed the rest, ends where a full fold does."""

from __future__ import annotations

from typing import Any

from benchcast.events import Event
from benchcast.replay.fold import StreamFold

H = "b" * 64


def log() -> list[Event]:
    raw: list[tuple[str, str, dict[str, Any]]] = [
        ("run.start", "run:a", {"run": "a", "name": "baseline", "config": {"lr": 0.1}}),
        ("metric", "run:a", {"run": "a", "rows": [{"step": 0, "values": {"loss": 2.0}},
                                                  {"step": 1, "values": {"loss": 1.0}}],
                             "pending": {"step": 2, "values": {"loss": 0.9}}}),
        ("sys", "sys", {"cpu": 50.0, "gpu": "absent"}),
        ("run.update", "run:a", {"run": "a", "config": {"wd": 0.01}, "summary": {"best": 1.0}}),
        ("figure", "run:a", {"run": "a", "key": "samples", "blob": H, "mime": "image/png",
                             "step": 1}),
        ("table", "run:a", {"run": "a", "key": "preds", "columns": ["x"], "rows": [["1"]],
                            "offset": 0, "total": 150}),
        ("table", "run:a", {"run": "a", "key": "preds", "columns": ["x"], "rows": [["2"]],
                            "offset": 100, "total": 150}),
        ("metric", "run:a", {"run": "a", "rows": [{"step": 2, "values": {"loss": 3.0,
                                                                           "acc": "nan"}}]}),
        ("nb.cell", "nb:n", {"notebook": "n", "cell": "c1", "source": "x", "status": "running"}),
        ("nb.cell", "nb:n", {"notebook": "n", "cell": "c2", "source": "y"}),
        ("nb.cell", "nb:n", {"notebook": "n", "cell": "c1", "source": "x", "status": "ok"}),
        ("sdk.dropped", "run:a", {"run": "a", "count": 7, "reason": "full"}),
        ("run.end", "run:a", {"run": "a", "status": "finished", "summary": {"final": 3.0}}),
        ("metric", "run:b", {"run": "b", "rows": [{"step": 5, "values": {"x": 1.0}}]}),
    ]  # fmt: skip
    return [
        Event(seq=i + 1, t=float(i), kind=kind, source=source, data=data)
        for i, (kind, source, data) in enumerate(raw)
    ]


def test_a_late_joiner_sees_each_run_as_a_full_fold_does() -> None:
    events = log()
    full = StreamFold().apply_all(events).snapshot()
    for cut in range(len(events) + 1):
        resumed = StreamFold.restore(StreamFold().apply_all(events[:cut]).snapshot())
        assert resumed.apply_all(events[cut:]).snapshot() == full, cut
    a = full["runs"]["a"]
    assert a["config"] == {"lr": 0.1, "wd": 0.01} and a["status"] == "finished"
    assert a["summary"] == {"best": 1.0, "final": 3.0}
    assert a["metrics"]["loss"] == {"step": 2, "value": 3.0, "min": 1.0, "max": 3.0}
    assert a["metrics"]["acc"]["value"] == "nan" and a["pending"] is None
    assert a["rows"] == 3 and a["step"] == 2 and a["dropped"] == 7
    assert a["media"]["samples"]["blob"] == H and a["media"]["preds"]["seq"] == 6
    assert (a["first_seq"], a["last_seq"]) == (1, 13)
    assert full["runs"]["b"]["name"] == "b" and full["runs"]["b"]["first_seq"] == 14
    assert full["sys"]["sys"]["cpu"] == 50.0
    assert full["notebooks"]["n"]["order"] == ["c2", "c1"]
    assert full["notebooks"]["n"]["cells"]["c1"]["status"] == "ok"


def test_a_keyframe_shares_nothing_with_the_live_fold() -> None:
    events = log()
    fold = StreamFold().apply_all(events[:3])
    snap = fold.snapshot()
    fold.apply_all(events[3:])
    assert snap["runs"]["a"]["config"] == {"lr": 0.1}
