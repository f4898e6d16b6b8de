"""Running the server: in the foreground (``benchcast serve``) or on a background thread
(``benchcast live`` and ``demo``, which embed one)."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from benchcast.bus.base import default_node
from benchcast.server.app import create_app
from benchcast.server.logs import log_config
from benchcast.server.wsraw import ViewerProtocol

#: Largest websocket message the server reads (a publisher batch); bigger ones are refused.
WS_MAX_SIZE = 4 * 1024 * 1024
#: How often (seconds) a thread waiting for the GIL may take it from the event loop's.
SWITCH_INTERVAL = 0.0005
#: Seconds a shutting-down process waits for its viewers and publishers to leave.
DRAIN_SECONDS = 5.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class _Server(uvicorn.Server):
    """uvicorn, with a graceful shutdown that tells viewers and publishers where they stand.

    On SIGTERM (or SIGINT) it stops accepting first, so a load balancer's next attempt goes
    elsewhere; then tells every viewer and publisher to reconnect, and waits for them to go;
    only then does uvicorn close whatever is left.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = getattr(getattr(self.config.app, "state", None), "benchcast", None)
        if state is not None and not self.force_exit:
            await state.drain(DRAIN_SECONDS)
        await super().shutdown(sockets)


def _config(
    db_url: str,
    log_level: str,
    bus_url: str = "memory://",
    log_format: str = "text",
    embedded: bool = False,
    **opts: Any,
) -> uvicorn.Config:
    node = default_node()
    return uvicorn.Config(
        create_app(db_url, bus_url, node=node, **opts),
        log_level=log_level,
        # An embedded server logs as uvicorn does by default, under the host program's output.
        log_config=LOGGING_CONFIG if embedded else log_config(log_level, log_format, node),
        # uvicorn's websockets protocol that also hands the hub each viewer's socket, so a live
        # frame is serialized once and written to every viewer in one pass (server/wsraw.py).
        ws=ViewerProtocol,
        ws_max_size=WS_MAX_SIZE,
        # Off: deflate compresses every frame once per viewer (a zlib context each), a third
        # of the server's CPU at 1,000 viewers, to save bytes a text stream barely has.
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        backlog=2048,
        timeout_graceful_shutdown=3,
        lifespan="on",
    )


def serve(
    sock: socket.socket,
    db_url: str,
    log_level: str = "info",
    bus_url: str = "memory://",
    log_format: str = "text",
) -> None:
    """Serve until interrupted, then drain (see ``_Server``)."""
    # The loop thread holds the GIL through a pass that writes a frame to thousands of
    # viewers; the store's threads need it back after each database round trip. At the
    # default 5 ms an append of a few round trips waits tens of ms for it under load.
    sys.setswitchinterval(SWITCH_INTERVAL)
    server = _Server(_config(db_url, log_level, bus_url, log_format))
    server.run(sockets=[sock])


class BackgroundServer:
    """A server on a daemon thread, for commands that embed one."""

    def __init__(
        self,
        db_url: str,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        **opts: Any,
    ) -> None:
        self.sock = bind(host, port)
        self.url = url_of(self.sock)
        self.server = uvicorn.Server(_config(db_url, log_level, embedded=True, **opts))
        self._thread = threading.Thread(target=self._run, name="benchcast-server", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        for _ in range(int(timeout / 0.02)):
            if self.server.started:
                return
            threading.Event().wait(0.02)
        raise RuntimeError("the embedded server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
