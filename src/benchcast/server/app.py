"""The ASGI application: pages, the JSON API, and the publisher and viewer websockets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from benchcast.bus import bus_from_url
from benchcast.server import api, archive, blobs, media, overlay, pages, wants
from benchcast.server import papers as paper_routes
from benchcast.server.audience import routes as audience_routes
from benchcast.server.audience import studio
from benchcast.server.audience.core import Audience
from benchcast.server.ingest import publisher_endpoint
from benchcast.server.state import ServerState
from benchcast.server.watch import viewer_endpoint
from benchcast.store.async_store import AsyncStore
from benchcast.store.database import Store


def create_app(
    db_url: str, bus_url: str = "memory://", node: str | None = None, **keyframer_opts: Any
) -> Starlette:
    """Build the app for the store at ``db_url`` and the bus at ``bus_url``; both open when
    the app starts (the store's schema is brought up to date then). ``node`` names this
    process on the bus and in logs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        bus = bus_from_url(bus_url, node)
        store = AsyncStore(Store(db_url))
        state = ServerState.create(store, bus, **keyframer_opts)
        app.state.benchcast = state
        app.state.audience = Audience(state)
        await app.state.audience.start()
        await state.start()
        try:
            yield
        finally:
            await state.stop()
            store.close()
            store.sync.close()

    routes = [
        *pages.routes,
        *studio.routes,
        *audience_routes.routes,
        *api.routes,
        *archive.routes,
        *paper_routes.routes,
        *blobs.routes,
        *wants.routes,
        *media.routes,
        *overlay.routes,
        WebSocketRoute("/ws/publish", publisher_endpoint),
        WebSocketRoute("/ws/streams/{stream_id}", viewer_endpoint),
        Mount("/static", StaticFiles(directory=pages.WEB / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
