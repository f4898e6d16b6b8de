"""Notebooks, as folded from ``nb.cell`` events: every cell as it last stood.

Keyframe state gains ``notebooks`` once a cell arrives::

    {"notebooks": {"analysis.ipynb": {
        "cells": {"CELL": {"seq": SEQ, "t": T, <the nb.cell payload>}, ...},
        "order": ["CELL", ...]}}}

``order`` lists cells by when they last ran, oldest first. A notebook keeps its newest
``MAX_CELLS`` cells; images in outputs are blob hashes (``/blobs/{hash}``).
"""

from __future__ import annotations

import json
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register, register_part

MAX_CELLS = 200


class Notebooks:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.notebooks: dict[str, dict[str, Any]] = json.loads(json.dumps(state or {}))

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(json.dumps(self.notebooks))
        return out


def _on_cell(f: StreamFold, ev: Event) -> None:
    state = cast(Notebooks, f.part("notebooks"))
    nb = state.notebooks.setdefault(ev.data["notebook"], {"cells": {}, "order": []})
    cell = ev.data["cell"]
    if cell in nb["cells"]:
        nb["order"].remove(cell)
    nb["order"].append(cell)
    nb["cells"][cell] = {"seq": ev.seq, "t": ev.t, **ev.data}
    while len(nb["order"]) > MAX_CELLS:
        nb["cells"].pop(nb["order"].pop(0), None)


register_part("notebooks", Notebooks)
register("nb.cell", _on_cell)
