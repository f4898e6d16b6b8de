"""The streamer's inbox: what the audience asked for, newest stream first.

``GET /api/channels/{name}/inbox`` (the channel's staff, or its stream key) answers::

    {"channel": NAME, "stream": summary | null,
     "bugs":      [item, …]   comments of kind bug not yet fixed or won't-fixed, newest first
     "comments":  [item, …]   every other open comment (ideas, questions on an anchor)
     "questions": [item, …]   unanswered questions, most votes first
     "answered":  [item, …]   answered questions, newest first
     "mentions":  [item, …]   chat messages that mention the streamer or a moderator
     "chat":      [item, …]   the newest chat messages (for moderation)
     "polls":     [item + "counts": [n, …]]
     "sanctions": [{user, name, kind, until, by, reason, at}], "staff": [{user, name, role}]}

An item is ``{id, stream, seq, t, type, data, status, status_seq, status_t, votes,
mentions_staff, html}``: ``data`` is the event's payload as stored, ``html`` its text
rendered by ``markdown.render`` (safe to insert as HTML; overlays may use it as it is).
"""

from __future__ import annotations

from typing import Any

from benchcast.server.audience.core import Audience
from benchcast.server.audience.markdown import render
from benchcast.store.audience import Item
from benchcast.store.database import Channel, Stream

CHAT_ITEMS = 100


def _out(item: Item) -> dict[str, Any]:
    out = item.public()
    text = item.data.get("text") or item.data.get("question") or ""
    out["html"] = render(str(text))
    return out


def inbox(aud: Audience, channel: Channel, stream: Stream | None) -> dict[str, Any]:
    """Synchronous: run it on a store reader thread."""
    db = aud.db
    out: dict[str, Any] = {
        "channel": channel.name,
        "stream": None if stream is None else stream.summary(),
        "bugs": [],
        "comments": [],
        "questions": [],
        "answered": [],
        "mentions": [],
        "chat": [],
        "polls": [],
    }
    if stream is not None:
        sid = [stream.id]
        comments = db.items(sid, ["comment"], limit=500, statuses=["open", "acknowledged"])
        out["bugs"] = [_out(c) for c in comments if c.data.get("kind") == "bug"]
        out["comments"] = [_out(c) for c in comments if c.data.get("kind") != "bug"]
        questions = db.items(sid, ["question"], limit=500)
        open_q = sorted(
            (q for q in questions if q.status != "answered"), key=lambda q: (-q.votes, q.seq)
        )
        out["questions"] = [_out(q) for q in open_q]
        out["answered"] = [_out(q) for q in questions if q.status == "answered"]
        out["mentions"] = [_out(m) for m in db.items(sid, ["chat"], limit=100, mentions_only=True)]
        out["chat"] = [_out(m) for m in db.items(sid, ["chat"], limit=CHAT_ITEMS)]
        polls = db.items(sid, ["poll"], limit=20)
        tally = db.tally([p.id for p in polls])
        for p in polls:
            item = _out(p)
            counts = tally.get(p.id, {})
            item["counts"] = [counts.get(i, 0) for i in range(len(p.data.get("options", [])))]
            out["polls"].append(item)
    sanctions = db.sanction_list(channel.id)
    names = db.names([s["user"] for s in sanctions])
    out["sanctions"] = [{**s, "name": names.get(s["user"], "")} for s in sanctions]
    out["staff"] = db.staff(channel.id)
    return out
