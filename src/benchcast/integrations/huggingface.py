"""Hugging Face ``transformers``: a ``TrainerCallback`` that streams a ``Trainer``'s logs.

    from benchcast.integrations.huggingface import BenchcastCallback
    trainer = Trainer(..., args=TrainingArguments(..., report_to="none"),
                      callbacks=[BenchcastCallback(project="glue")])

Every ``logs`` dict the Trainer emits is logged at ``state.global_step`` — training values
under ``train/``, evaluation under ``eval/``, prediction under ``test/`` — so a step's training
and evaluation values share one row. The run starts with the training arguments and the
model's config as its config (unless a run is already active), and finishes with training.
Only the main process logs.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

import benchcast


def _section(key: str) -> str:
    for prefix in ("eval", "test"):
        if key.startswith(prefix + "_"):
            return f"{prefix}/{key[len(prefix) + 1 :]}"
    return key if "/" in key else f"train/{key}"


class BenchcastCallback(TrainerCallback):  # type: ignore[misc]
    def __init__(self, project: str | None = None, name: str | None = None, **init: Any) -> None:
        self.init_kwargs = {"project": project, "name": name, **init}
        self.run: benchcast.Run | None = None
        self._own = False

    def _config(self, args: Any, model: Any) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if hasattr(args, "to_sanitized_dict"):
            config.update(args.to_sanitized_dict())
        model_config = getattr(model, "config", None)
        if model_config is not None and hasattr(model_config, "to_dict"):
            config["model"] = model_config.to_dict()
        return config

    def on_train_begin(
        self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero:
            return
        self.run = benchcast.sdk._current
        if self.run is None:
            config = {**self._config(args, model), **(self.init_kwargs.pop("config", None) or {})}
            self.run = benchcast.init(config=config, **self.init_kwargs)
            self._own = True

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        if self.run is None or not state.is_world_process_zero or not logs:
            return
        self.run.log({_section(k): v for k, v in logs.items()}, step=state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.run is not None and self._own:
            self.run.finish()
        self.run, self._own = None, False
