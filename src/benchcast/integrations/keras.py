"""Keras 3: a ``Callback`` that streams training as it goes (any backend; Benchcast's tests
run it on the torch backend, ``KERAS_BACKEND=torch``).

    from benchcast.integrations.keras import BenchcastCallback
    model.fit(x, y, epochs=5, callbacks=[BenchcastCallback(project="mnist")])

Each batch's logs are logged at the batch's global step (every ``every`` batches) under
``train/``; each epoch's logs at the epoch's last step — training values under ``epoch/``,
validation (``val_…``) under ``val/`` — with ``epoch``. The run starts with ``fit`` (unless
one is already active), with the fit's parameters as config, and finishes with it.
"""

from __future__ import annotations

from typing import Any

import keras

import benchcast


class BenchcastCallback(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(
        self, project: str | None = None, name: str | None = None, every: int = 1, **init: Any
    ) -> None:
        super().__init__()
        self.init_kwargs = {"project": project, "name": name, **init}
        self.every = max(1, every)
        self.run: benchcast.Run | None = None
        self._own = False
        self._step = 0

    def on_train_begin(self, logs: Any = None) -> None:
        self.run = benchcast.sdk._current
        if self.run is None:
            params = {k: v for k, v in (self.params or {}).items() if v is not None}
            config = {**params, **(self.init_kwargs.pop("config", None) or {})}
            self.run = benchcast.init(config=config, **self.init_kwargs)
            self._own = True
        self._step = self.run.step

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.run is not None and logs and self._step % self.every == 0:
            self.run.log({f"train/{k}": v for k, v in logs.items()}, step=self._step)
        self._step += 1

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.run is None:
            return
        values: dict[str, Any] = {"epoch": epoch}
        for k, v in (logs or {}).items():
            values[f"val/{k[4:]}" if k.startswith("val_") else f"epoch/{k}"] = v
        self.run.log(values, step=max(0, self._step - 1))

    def on_train_end(self, logs: Any = None) -> None:
        if self.run is not None and self._own:
            self.run.finish()
        self.run, self._own = None, False
