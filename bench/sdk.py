"""SDK benchmark: what ``log()`` costs a real training loop.

    python bench/sdk.py                  # 10,000 steps, 5 metrics each, 3 rounds
    python bench/sdk.py --steps 2000 --rounds 1

A real training loop — linear regression by minibatch SGD in numpy — runs ``--steps`` steps
and logs five metrics a step. Each ``log`` call (only the call) is timed with
``perf_counter_ns``; the variants run in turns, in one process:

- ``noop``: a function with log's signature that does nothing (the floor: a Python call);
- ``benchcast``: ``benchcast.log``, streaming on its own to a local spool (redaction, SQLite:
  its background thread competes with the loop for the GIL, the most it ever does here);
- ``benchcast-null``: ``benchcast.log`` with ``mode="disabled"`` (the hot path alone);
- ``wandb-offline``: ``wandb.log`` with ``mode="offline"``, when wandb is importable.

It prints per-call medians, p90, p99 and means, how long after the loop every point had
been handed on (flush), and how many events the 10,000 steps became. The last line is
benchcast's median overhead over the no-op call (the target is ≤ 5 µs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Log = Callable[..., Any]


def train(log: Log, steps: int, seed: int = 0) -> list[int]:
    """SGD on a linear regression; five metrics logged a step. Returns each call's ns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1024, 16))
    y = x @ rng.normal(size=16) + rng.normal(scale=0.1, size=1024)
    w = np.zeros(16)
    lr = 0.05
    times: list[int] = []
    clock = time.perf_counter_ns
    for step in range(steps):
        batch = rng.integers(0, 1024, size=64)
        err = x[batch] @ w - y[batch]
        grad = x[batch].T @ err / 64
        w -= lr * grad
        metrics = {
            "train/loss": float(err @ err / 64),
            "train/grad_norm": float(np.sqrt(grad @ grad)),
            "train/w_norm": float(np.sqrt(w @ w)),
            "train/lr": lr,
            "epoch": step // 100,
        }
        t0 = clock()
        log(metrics)
        times.append(clock() - t0)
    return times


def noop(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    pass


def stats(ns: list[int]) -> dict[str, float]:
    s = sorted(ns)
    return {
        "median": statistics.median(s) / 1000,
        "p90": s[int(len(s) * 0.9)] / 1000,
        "p99": s[int(len(s) * 0.99)] / 1000,
        "mean": statistics.fmean(s) / 1000,
    }


def run_benchcast(mode: str, steps: int, data: Path) -> tuple[list[int], float, int]:
    """One run of the loop with benchcast; (call times, flush seconds, events made)."""
    import benchcast
    from benchcast import sdk

    os.environ["BENCHCAST_DATA"] = str(data)
    sdk._producer = None  # a fresh stream (spool) per run
    run = benchcast.init(project="bench", mode=mode, telemetry=False)
    times = train(benchcast.log, steps)
    t0 = time.perf_counter()
    run.finish()
    flushed = time.perf_counter() - t0
    events = 0
    if mode != "disabled":
        import sqlite3

        assert sdk._producer is not None
        sdk._producer.close(5.0)
        for path in (data / "sdk").glob("*.db"):
            with sqlite3.connect(path) as db:
                events += int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    sdk._producer = None
    return times, flushed, events


def run_wandb(steps: int, data: Path) -> tuple[list[int], float, int] | None:
    try:
        import wandb
    except ImportError:
        return None
    os.environ.setdefault("WANDB_SILENT", "true")
    run = wandb.init(project="bench", mode="offline", dir=str(data))
    times = train(run.log, steps)
    t0 = time.perf_counter()
    run.finish()
    return times, time.perf_counter() - t0, 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args(argv)
    os.environ.pop("BENCHCAST_CONTROL", None)  # measure this process, not a publisher
    results: dict[str, list[int]] = {}
    flush: dict[str, list[float]] = {}
    events: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            here = Path(tmp) / f"round{r}"
            runs: dict[str, Callable[[Path], tuple[list[int], float, int] | None]] = {
                "noop": lambda _d: (train(noop, a.steps), 0.0, 0),
                "benchcast": lambda d: run_benchcast("offline", a.steps, d),
                "benchcast-null": lambda d: run_benchcast("disabled", a.steps, d),
                "wandb-offline": lambda d: run_wandb(a.steps, d),
            }
            for name, fn in runs.items():
                got = fn(here / name)
                if got is None:
                    continue
                times, flushed, made = got
                results.setdefault(name, []).extend(times)
                flush.setdefault(name, []).append(flushed)
                events[name] = made
    print(f"{a.steps} steps, 5 metrics each, {a.rounds} rounds, Python {sys.version.split()[0]}")
    print(f"{'variant':16} {'median µs':>10} {'p90':>8} {'p99':>8} {'mean':>8} "
          f"{'finish s':>9} {'events':>7}")  # fmt: skip
    for name, times in results.items():
        s = stats(times)
        print(
            f"{name:16} {s['median']:10.2f} {s['p90']:8.2f} {s['p99']:8.2f} {s['mean']:8.2f} "
            f"{statistics.median(flush[name]):9.3f} {events.get(name, 0):7}"
        )
    if "wandb-offline" not in results:
        print("wandb-offline: wandb is not installed; not compared")
    base = stats(results["noop"])["median"]
    bc = stats(results["benchcast"])["median"]
    line = (
        f"benchcast.log median {bc:.2f} µs, no-op {base:.2f} µs: overhead {bc - base:.2f} µs "
        f"per call (target ≤ 5 µs)"
    )
    if "wandb-offline" in results:
        wb = stats(results["wandb-offline"])["median"]
        line += f"; wandb offline {wb:.2f} µs ({wb / bc:.0f} times benchcast)"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
