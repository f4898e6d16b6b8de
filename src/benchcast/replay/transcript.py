"""What the streamer said, as folded from ``transcript`` events: the newest segments, for
captions and the transcript panel of a viewer who joins or seeks mid-sentence.

Keyframe state gains ``transcript`` once a segment arrives, oldest first::

    {"transcript": [{"seq": 52, "t": 31.2, "start": 27.9, "end": 30.4, "text": "So the loss…"}]}

Only the newest ``MAX_SEGMENTS`` are kept here; every segment is in the log and the search
index (replay/searchdocs.py), where a hit opens the moment it was said (``start``).
"""

from __future__ import annotations

import json
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part

MAX_SEGMENTS = 50


class TranscriptPart:
    def __init__(self, state: list[dict[str, Any]] | None = None) -> None:
        self.items: list[dict[str, Any]] = json.loads(json.dumps(state)) if state else []

    def snapshot(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = json.loads(json.dumps(self.items))
        return out


def _watch(f: StreamFold, ev: Event) -> None:
    if ev.kind != "transcript":
        return
    part = cast(TranscriptPart, f.part("transcript"))
    d = ev.data
    part.items.append(
        {"seq": ev.seq, "t": ev.t, "start": d["start"], "end": d["end"], "text": d["text"]}
    )
    del part.items[:-MAX_SEGMENTS]


register_part("transcript", TranscriptPart)
register_every(_watch)
