"""Running the server: in the foreground (``benchcast serve``) or on a background thread
(``benchcast live`` and ``demo``, which embed one)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn

from benchcast.server.app import create_app

#: Largest websocket message the server reads (a publisher batch); bigger ones are refused.
WS_MAX_SIZE = 4 * 1024 * 1024


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


def _config(db_url: str, log_level: str, **opts: Any) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(db_url, **opts),
        log_level=log_level,
        ws_max_size=WS_MAX_SIZE,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        backlog=2048,
        timeout_graceful_shutdown=3,
        lifespan="on",
    )


def serve(sock: socket.socket, db_url: str, log_level: str = "info") -> None:
    """Serve until interrupted."""
    server = uvicorn.Server(_config(db_url, log_level))
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
        self.server = uvicorn.Server(_config(db_url, log_level, **opts))
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
