"""PyTorch Lightning: a ``Logger`` that streams a ``Trainer``'s metrics and hyperparameters.

    from benchcast.integrations.lightning import BenchcastLogger
    trainer = Trainer(logger=BenchcastLogger(project="mnist"), ...)

``log_metrics`` logs at the step Lightning gives (its global step), so everything logged at
one step is one row; ``log_hyperparams`` goes into the run's config. The run starts on first
use (unless a run is already active) and finishes with ``finalize`` — failed if training did.
Works with ``lightning`` (``lightning.pytorch``) and ``pytorch_lightning``.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
from typing import Any

import benchcast

try:
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment
    from pytorch_lightning.utilities import rank_zero_only


class BenchcastLogger(Logger):  # type: ignore[misc]
    def __init__(self, project: str | None = None, name: str | None = None, **init: Any) -> None:
        super().__init__()
        self.init_kwargs = {"project": project, "name": name, **init}
        self._run: benchcast.Run | None = None
        self._own = False

    @property
    def name(self) -> str:
        return str(self.init_kwargs.get("project") or "benchcast")

    @property
    def version(self) -> str:
        return self._run.id if self._run is not None else ""

    @property
    @rank_zero_experiment  # type: ignore[untyped-decorator]
    def experiment(self) -> benchcast.Run:
        """The run (started on first use)."""
        if self._run is None:
            self._run = benchcast.sdk._current
            if self._run is None:
                self._run = benchcast.init(**self.init_kwargs)
                self._own = True
        return self._run

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(params, Namespace):
            params = vars(params)
        if isinstance(params, Mapping):
            self.experiment.config.update(dict(params))

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        self.experiment.log(dict(metrics), step=step)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        if self._run is not None and self._own:
            self._run.finish(exit_code=0 if status == "success" else 1)
        self._run, self._own = None, False
