"""The control socket: how `benchcast pause/resume/panic` (run in the streamed shell or
beside it) reach the running publisher.

Each publisher listens on a Unix socket in its data folder, readable only by the streamer,
and tells the streamed shell where through ``BENCHCAST_CONTROL``. A request is one line of
JSON (``{"command": "pause"}``); the answer is one line of JSON (``{"ok": true, …}``).
Editors may send ``{"focus": path, "line": n}`` the same way; the SDK sends its events
(``{"command": "events", …}``) and the images they refer to (``{"command": "blob", …}``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any]]
#: Room for one blob (events.MAX_BLOB_BYTES) in base64, with its JSON around it.
MAX_REQUEST = 48 * 1024 * 1024


class ControlServer:
    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self._sock.bind(str(path))
        finally:
            os.umask(old)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._serve, name="benchcast-control", daemon=True)
        self._closed = False

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    chunks: list[bytes] = []
                    size = 0
                    while size < MAX_REQUEST:
                        chunk = conn.recv(1 << 20)
                        if not chunk:
                            break
                        chunks.append(chunk)
                        size += len(chunk)
                        if b"\n" in chunk:
                            break
                    request = json.loads(b"".join(chunks).decode() or "{}")
                    if not isinstance(request, dict):
                        raise ValueError("a request is a JSON object")
                    reply = self.handler(request)
                except (ValueError, OSError) as err:
                    reply = {"ok": False, "error": str(err)}
                with contextlib.suppress(OSError):
                    conn.sendall((json.dumps(reply) + "\n").encode())


def send(path: str | Path, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Send one request to a running publisher; raises OSError if none listens there."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data.decode() or "{}")
    return reply
