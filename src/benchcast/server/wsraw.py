"""Writing one serialized websocket frame to many viewers' sockets.

A live frame goes to every viewer of a stream unchanged, so the hub serializes it once — the
websocket frame header and the UTF-8 payload, ``text_frame`` — and writes those same bytes to
each viewer's transport in turn, without a task, a queue or an ASGI ``send`` per viewer.

That needs the connection's transport, which ASGI does not expose: ``ViewerProtocol`` is
uvicorn's websockets protocol that also puts a ``RawSocket`` in the scope's extensions
(``benchcast.raw_socket``), and only when no extension was negotiated (permessage-deflate
would change the bytes per connection; the server turns it off). Anything else — another
server, another protocol class — gets no ``RawSocket``, and the hub sends through ASGI.
"""

from __future__ import annotations

import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

#: The scope extension that carries a connection's ``RawSocket``.
EXTENSION = "benchcast.raw_socket"

_FIN_TEXT = 0x81


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked websocket text frame (RFC 6455 §5.2), as a server sends."""
    n = len(payload)
    if n < 126:
        head = bytes((_FIN_TEXT, n))
    elif n < 65536:
        head = struct.pack("!BBH", _FIN_TEXT, 126, n)
    else:
        head = struct.pack("!BBQ", _FIN_TEXT, 127, n)
    return head + payload


class RawSocket:
    """A viewer connection's transport, for frames already serialized by ``text_frame``.

    Writes never block: what the kernel does not take at once waits in the transport's
    buffer, and ``buffered`` says how much does — the caller decides when a viewer is too far
    behind. Whole frames only, so they never interleave with what the connection's own
    ``send`` writes (also whole frames, on the same event loop).
    """

    __slots__ = ("_proto", "transport")

    def __init__(self, proto: WebSocketsSansIOProtocol) -> None:
        self._proto = proto
        self.transport = proto.transport

    @property
    def open(self) -> bool:
        """Whether data frames may still be written: no close frame sent, and the transport
        not closing (a close received, a keepalive timeout, the peer gone all close it).
        The handshake is done: the app has sent its first message before it asks."""
        return not self._proto.close_sent and not self.transport.is_closing()

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return self.transport.get_write_buffer_size()

    def write(self, frame: bytes) -> None:
        self.transport.write(frame)


class ViewerProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, handing the app a ``RawSocket`` for the connection."""

    async def run_asgi(self) -> None:
        # The handshake was negotiated in handle_connect: extensions are known by now.
        if not self.conn.extensions:
            extensions: dict[str, Any] = self.scope.setdefault("extensions", {}) or {}
            extensions[EXTENSION] = RawSocket(self)
            self.scope["extensions"] = extensions
        await super().run_asgi()


def raw_socket(scope: Any) -> RawSocket | None:
    """The connection's ``RawSocket``, when the server that runs the app made one."""
    extensions = scope.get("extensions") or {}
    raw = extensions.get(EXTENSION)
    return raw if isinstance(raw, RawSocket) else None
