"""Framework hooks, each with the real library training a tiny real model on the CPU for a
few steps, inside `benchcast stream` against a real server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.sdk.streaming import fold, of_kind, rows, run_script, stream_env

HUGGING_FACE = """
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
from benchcast.integrations.huggingface import BenchcastCallback

torch.manual_seed(0)
config = BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16, num_labels=2)
model = BertForSequenceClassification(config)

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 32
    def __getitem__(self, i):
        ids = torch.randint(0, 32, (8,), generator=torch.Generator().manual_seed(i))
        return {"input_ids": ids, "attention_mask": torch.ones(8, dtype=torch.long),
                "labels": torch.tensor(i % 2)}

args = TrainingArguments(output_dir="out", max_steps=6, logging_steps=2, eval_strategy="steps",
                         eval_steps=3, per_device_train_batch_size=4, per_device_eval_batch_size=8,
                         report_to="none", save_strategy="no", disable_tqdm=True, use_cpu=True)
trainer = Trainer(model=model, args=args, train_dataset=Data(), eval_dataset=Data(),
                  callbacks=[BenchcastCallback(project="tiny-bert")])
trainer.train()
"""


def test_the_hugging_face_callback_streams_a_trainer_by_global_step(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    pytest.importorskip("transformers")
    res, events = run_script(server, tmp_path, HUGGING_FACE, stream_env(env_clean))
    assert res.returncode == 0, res.stderr[-3000:]
    (start,) = of_kind(events, "run.start")
    assert start["project"] == "tiny-bert"
    assert start["config"]["max_steps"] == 6 and start["config"]["model"]["hidden_size"] == 16
    by_step = {r["step"]: r["values"] for r in rows(events)}
    assert {"train/loss", "train/learning_rate"} <= set(by_step[2])
    assert "eval/loss" in by_step[3] and "train/loss" in by_step[6]
    assert sorted(by_step) == sorted(set(by_step))  # one row per global step
    run = next(iter(fold(events)["runs"].values()))
    assert run["status"] == "finished" and "eval/loss" in run["metrics"]


LIGHTNING = """
import torch
import pytorch_lightning as pl
from benchcast.integrations.lightning import BenchcastLogger

torch.manual_seed(0)

class Tiny(pl.LightningModule):
    def __init__(self, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)
    def training_step(self, batch, i):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train/loss", loss)
        return loss
    def validation_step(self, batch, i):
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.layer(x), y))
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

x = torch.randn(64, 4)
data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
loader = torch.utils.data.DataLoader(data, batch_size=8)
trainer = pl.Trainer(max_epochs=2, logger=BenchcastLogger(project="tiny-lightning"),
                     log_every_n_steps=2, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, accelerator="cpu")
trainer.fit(Tiny(), loader, loader)
"""


def test_the_lightning_logger_streams_metrics_and_hyperparameters(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    pytest.importorskip("pytorch_lightning")
    res, events = run_script(server, tmp_path, LIGHTNING, stream_env(env_clean))
    assert res.returncode == 0, res.stderr[-3000:]
    assert of_kind(events, "run.start")[0]["project"] == "tiny-lightning"
    assert any((u.get("config") or {}).get("lr") == 0.1 for u in of_kind(events, "run.update"))
    got = rows(events)
    assert sum("train/loss" in r["values"] for r in got) >= 4
    assert sum("val/loss" in r["values"] for r in got) == 2
    steps = [r["step"] for r in got]
    assert steps == sorted(steps) and len(steps) == len(set(steps))
    run = next(iter(fold(events)["runs"].values()))
    assert run["status"] == "finished" and run["config"]["lr"] == 0.1


KERAS = """
import os
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np
import keras
from benchcast.integrations.keras import BenchcastCallback

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
          callbacks=[BenchcastCallback(project="tiny-keras")])
"""


def test_the_keras_callback_streams_batches_and_epochs(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")
    res, events = run_script(server, tmp_path, KERAS, stream_env(env_clean))
    assert res.returncode == 0, res.stderr[-3000:]
    (start,) = of_kind(events, "run.start")
    assert start["project"] == "tiny-keras" and start["config"]["epochs"] == 3
    got = rows(events)
    assert [r["step"] for r in got] == list(range(9))  # 48 training samples / 16, 3 epochs
    ends = [r for r in got if "val/loss" in r["values"]]
    assert [r["values"]["epoch"] for r in ends] == [0.0, 1.0, 2.0]
    assert all("train/loss" in r["values"] and "epoch/loss" in r["values"] for r in ends)
    assert fold(events)["runs"][start["run"]]["status"] == "finished"
