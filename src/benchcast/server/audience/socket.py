"""The audience's side of the viewer websocket (server/watch.py): who the viewer is, whether
they may watch (and still may: a private stream is checked again every few seconds, so a
revoked invitation or a stream turned private cuts its viewers off), and the actions they
send over it.

    → {"type": "act", "ref": 7, "action": "chat", "body": {"text": "hi"}}
    ← {"type": "done", "ref": 7, "result": {"id": "m…", "seq": 812}}
    → {"type": "act", "ref": 8, "action": "question.vote", "item": "q…", "body": {"up": true}}
    ← {"type": "refused", "ref": 8, "status": 409, "error": "you have upvoted … already"}

``action`` is any name of ``actions.ACTIONS`` (the HTTP API's actions; ``item`` fills the
``{item}`` of its path). The identity is the one the socket opened with (its cookie, or
``Authorization: Bearer`` with a stream key). A page of another site cannot act, or watch a
private stream, through a viewer's cookie: a browser's ``Origin`` must be this server's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

from starlette.websockets import WebSocket

from benchcast.server.audience.actions import MAX_BODY, perform
from benchcast.server.audience.core import Audience, Refused
from benchcast.server.audience.sessions import Who, identify, new_session, same_origin
from benchcast.server.audience.visibility import audience, can_view
from benchcast.store.database import Stream

#: Seconds between checks that a viewer of a private stream may still watch it.
RECHECK = 5.0
#: Longest message a viewer may send (an action with its body).
MAX_MESSAGE = MAX_BODY + 1024


@dataclass
class Seat:
    """One viewer connection's identity on one stream."""

    aud: Audience
    who: Who
    stream: Stream
    checked: float = 0.0

    def recheck_in(self) -> float | None:
        """Seconds until the next visibility check (None: a stream anyone may watch)."""
        if self.stream.visibility != "private":
            return None
        return max(0.0, self.checked + RECHECK - time.monotonic())

    async def allowed(self) -> bool:
        self.checked = time.monotonic()
        fresh = await self.aud.state.store.stream(self.stream.id)
        if fresh is None:
            return False
        self.stream = fresh
        return await can_view(self.aud, self.who, fresh)

    async def act(self, msg: dict[str, Any]) -> str:
        """Run one action message; the reply to send."""
        ref = msg.get("ref")
        try:
            if len(json.dumps(msg.get("body", {}))) > MAX_BODY:
                raise Refused(413, f"at most {MAX_BODY} bytes")
            result = await perform(
                self.aud,
                self.who,
                self.stream,
                str(msg.get("action", "")),
                msg.get("item"),
                msg.get("body", {}),
            )
        except Refused as err:
            reply: dict[str, Any] = {
                "type": "refused",
                "ref": ref,
                "status": err.status,
                "error": str(err),
            }
            if err.retry_after is not None:
                reply["retry_after"] = round(err.retry_after, 1)
            return json.dumps(reply, separators=(",", ":"))
        return json.dumps({"type": "done", "ref": ref, "result": result}, separators=(",", ":"))


async def seat(ws: WebSocket, stream: Stream) -> Seat | None:
    """The viewer's seat, or None if they may not watch this stream."""
    aud = audience(ws)
    who = await identify(aud, ws)
    if not same_origin(ws):
        # Another site's page: the browser sent our cookie, but it is not the viewer's will.
        who = Who(ip=who.ip, session=new_session())
    s = Seat(aud, replace(who, dirty=False), stream, time.monotonic())
    if not await can_view(aud, who, stream):
        return None
    return s
