"""The ASGI application: pages, the JSON API, and the publisher and viewer websockets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from benchcast.server import api, pages
from benchcast.server.ingest import publisher_endpoint
from benchcast.server.state import ServerState
from benchcast.server.watch import viewer_endpoint
from benchcast.store.async_store import AsyncStore
from benchcast.store.database import Store


def create_app(db_url: str, **keyframer_opts: Any) -> Starlette:
    """Build the app for the store at ``db_url``; the store opens when the app starts."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = AsyncStore(Store(db_url))
        state = ServerState.create(store, **keyframer_opts)
        app.state.benchcast = state
        state.keyframer.start()
        state.hub.start()
        try:
            yield
        finally:
            await state.hub.stop()
            state.keyframer.stop()
            store.close()
            store.sync.close()

    routes = [
        *pages.routes,
        *api.routes,
        WebSocketRoute("/ws/publish", publisher_endpoint),
        WebSocketRoute("/ws/streams/{stream_id}", viewer_endpoint),
        Mount("/static", StaticFiles(directory=pages.WEB / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
