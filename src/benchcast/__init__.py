"""Benchcast: live-stream the practice of science.

The package itself is the SDK, shaped like wandb's so that ``import benchcast as wandb``
runs code written for it (``benchcast/sdk.py``). ``%load_ext benchcast`` in IPython or
Jupyter streams every cell (``benchcast/integrations/ipython.py``).
"""

from __future__ import annotations

from typing import Any

from benchcast.sdk import (
    Config,
    Histogram,
    Image,
    Run,
    Summary,
    Table,
    alert,
    config,
    define_metric,
    finish,
    init,
    log,
    login,
    save,
    summary,
    watch,
)

__all__ = [
    "Config",
    "Histogram",
    "Image",
    "Run",
    "Summary",
    "Table",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "load_ipython_extension",
    "log",
    "login",
    "run",
    "save",
    "summary",
    "unload_ipython_extension",
    "watch",
]


def __getattr__(name: str) -> Any:
    # ``benchcast.run``: the current run or None, looked up each time (as ``wandb.run``).
    if name == "run":
        from benchcast import sdk

        return sdk._current
    raise AttributeError(f"module 'benchcast' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext benchcast``: stream every cell this IPython runs."""
    import benchcast.integrations.ipython as extension

    extension.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    import benchcast.integrations.ipython as extension

    extension.unload(ipython)
