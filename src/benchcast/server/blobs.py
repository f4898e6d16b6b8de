"""Blobs on the server: received from publishers in chunks, stored by hash, served forever.

On the publisher websocket (docs/protocol.md), beside events:

    → {"type": "blob", "hash": H, "mime": M, "size": N, "offset": O, "data": BASE64}
    ← {"type": "blob.ack", "hash": H}                       (stored; sent after the last chunk)
    ← {"type": "blob.reject", "hash": H, "message": "…"}    (refused; resending is pointless)

Chunks of one blob arrive in order, from offset 0; a connection assembles one blob at a time
(a new hash discards an unfinished one), so a connection holds at most ``MAX_BLOB_BYTES``.
The bytes must hash to H. Storing is idempotent: a blob already stored is acknowledged again.

``GET /blobs/{hash}`` serves a blob with its type and a cache lifetime of a year: a hash
names its bytes for good. Images cannot be scanned for secrets (docs/security.md). A blob
that only private streams refer to is served only to who may see one of them (and never
kept by a shared cache); one no stream refers to yet is served to anyone who knows its hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from benchcast.events import BLOB_MIMES, MAX_BLOB_BYTES
from benchcast.server.audience.visibility import blob_access
from benchcast.server.state import ServerState

_HASH = re.compile(r"^[0-9a-f]{64}$")
_SCOPE_KEY = "benchcast.blob"
CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_PRIVATE = "private, max-age=31536000, immutable"
#: A blob is shown inside the page (an <img>), never as a document of its own: an SVG opened
#: directly must not run scripts on the server's origin.
BLOB_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@dataclass
class _Partial:
    digest: str
    mime: str
    size: int
    data: bytearray = field(default_factory=bytearray)


async def _reply(ws: WebSocket, msg: dict[str, Any]) -> None:
    await ws.send_text(json.dumps(msg, separators=(",", ":")))


def _check(msg: dict[str, Any]) -> tuple[str, str, int, int, bytes]:
    digest, mime, size, offset = (
        msg.get("hash"),
        msg.get("mime"),
        msg.get("size"),
        msg.get("offset"),
    )
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise ValueError("hash must be 64 lowercase hex digits (sha256)")
    if mime not in BLOB_MIMES:
        raise ValueError(f"type must be one of {', '.join(sorted(BLOB_MIMES))}")
    for name, value in (("size", size), ("offset", offset)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be an integer ≥ 0")
    assert isinstance(size, int) and isinstance(offset, int) and isinstance(mime, str)
    if size > MAX_BLOB_BYTES:
        raise ValueError(f"a blob is at most {MAX_BLOB_BYTES} bytes")
    try:
        data = base64.b64decode(str(msg.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("data must be base64") from None
    return digest, mime, size, offset, data


async def receive(state: ServerState, ws: WebSocket, msg: dict[str, Any]) -> None:
    """Take one ``blob`` message from a publisher; answer once the blob is stored or refused."""
    digest = msg.get("hash")
    try:
        digest, mime, size, offset, data = _check(msg)
        partial: _Partial | None = ws.scope.get(_SCOPE_KEY)
        if offset == 0:
            partial = _Partial(digest, mime, size)
        elif partial is None or partial.digest != digest or offset != len(partial.data):
            raise ValueError("chunks must arrive in order, from offset 0")
        ws.scope[_SCOPE_KEY] = partial
        partial.data += data
        if len(partial.data) > size:
            raise ValueError("more bytes than the size said")
        if len(partial.data) < size:
            return
        ws.scope.pop(_SCOPE_KEY, None)
        if hashlib.sha256(partial.data).hexdigest() != digest:
            raise ValueError("the bytes do not hash to the blob's hash")
        await state.store.write(state.store.sync.put_blob, bytes(partial.data), mime)
    except ValueError as err:
        ws.scope.pop(_SCOPE_KEY, None)
        await _reply(ws, {"type": "blob.reject", "hash": digest, "message": str(err)})
        return
    await _reply(ws, {"type": "blob.ack", "hash": digest})


async def get_blob(request: Request) -> Response:
    digest = request.path_params["hash"]
    if not _HASH.match(digest):
        return JSONResponse({"error": "no such blob"}, status_code=404)
    access = await blob_access(request, digest)
    if access is None:
        return JSONResponse(
            {"error": "no such blob"}, status_code=404, headers={"Cache-Control": "no-store"}
        )
    etag = f'"{digest}"'
    headers = {
        "Cache-Control": CACHE_FOREVER if access == "public" else CACHE_PRIVATE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": BLOB_CSP,
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    state: ServerState = request.app.state.benchcast
    found = await state.store.read(state.store.sync.blob, digest)
    if found is None:
        # An unknown hash may be stored later: no cache may keep this answer.
        return JSONResponse(
            {"error": "no such blob"}, status_code=404, headers={"Cache-Control": "no-store"}
        )
    data, mime = found
    return Response(data, media_type=mime, headers=headers)


routes = [Route("/blobs/{hash}", get_blob, methods=["GET", "HEAD"])]
