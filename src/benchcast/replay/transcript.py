"""What the streamer said, as folded from ``transcript`` events: the newest segments, for
captions and the transcript panel of a viewer who joins or seeks mid-sentence.

Keyframe state gains ``transcript`` once a segment arrives, oldest first::

    {"transcript": [{"seq": 52, "t": 31.2, "start": 27.9, "end": 30.4, "text": "So the loss…"}]}

Only the newest ``MAX_SEGMENTS`` are kept here; every segment is in the log and the search
index (replay/searchdocs.py), where a hit opens the moment it was said (``start``).
"""

from __future__ import annotations

from typing import cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part
from benchcast.replay.notes import Recent

MAX_SEGMENTS = 50


def _watch(f: StreamFold, ev: Event) -> None:
    if ev.kind != "transcript":
        return
    part = cast(Recent, f.part("transcript"))
    d = ev.data
    item = {"seq": ev.seq, "t": ev.t, "start": d["start"], "end": d["end"], "text": d["text"]}
    part.add(item, MAX_SEGMENTS)


register_part("transcript", Recent)
register_every(_watch)
