"""What the audience asked and reported that is still open: questions not yet answered and
bug reports not yet fixed, for the catch-up panel of a viewer who joins late.

Keyframe state gains ``open`` once there is one, each list oldest first::

    {"open": {"questions": [{"id": "q1", "seq": 80, "t": 600.2, "text": "…", "name": "bo",
                             "votes": 3, "anchor": {…} | null}, ...],
              "bugs": [{"id": "c7", "seq": 95, "t": 640.0, "text": "…", "name": "cy",
                        "status": "open" | "acknowledged", "anchor": {…}}, ...]}}

A question leaves when it is answered (``question.answered``) or hidden (``chat.delete``); a
bug report when its status becomes ``fixed`` or ``wontfix``, or it is hidden. Comments of kind
``question`` count as questions. At most ``MAX_OPEN`` of each are kept, the newest.
"""

from __future__ import annotations

import json
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part

MAX_OPEN = 100
_KINDS = frozenset(
    {"question", "question.vote", "question.answered", "comment", "comment.status", "chat.delete"}
)


class OpenItems:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = json.loads(json.dumps(state)) if state else {}
        self.questions: dict[str, dict[str, Any]] = {q["id"]: q for q in state.get("questions", [])}
        self.bugs: dict[str, dict[str, Any]] = {b["id"]: b for b in state.get("bugs", [])}

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            json.dumps(
                {"questions": list(self.questions.values()), "bugs": list(self.bugs.values())}
            )
        )
        return out


def _said(ev: Event) -> dict[str, Any]:
    d = ev.data
    return {
        "id": d["id"],
        "seq": ev.seq,
        "t": ev.t,
        "text": d["text"],
        "name": d.get("name", ""),
        "anchor": d.get("anchor"),
    }


def _bounded(items: dict[str, dict[str, Any]]) -> None:
    while len(items) > MAX_OPEN:
        del items[next(iter(items))]


def _watch(f: StreamFold, ev: Event) -> None:
    kind = ev.kind
    if kind not in _KINDS:
        return
    items = cast(OpenItems, f.part("open"))
    d = ev.data
    if kind == "question" or (kind == "comment" and d.get("kind") == "question"):
        items.questions[d["id"]] = {**_said(ev), "votes": 0}
        _bounded(items.questions)
    elif kind == "comment" and d.get("kind") == "bug":
        items.bugs[d["id"]] = {**_said(ev), "status": "open"}
        _bounded(items.bugs)
    elif kind == "question.vote":
        q = items.questions.get(d["question"])
        if q is not None:
            q["votes"] += 1 if d.get("up", True) else -1
    elif kind == "question.answered":
        items.questions.pop(d["question"], None)
    elif kind == "comment.status":
        bug = items.bugs.get(d["comment"])
        if d["status"] in ("fixed", "wontfix"):
            items.bugs.pop(d["comment"], None)
            items.questions.pop(d["comment"], None)
        elif bug is not None:
            bug["status"] = d["status"]
    elif kind == "chat.delete":
        items.questions.pop(d["id"], None)
        items.bugs.pop(d["id"], None)


register_part("open", OpenItems)
register_every(_watch)
