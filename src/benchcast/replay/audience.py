"""The audience, as folded from the log: what a late joiner's chat, questions, comments and
polls panels draw first.

Keyframe state gains ``audience`` once the audience has written::

    {"audience": {
        "chat": [{"id", "seq", "t", "user", "name", "role", "text", "reply_to", "mentions"}, …],
        "pinned": ID | null,
        "questions": [{"id", "seq", "t", "user", "name", "role", "text", "anchor"?,
                       "votes", "answered": {"seq", "t"} | null}, …],
        "comments": [{"id", "seq", "t", "user", "name", "role", "kind", "text", "anchor",
                      "status", "status_seq", "status_t"}, …],
        "polls": [{"id", "seq", "t", "question", "options", "counts", "closed"}, …]}}

each list oldest first. ``chat`` keeps the newest ``MAX_CHAT`` messages (so a joiner sees
recent chat, in step with the archive when seeking); the others keep the newest
``MAX_ITEMS``. A deleted item (``chat.delete``) leaves every list; one already hidden when
it is read is served as a ``hidden`` event, which no fold knows, and never enters.
"""

from __future__ import annotations

import json
from typing import Any

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part

MAX_CHAT = 200
MAX_ITEMS = 500
MAX_POLLS = 20
_SAID = ("id", "user", "name", "role", "text")


class Audience:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = json.loads(json.dumps(state)) if state else {}
        self.chat: list[dict[str, Any]] = state.get("chat", [])
        self.pinned: str | None = state.get("pinned")
        self.questions = {q["id"]: q for q in state.get("questions", [])}
        self.comments = {c["id"]: c for c in state.get("comments", [])}
        self.polls = {p["id"]: p for p in state.get("polls", [])}

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            json.dumps(
                {
                    "chat": self.chat,
                    "pinned": self.pinned,
                    "questions": list(self.questions.values()),
                    "comments": list(self.comments.values()),
                    "polls": list(self.polls.values()),
                }
            )
        )
        return out

    def hide(self, item_id: str) -> None:
        self.chat = [m for m in self.chat if m["id"] != item_id]
        self.questions.pop(item_id, None)
        self.comments.pop(item_id, None)
        if self.pinned == item_id:
            self.pinned = None


def _trim(items: dict[str, dict[str, Any]], n: int) -> None:
    while len(items) > n:
        del items[next(iter(items))]


def _said(ev: Event) -> dict[str, Any]:
    d = ev.data
    out = {"seq": ev.seq, "t": ev.t, **{k: d.get(k) for k in _SAID}}
    if d.get("anchor") is not None:
        out["anchor"] = d["anchor"]
    return out


def _watch(f: StreamFold, ev: Event) -> None:
    kind, d = ev.kind, ev.data
    if not kind.startswith(("chat.", "question", "comment", "poll.")):
        return
    a = f.part("audience")
    assert isinstance(a, Audience)
    if kind == "chat.message":
        a.chat.append(
            {**_said(ev), "reply_to": d.get("reply_to"), "mentions": d.get("mentions", [])}
        )
        del a.chat[:-MAX_CHAT]
    elif kind == "chat.delete":
        a.hide(d["id"])
    elif kind == "chat.pin":
        if d.get("pinned", True):
            a.pinned = d["id"]
        elif a.pinned == d["id"]:
            a.pinned = None
    elif kind == "question":
        a.questions[d["id"]] = {**_said(ev), "votes": 0, "answered": None}
        _trim(a.questions, MAX_ITEMS)
    elif kind == "question.vote":
        q = a.questions.get(d["question"])
        if q is not None:
            q["votes"] = max(0, q["votes"] + (1 if d.get("up", True) else -1))
    elif kind == "question.answered":
        q = a.questions.get(d["question"])
        if q is not None:
            q["answered"] = {"seq": ev.seq, "t": ev.t}
    elif kind == "comment":
        a.comments[d["id"]] = {
            **_said(ev),
            "kind": d.get("kind"),
            "status": "open",
            "status_seq": None,
            "status_t": None,
        }
        _trim(a.comments, MAX_ITEMS)
    elif kind == "comment.status":
        c = a.comments.get(d["comment"])
        if c is not None:
            c.update(status=d["status"], status_seq=ev.seq, status_t=ev.t)
    elif kind == "poll.open":
        a.polls[d["id"]] = {
            "id": d["id"],
            "seq": ev.seq,
            "t": ev.t,
            "question": d["question"],
            "options": d["options"],
            "counts": [0] * len(d["options"]),
            "closed": False,
        }
        _trim(a.polls, MAX_POLLS)
    elif kind == "poll.vote":
        p = a.polls.get(d["poll"])
        if p is not None and 0 <= d["option"] < len(p["counts"]):
            p["counts"][d["option"]] += 1
    elif kind == "poll.close":
        p = a.polls.get(d["poll"])
        if p is not None:
            p["closed"] = True


register_part("audience", Audience)
register_every(_watch)
