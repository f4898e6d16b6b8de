"""The audience's part of the fold: recent chat, questions with votes and their answer,
comments with their status, polls; deletions leave every list, and a keyframe restores it."""

from __future__ import annotations

from typing import Any

from benchcast.events import Event
from benchcast.replay.audience import MAX_CHAT
from benchcast.replay.fold import StreamFold


def _ev(seq: int, kind: str, data: dict[str, Any]) -> Event:
    return Event(seq=seq, t=float(seq), kind=kind, source="chat", data=data)


def _said(i: str, **kw: Any) -> dict[str, Any]:
    return {"id": i, "user": "g:1", "name": "bo", "role": "guest", "text": f"text {i}", **kw}


def test_the_fold_keeps_what_a_late_joiner_needs() -> None:
    events = [
        _ev(1, "chat.message", _said("m1", reply_to=None, mentions=[])),
        _ev(2, "chat.message", _said("m2", reply_to="m1", mentions=["ada"])),
        _ev(3, "chat.pin", {"id": "m2", "by": "u:1", "pinned": True}),
        _ev(4, "question", _said("q1")),
        _ev(5, "question.vote", {"question": "q1", "user": "g:2", "up": True}),
        _ev(6, "question.vote", {"question": "q1", "user": "g:3", "up": True}),
        _ev(7, "question.answered", {"question": "q1", "by": "u:1"}),
        _ev(8, "comment", _said("c1", kind="bug", anchor={"file": "a.py", "line": 3})),
        _ev(9, "comment.status", {"comment": "c1", "status": "fixed", "by": "u:1"}),
        _ev(10, "poll.open", {"id": "p1", "question": "?", "options": ["a", "b"], "by": "u:1"}),
        _ev(11, "poll.vote", {"poll": "p1", "user": "g:2", "option": 1}),
        _ev(12, "chat.delete", {"id": "m2", "by": "u:1", "reason": ""}),
        _ev(13, "hidden", {"id": "m3", "kind": "chat.message"}),
    ]
    fold = StreamFold().apply_all(events)
    a = fold.snapshot()["audience"]
    assert [m["id"] for m in a["chat"]] == ["m1"]
    assert a["pinned"] is None  # the pinned message was deleted
    (q,) = a["questions"]
    assert q["votes"] == 2 and q["answered"] == {"seq": 7, "t": 7.0}
    (c,) = a["comments"]
    assert (c["status"], c["status_seq"], c["anchor"]) == ("fixed", 9, {"file": "a.py", "line": 3})
    assert a["polls"][0]["counts"] == [0, 1]
    again = StreamFold.restore(fold.snapshot())
    assert again.snapshot()["audience"] == a


def test_chat_history_is_bounded() -> None:
    fold = StreamFold().apply_all(
        _ev(i, "chat.message", _said(f"m{i}", reply_to=None, mentions=[]))
        for i in range(1, MAX_CHAT + 51)
    )
    chat = fold.snapshot()["audience"]["chat"]
    assert len(chat) == MAX_CHAT and chat[0]["id"] == "m51"
