"""The page's live feed (web/static/js/feed.js) against a server that says "reconnect".

A server process shutting down sends ``{"type": "reconnect", "after_ms": N}`` and closes
with 1012. The feed must wait about that long (never less than half of it, to spread the
returning viewers over the window) before it connects again, and then resume from its last
seq. A small websocket server in the test plays the shutting-down process, so the timing is
the feed's alone.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from .conftest import BrowserServer

pytestmark = pytest.mark.timeout(60)

AFTER_MS = 3000


class ShuttingDownServer:
    """Says hello, sends one event and a reconnect hint, closes 1012; records each connect."""

    def __init__(self) -> None:
        self.connects: list[tuple[float, str]] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(10)

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        first = not self.connects
        self.connects.append((time.monotonic(), path))
        await ws.send(json.dumps({"type": "hello", "viewers": 1}))
        if first:
            ev = {"seq": 1, "t": 0.0, "kind": "note", "source": "notes", "data": {"text": "x"}}
            await ws.send(json.dumps({"type": "events", "events": [ev]}))
            await ws.send(json.dumps({"type": "reconnect", "reason": "test", "after_ms": AFTER_MS}))
            await ws.close(1012, "shutting down")
        else:
            await ws.wait_closed()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = self._loop.create_future()
            async with serve(self._handle, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]
                self._ready.set()
                await self._stop

        try:
            self._loop.run_until_complete(main())
        finally:
            self._loop.close()


@pytest.fixture
def ws_server() -> Iterator[ShuttingDownServer]:
    server = ShuttingDownServer()
    server.start()
    yield server
    server.close()


def test_feed_waits_for_the_servers_reconnect_hint_then_resumes(
    bserver: BrowserServer, ws_server: ShuttingDownServer, page: Any
) -> None:
    # Any page of the server will do: it serves the module the feed lives in.
    page.goto(bserver.url + "/")
    page.evaluate(
        """async (port) => {
            const { LiveFeed } = await import("/static/js/feed.js");
            class TestFeed extends LiveFeed {
                _url() {
                    const since = this.lastSeq > 0 ? `?since=${this.lastSeq}` : "";
                    return `ws://127.0.0.1:${port}/ws/streams/s${since}`;
                }
            }
            window.opened = 0;
            window.feed = new TestFeed("s", { hello: () => { window.opened += 1; } });
            window.feed.start();
        }""",
        ws_server.port,
    )
    page.wait_for_function("() => window.opened >= 2", timeout=20_000)
    page.evaluate("() => window.feed.stop()")
    (t1, first), (t2, second) = ws_server.connects[:2]
    assert first == "/ws/streams/s"
    assert second == "/ws/streams/s?since=1"  # resumes after the event it had
    # Without the hint the first retry comes within 0.6 s; with it, no sooner than half of it.
    assert t2 - t1 >= AFTER_MS / 2000
