"""The SDK's promises, in this process, streaming on its own to a local spool (offline):
wandb's steps and commits, values JSON cannot carry, calls that must never raise, and a full
queue that drops points and says how many."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import benchcast
from benchcast import sdk
from benchcast.broadcast.producer import Producer
from benchcast.broadcast.standalone import OwnStreamSink
from tests.sdk.streaming import fold, of_kind, rows, spooled


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The SDK streaming on its own, with no server: everything lands in its spool."""
    monkeypatch.setenv("BENCHCAST_DATA", str(tmp_path))
    monkeypatch.setenv("BENCHCAST_MODE", "offline")
    monkeypatch.delenv("BENCHCAST_CONTROL", raising=False)
    sdk._producer = None
    yield tmp_path
    sdk._at_exit()
    sdk._producer = None
    sdk._current = None


def events_of(data: Path) -> list[dict[str, Any]]:
    return spooled(data)


def test_steps_and_commits_follow_wandb(offline: Path) -> None:
    run = benchcast.init(project="p", telemetry=False)
    benchcast.log({"a": 1.0})  # step 0, committed
    benchcast.log({"b": 2.0}, commit=False)  # step 1, pending
    benchcast.log({"c": 3.0})  # step 1 committed with b
    benchcast.log({"d": 4.0}, step=5)  # step 5, pending until a later step
    benchcast.log({"e": 5.0}, step=5)
    benchcast.log({"f": 6.0}, step=2)  # below the current step: ignored
    benchcast.log({"g": 7.0}, step=7)  # commits step 5
    benchcast.log({"h": 8.0}, step=7, commit=True)  # commits step 7
    assert run.step == 8
    benchcast.log({"i": 9.0})
    benchcast.finish()
    got = [(r["step"], r["values"]) for r in rows(events_of(offline))]
    assert got == [
        (0, {"a": 1.0}),
        (1, {"b": 2.0, "c": 3.0}),
        (5, {"d": 4.0, "e": 5.0}),
        (7, {"g": 7.0, "h": 8.0}),
        (8, {"i": 9.0}),
    ]
    assert benchcast.run is None


def test_nan_and_infinity_reach_viewers_as_words(offline: Path) -> None:
    run = benchcast.init(project="p", telemetry=False)
    benchcast.log({"loss": float("nan"), "grad": float("inf"), "neg": float("-inf"), "ok": 1})
    run.summary["worst"] = float("nan")
    benchcast.finish()
    events = events_of(offline)
    assert rows(events)[0]["values"] == {"loss": "nan", "grad": "inf", "neg": "-inf", "ok": 1.0}
    (end,) = of_kind(events, "run.end")
    assert end["summary"]["worst"] == "nan" and end["summary"]["loss"] == "nan"
    metrics = next(iter(fold(events)["runs"].values()))["metrics"]
    assert metrics["loss"] == {"step": 0, "value": "nan", "min": None, "max": None}


def test_mistakes_in_calls_are_reported_once_and_never_raise(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    benchcast.log({"before": 1.0})  # no run yet
    run = benchcast.init(project="p", config=object(), telemetry=False)
    run.log(None)  # type: ignore[arg-type]
    run.log([1, 2])  # type: ignore[arg-type]
    run.log({"x": object(), "fine": 1.0, 3: 4.0})  # type: ignore[dict-item]
    run.log({"s": "text"})  # strings go to the summary
    run.log({"x": 1.0}, step="not a step")  # type: ignore[arg-type]
    run.finish()
    run.log({"after": 1.0})
    run.finish()
    err = capsys.readouterr().err
    assert "before init()" in err and "log() skipped" in err
    events = events_of(offline)
    assert [r["values"] for r in rows(events)] == [{"fine": 1.0, "3": 4.0}]
    assert of_kind(events, "run.end")[0]["summary"]["s"] == "text"


def test_a_full_queue_drops_points_counts_them_and_the_run_still_ends(offline: Path) -> None:
    # A queue of 50 that is not emptied while the loop runs: the rest of the points drop.
    sink = OwnStreamSink(data_dir=offline, server=None, key=None, title="drops")
    sdk._producer = Producer(sink, cap=50, interval=30.0)
    run = benchcast.init(project="p", telemetry=False)
    for i in range(1000):
        benchcast.log({"i": float(i)})
    assert run.dropped > 900
    benchcast.finish()
    events = events_of(offline)
    kept = rows(events)
    assert len(kept) + run.dropped == 1000
    (dropped,) = of_kind(events, "sdk.dropped")
    assert dropped["count"] == run.dropped and dropped["run"] == run.id
    assert of_kind(events, "run.end")[0]["status"] == "finished"
    state = next(iter(fold(events)["runs"].values()))
    assert state["dropped"] == run.dropped and state["status"] == "finished"


def test_a_block_that_raises_fails_its_run(offline: Path) -> None:
    with pytest.raises(ZeroDivisionError), benchcast.init(project="p", telemetry=False) as run:
        run.log({"x": 1.0})
        _ = 1 / 0
    (end,) = of_kind(events_of(offline), "run.end")
    assert end["status"] == "failed" and end["exit_code"] == 1


def test_config_and_summary_read_and_write_like_wandb(offline: Path) -> None:
    run = benchcast.init(project="p", config={"lr": 0.1, "layers": [64, 64]}, telemetry=False)
    assert benchcast.config.lr == 0.1 and benchcast.config["layers"] == [64, 64]
    benchcast.config.update({"batch": 32})
    benchcast.config.momentum = 0.9
    assert "momentum" in benchcast.config and dict(benchcast.config.items())["batch"] == 32
    benchcast.log({"loss": 0.5})
    assert benchcast.summary["loss"] == 0.5  # the last value of a metric
    benchcast.summary["best"] = 0.4
    assert run.summary.get("best") == 0.4
    benchcast.finish()
    events = events_of(offline)
    update = {
        k: v for u in of_kind(events, "run.update") for k, v in (u.get("config") or {}).items()
    }
    assert update == {"batch": 32, "momentum": 0.9}
    state = next(iter(fold(events)["runs"].values()))
    assert state["config"] == {"lr": 0.1, "layers": [64, 64], "batch": 32, "momentum": 0.9}
    assert state["summary"] == {"loss": 0.5, "best": 0.4}


def test_the_public_api_is_a_sorted_all_and_every_name_resolves() -> None:
    assert benchcast.__all__ == sorted(benchcast.__all__)
    for name in benchcast.__all__:
        getattr(benchcast, name)  # `run` too: the current run or None
    assert set(sdk.__all__) <= set(benchcast.__all__)
