"""A real (small) training script for the runs panel's browser tests and screenshots: numpy
linear regression with minibatch SGD, logged through the SDK (``import benchcast as wandb``)
with a matplotlib figure of its predictions and an eval table every so often.

    python train_script.py CONTROL_DIR [--quick N]

Live mode (the default) trains run "baseline" until CONTROL_DIR/next exists, then run
"high-lr" until CONTROL_DIR/stop exists, pacing steps ~20 ms apart so the stream is live for
as long as the test needs. ``--quick N`` trains one run ("baseline-v0") for N steps, unpaced.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import benchcast as wandb

FEATURES = 16


def figure(pred: np.ndarray, target: np.ndarray, step: int) -> object:
    fig, ax = plt.subplots(figsize=(4.2, 3.0), dpi=80)
    ax.scatter(target, pred, s=8, alpha=0.6, color="#2b7bd6")
    lo, hi = float(target.min()), float(target.max())
    ax.plot([lo, hi], [lo, hi], color="#d9534f", lw=1)
    ax.set_xlabel("target")
    ax.set_ylabel("prediction")
    ax.set_title(f"step {step}")
    fig.tight_layout()
    return fig


def train(name: str, lr: float, seed: int, until: Path | None, steps: int | None) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(512, FEATURES))
    w_true = rng.normal(size=FEATURES)
    y = x @ w_true + 0.1 * rng.normal(size=512)
    w = np.zeros(FEATURES)
    run = wandb.init(
        project="regression",
        name=name,
        config={
            "lr": lr,
            "batch": 32,
            "features": FEATURES,
            "optim": {"name": "sgd", "seed": seed},
        },
        tags=["numpy", "sgd"],
    )
    step = 0
    while (steps is None or step < steps) and (until is None or not until.exists()):
        batch = rng.integers(0, 512, size=32)
        err = x[batch] @ w - y[batch]
        grad = x[batch].T @ err / 32
        w -= lr * grad
        row = {"train/loss": float(np.mean(err**2)), "train/grad_norm": float(np.linalg.norm(grad))}
        if step % 10 == 0:
            pred = x @ w
            row["eval/mse"] = float(np.mean((pred - y) ** 2))
            row["eval/r2"] = float(1 - np.mean((pred - y) ** 2) / np.var(y))
        if step % 40 == 0:
            pred = x[:64] @ w
            fig = figure(pred, y[:64], step)
            wandb.log(
                {"predictions": wandb.Image(fig, caption=f"{name} at step {step}")}, commit=False
            )
            plt.close(fig)
            table = wandb.Table(columns=["id", "target", "prediction", "verdict"])
            for i in range(12):
                verdict = "close" if abs(pred[i] - y[i]) < 0.5 else "off by a lot"
                table.add_data(i, round(float(y[i]), 3), round(float(pred[i]), 3), verdict)
            wandb.log({"eval/samples": table}, commit=False)
            residuals = x @ w - y
            wandb.log({"residuals": wandb.Histogram(residuals, num_bins=40)}, commit=False)
        wandb.log(row)
        step += 1
        if steps is None:
            time.sleep(0.02)
    run.summary["final_loss"] = row["train/loss"]
    wandb.finish()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("control", type=Path)
    parser.add_argument("--quick", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        train("baseline-v0", 0.02, 3, None, args.quick)
        return
    train("baseline", 0.01, 1, args.control / "next", None)
    train("high-lr", 0.05, 2, args.control / "stop", None)


if __name__ == "__main__":
    main()
