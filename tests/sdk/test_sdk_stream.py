"""The SDK as streamers use it: a training script run inside `benchcast stream`, a real
server, the archive and the fold a late-joining viewer starts from."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ServerProcess
from tests.sdk.streaming import fold, of_kind, rows, run_script, spooled, stream_env
from tests.secrets.fake_secrets import FAKE

TRAIN = """
import numpy as np
import benchcast as wandb

rng = np.random.default_rng(0)
w = rng.normal(size=8)
x = rng.normal(size=(256, 8))
y = x @ np.arange(8.0)
run = wandb.init(project="regression", name="sgd", config={"lr": 0.01, "api_token": TOKEN},
                 tags=["numpy"])
for step in range(10_000):
    batch = rng.integers(0, 256, size=32)
    err = x[batch] @ w - y[batch]
    grad = x[batch].T @ err / 32
    w -= wandb.config.lr * grad
    loss = float(np.mean(err ** 2))
    wandb.log({"train/loss": loss, "train/grad_norm": float(np.linalg.norm(grad)),
               "train/w0": float(w[0]), "lr": wandb.config.lr, "step_seen": step})
wandb.log({"leak " + TOKEN: 1.0})
run.summary["final_loss"] = loss
wandb.finish()
"""


def test_a_numpy_training_loop_streams_10000_steps_of_5_metrics_in_few_events(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    token = FAKE["github-token"]
    res, events = run_script(
        server, tmp_path, f"TOKEN = {token!r}\n" + TRAIN, stream_env(env_clean)
    )
    assert res.returncode == 0, res.stderr
    got = rows(events)
    assert [r["step"] for r in got] == list(range(10_001))
    assert all(len(r["values"]) == 5 for r in got[:10_000])
    assert [r["values"]["step_seen"] for r in got[:10_000]] == list(range(10_000))
    # Steps are batched: 10,000 rows are a few dozen events, not 50,000.
    assert len(of_kind(events, "metric")) < 100
    # Every string is redacted: a config value and a metric name.
    start = of_kind(events, "run.start")[0]
    assert start["config"]["lr"] == 0.01 and token not in start["config"]["api_token"]
    assert not any(token in name for r in got for name in r["values"])
    assert of_kind(events, "redacted")
    state = fold(events)["runs"]
    (run,) = state.values()
    assert run["name"] == "sgd" and run["project"] == "regression" and run["tags"] == ["numpy"]
    assert run["status"] == "finished" and run["rows"] == 10_001 and run["step"] == 10_000
    loss = run["metrics"]["train/loss"]
    assert loss["step"] == 9_999 and loss["min"] <= loss["value"] <= loss["max"]
    assert run["summary"]["final_loss"] == loss["value"]


QUICKSTART = """
import random

import benchcast as wandb

# Start a new wandb run to track this script.
run = wandb.init(
    # Set the wandb entity where your project will be logged (generally your team name).
    entity="my-awesome-team-name",
    # Set the wandb project where this run will be logged.
    project="my-awesome-project",
    # Track hyperparameters and run metadata.
    config={
        "learning_rate": 0.02,
        "architecture": "CNN",
        "dataset": "CIFAR-100",
        "epochs": 10,
    },
)

# Simulate training.
epochs = 10
offset = random.random() / 5
for epoch in range(2, epochs):
    acc = 1 - 2**-epoch - random.random() / epoch - offset
    loss = 2**-epoch + random.random() / epoch + offset

    # Log metrics to wandb.
    run.log({"acc": acc, "loss": loss})

# Finish the run and upload any remaining data.
run.finish()
"""


def test_import_benchcast_as_wandb_runs_the_wandb_quickstart_unmodified(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    res, events = run_script(server, tmp_path, QUICKSTART, stream_env(env_clean))
    assert res.returncode == 0, res.stderr
    (start,) = of_kind(events, "run.start")
    assert start["project"] == "my-awesome-project"
    assert start["config"] == {
        "learning_rate": 0.02,
        "architecture": "CNN",
        "dataset": "CIFAR-100",
        "epochs": 10,
    }
    assert [r["step"] for r in rows(events)] == list(range(8))
    assert all(set(r["values"]) == {"acc", "loss"} for r in rows(events))
    (end,) = of_kind(events, "run.end")
    assert end["status"] == "finished" and set(end["summary"]) == {"acc", "loss"}


RICH = """
import argparse
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image as PILImage

import benchcast as wandb

args = argparse.Namespace(batch_size=32, optimizer="adam")
with wandb.init(project="vision", config=args, notes="rich media") as run:
    wandb.config.update({"epochs": 3})
    wandb.config.dropout = 0.1
    for epoch in range(3):
        wandb.log({"epoch": epoch, "val": {"acc": 0.5 + epoch / 10}})
    wandb.log({"partial": 1.0}, commit=False)
    wandb.log({"more": 2.0}, commit=False)
    time.sleep(0.5)  # long enough for the background thread to send the pending row
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    PILImage.fromarray(np.full((4, 6, 3), 200, dtype=np.uint8)).save("pic.png")
    wandb.log({
        "plot": wandb.Image(fig, caption="a line"),
        "noise": wandb.Image(np.random.default_rng(0).random((8, 8, 3))),
        "pil": wandb.Image(PILImage.fromarray(np.zeros((5, 7), dtype=np.uint8))),
        "file": wandb.Image("pic.png"),
        "weights": wandb.Histogram(np.random.default_rng(1).normal(size=1000), num_bins=20),
        "preds": wandb.Table(columns=["id", "label"], data=[[i, f"c{i % 3}"] for i in range(250)]),
    })
    wandb.log({"late": 1.0}, step=10)
    wandb.log({"late": 2.0}, step=10)
    wandb.log({"ignored": 1.0}, step=3)
    run.summary["best"] = 0.9
    wandb.log({"after": 1.0}, step=11, commit=True)
print("step", wandb.run)
"""


def test_images_histograms_tables_and_wandb_steps_arrive_with_their_blobs(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    res, events = run_script(server, tmp_path, RICH, stream_env(env_clean))
    assert res.returncode == 0, res.stderr
    assert "step None" in res.stdout  # wandb.run is None once the run has finished
    (start,) = of_kind(events, "run.start")
    assert start["config"] == {"batch_size": 32, "optimizer": "adam"} and start["notes"]
    updates = of_kind(events, "run.update")
    changed = {k: v for u in updates for k, v in (u["config"] or {}).items()}
    assert changed == {"epochs": 3, "dropout": 0.1}
    got = rows(events)
    assert [r["values"] for r in got[:3]] == [
        {"epoch": 0.0, "val.acc": 0.5},
        {"epoch": 1.0, "val.acc": 0.6},
        {"epoch": 2.0, "val.acc": 0.7},
    ]
    # commit=False rows were shown as pending before they were committed.
    pendings = [m["pending"] for m in of_kind(events, "metric") if m.get("pending")]
    assert pendings and pendings[-1] == {"step": 3, "values": {"partial": 1.0, "more": 2.0}}
    by_step = {r["step"]: r["values"] for r in got}
    assert by_step[3] == {"partial": 1.0, "more": 2.0}
    assert by_step[10] == {"late": 2.0} and by_step[11] == {"after": 1.0}
    assert not any("ignored" in r["values"] for r in got)  # a step below the current one
    figures = {f["key"]: f for f in of_kind(events, "figure")}
    assert set(figures) == {"plot", "noise", "pil", "file"}
    assert figures["plot"]["caption"] == "a line" and figures["plot"]["step"] == 3
    assert (figures["noise"]["width"], figures["noise"]["height"]) == (8, 8)
    assert (figures["pil"]["width"], figures["pil"]["height"]) == (7, 5)
    for fig in figures.values():
        blob = httpx.get(f"{server.url}/blobs/{fig['blob']}")
        assert blob.status_code == 200 and blob.headers["content-type"] == fig["mime"]
        assert hashlib.sha256(blob.content).hexdigest() == fig["blob"]
        assert "immutable" in blob.headers["cache-control"]
    assert blob.content == (tmp_path / "pic.png").read_bytes()
    (hist,) = of_kind(events, "histogram")
    assert len(hist["counts"]) == 20 and sum(hist["counts"]) == 1000
    pages = of_kind(events, "table")
    assert [p["offset"] for p in pages] == [0, 100, 200]
    assert sum(len(p["rows"]) for p in pages) == 250 and pages[0]["total"] == 250
    assert pages[2]["rows"][-1] == [249.0, "c0"]
    run = next(iter(fold(events)["runs"].values()))
    assert run["media"]["plot"]["blob"] == figures["plot"]["blob"]
    assert run["media"]["preds"] == {
        "kind": "table",
        "seq": run["media"]["preds"]["seq"],
        "step": 3,
        "columns": ["id", "label"],
        "total": 250,
    }
    assert run["summary"]["best"] == 0.9 and run["status"] == "finished"
    assert run["pending"] is None


SVG_FIGURES = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

import benchcast as wandb

def figure(title):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title(title)
    return fig

with wandb.init(project="svg"):
    leaky = figure("loss with TOKEN")
    leaky.savefig("leaky.svg")
    wandb.log({"leaky": wandb.Image(leaky, file_type="svg"),
               "clean": wandb.Image(figure("loss"), file_type="svg")})
"""


def test_an_svg_figure_that_shows_a_secret_is_withheld_and_others_are_sent(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    token = FAKE["github-token"]
    res, events = run_script(
        server, tmp_path, SVG_FIGURES.replace("TOKEN", token), stream_env(env_clean)
    )
    assert res.returncode == 0, res.stderr
    assert token in (tmp_path / "leaky.svg").read_text()  # matplotlib writes titles as text
    figures = {f["key"]: f for f in of_kind(events, "figure")}
    assert figures["leaky"]["mime"] == figures["clean"]["mime"] == "image/svg+xml"
    clean = httpx.get(f"{server.url}/blobs/{figures['clean']['blob']}")
    assert clean.status_code == 200 and b"<svg" in clean.content
    assert httpx.get(f"{server.url}/blobs/{figures['leaky']['blob']}").status_code == 404
    stored = b"".join(p.read_bytes() for p in server.data.rglob("*") if p.is_file())
    assert token.encode() not in stored
    assert "hid 1 secret from viewers (github-token)" in res.stderr  # the streamer is told
    # The same from a script streaming on its own (here offline: its spool is what it sends).
    data = tmp_path / "own"
    env = stream_env(env_clean, BENCHCAST_DATA=str(data), BENCHCAST_MODE="offline")
    own = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert own.returncode == 0, own.stderr
    figures = {f["key"]: f for f in of_kind(spooled(data), "figure")}
    (db,) = (data / "sdk").glob("*.db")
    with sqlite3.connect(db) as conn:
        kept = {digest for (digest,) in conn.execute("SELECT hash FROM blobs")}
    assert figures["clean"]["blob"] in kept and figures["leaky"]["blob"] not in kept
    assert token.encode() not in b"".join(p.read_bytes() for p in (data / "sdk").iterdir())
