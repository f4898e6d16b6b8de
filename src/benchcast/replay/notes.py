"""Narration notes, as folded from ``note`` events: the newest few, for the notes panel and
the catch-up panel of a viewer who joins late.

Keyframe state gains ``notes`` once a note arrives, oldest first::

    {"notes": [{"seq": 40, "t": 310.5, "text": "The loss plateaus at **0.31**."}, ...]}

Only the newest ``MAX_NOTES`` are kept here; every note is in the log (and the search index).
"""

from __future__ import annotations

import json
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part

MAX_NOTES = 50


class Recent:
    """A fold part that keeps the newest few items of one kind (JSON objects), oldest first;
    its snapshot is a deep copy, so a keyframe never shares state with the live fold."""

    def __init__(self, state: list[dict[str, Any]] | None = None) -> None:
        self.items: list[dict[str, Any]] = json.loads(json.dumps(state)) if state else []

    def add(self, item: dict[str, Any], keep: int) -> None:
        self.items.append(item)
        del self.items[:-keep]

    def snapshot(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = json.loads(json.dumps(self.items))
        return out


def _watch(f: StreamFold, ev: Event) -> None:
    if ev.kind != "note":
        return
    notes = cast(Recent, f.part("notes"))
    notes.add({"seq": ev.seq, "t": ev.t, "text": ev.data["text"]}, MAX_NOTES)


register_part("notes", Recent)
register_every(_watch)
