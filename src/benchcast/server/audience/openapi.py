"""The OpenAPI 3.1 document of the JSON API (``GET /api/openapi.json``), made from the app's
own routes: every ``/api`` route appears, summarised by its handler's docstring, with the
body model of each action and audience endpoint. Websockets are described in
docs/protocol.md (OpenAPI has no words for them).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

from benchcast.server.audience import routes as aroutes
from benchcast.server.audience.actions import ACTIONS

_BODIES: dict[str, type[BaseModel]] = {
    "post_guest": aroutes.GuestIn,
    "post_login": aroutes.LoginIn,
    "post_settings": aroutes.SettingsIn,
    "post_invite": aroutes.InviteIn,
    "post_stream_visibility": aroutes.VisibilityIn,
}
_ERROR = {
    "description": "refused",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
        }
    },
}


def _body_model(route: Route) -> type[BaseModel] | None:
    name = getattr(route.endpoint, "__name__", "")
    if name in _BODIES:
        return _BODIES[name]
    for act in ACTIONS.values():
        if route.path == f"/api/streams/{{stream_id}}{act.path}":
            return act.body
    return None


def schema(app: Starlette) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {}
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        doc = (route.endpoint.__doc__ or "").strip()
        name = getattr(route.endpoint, "__name__", "")
        # A handler without a docstring is still named: its name, as words.
        summary = " ".join(doc.split("\n\n", 1)[0].split()) or name.replace("_", " ").strip()
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in re.findall(r"{(\w+)}", route.path)
        ]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            op: dict[str, Any] = {
                "summary": summary,
                "parameters": params,
                "responses": {"200": {"description": "ok"}, "default": _ERROR},
            }
            if method == "POST":
                op["responses"] = {"201": {"description": "done"}, "default": _ERROR}
                model = _body_model(route)
                if model is not None:
                    js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                    components.update(js.pop("$defs", {}))
                    components[model.__name__] = js
                    op["requestBody"] = {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                            }
                        },
                    }
            paths.setdefault(route.path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Benchcast",
            "version": "1",
            "description": "Streams, their events, and the audience (chat, questions, "
            "anchored comments, polls, moderation). Writes made with the session cookie send "
            "X-CSRF-Token (GET /api/session); scripts may use Authorization: Bearer STREAM_KEY "
            "as the channel's streamer. The viewer websocket (GET /ws/streams/{id}) delivers "
            "every event and accepts the same actions: docs/protocol.md.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }
