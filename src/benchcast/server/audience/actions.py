"""The audience's actions, declared once: each has a name, an HTTP path under
``/api/streams/{stream_id}``, a body model, who may do it, and one handler. That one table
makes the HTTP routes (``routes.py``), what the viewer websocket accepts (``watch.py``: a
``{"type": "act", "action": NAME, "item": ID, "body": {…}}`` message), and the OpenAPI schema
(``openapi.py``). chat.py and moderation.py declare the actions themselves.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from benchcast.events import EventError
from benchcast.server.audience.core import Audience, Refused
from benchcast.server.audience.sessions import Who
from benchcast.server.audience.text import TextError
from benchcast.server.audience.visibility import can_view
from benchcast.store.database import Stream

#: Largest body of an audience request (a 1 MB message is refused before it is parsed).
MAX_BODY = 16 * 1024


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Ctx:
    aud: Audience
    who: Who
    stream: Stream
    item: str | None  # the {item} of the path, for actions on one item


Handler = Callable[[Ctx, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Action:
    name: str
    path: str  # below /api/streams/{stream_id}; "{item}" names an item id
    body: type[Body]
    run: Handler
    summary: str
    #: writer: anyone with a guest name or an account; staff: the channel's streamer and
    #: moderators; streamer: the streamer only (admins count as the streamer everywhere).
    allowed: Literal["writer", "staff", "streamer"] = "writer"


ACTIONS: dict[str, Action] = {}


def action(
    name: str,
    path: str,
    body: type[Body],
    summary: str,
    allowed: Literal["writer", "staff", "streamer"] = "writer",
) -> Callable[[Handler], Handler]:
    def register(run: Handler) -> Handler:
        ACTIONS[name] = Action(name, path, body, run, summary, allowed)
        return run

    return register


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def parse_body(raw: bytes | str) -> Any:
    if len(raw) > MAX_BODY:
        raise Refused(413, f"at most {MAX_BODY} bytes")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise Refused(400, "the body must be JSON") from None


async def perform(
    aud: Audience, who: Who, stream: Stream, name: str, item: str | None, body: Any
) -> dict[str, Any]:
    """Run action ``name`` as ``who`` on ``stream`` (which ``who`` may see); return its
    answer or raise Refused."""
    act = ACTIONS.get(name)
    if act is None:
        raise Refused(404, f"no action {name!r}; known: {', '.join(sorted(ACTIONS))}")
    if not await can_view(aud, who, stream):
        raise Refused(404, f"no stream {stream.id!r}")
    if who.kind == "anonymous":
        raise Refused(401, "pick a name or log in to write")
    if act.allowed == "staff" and not who.staff_of(stream.channel_id):
        raise Refused(403, "only the streamer and moderators may do that")
    if act.allowed == "streamer" and not who.streamer_of(stream.channel_id):
        raise Refused(403, "only the streamer may do that")
    if "{item}" in act.path and (not isinstance(item, str) or not 0 < len(item) <= 64):
        raise Refused(400, "which item? (item: its id)")
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    try:
        parsed = act.body.model_validate(body)
        return await act.run(Ctx(aud, who, stream, item), parsed)
    except ValidationError as err:
        raise Refused(400, _describe(err)) from None
    except (TextError, EventError) as err:
        raise Refused(400, str(err)) from None
