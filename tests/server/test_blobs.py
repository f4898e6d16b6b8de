"""Blobs on the publisher websocket: sent in chunks, checked against their hash, stored once,
then served by hash with a year's cache lifetime."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import httpx

from tests.conftest import ServerProcess
from tests.helpers import publisher


def chunks(data: bytes, mime: str, size: int = 1 << 20) -> list[dict[str, object]]:
    digest = hashlib.sha256(data).hexdigest()
    return [
        {"type": "blob", "hash": digest, "mime": mime, "size": len(data), "offset": off,
         "data": base64.b64encode(data[off : off + size]).decode()}
        for off in range(0, max(len(data), 1), size)
    ]  # fmt: skip


def test_a_blob_sent_in_chunks_is_stored_and_served_by_its_hash(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, _ = publisher(server.url, key)
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(2_500_000)
    digest = hashlib.sha256(data).hexdigest()
    for msg in chunks(data, "image/png"):
        ws.send(json.dumps(msg))
    assert json.loads(ws.recv(timeout=10)) == {"type": "blob.ack", "hash": digest}
    for msg in chunks(data, "image/png"):  # again: acknowledged, stored once
        ws.send(json.dumps(msg))
    assert json.loads(ws.recv(timeout=10)) == {"type": "blob.ack", "hash": digest}
    res = httpx.get(f"{server.url}/blobs/{digest}")
    assert res.status_code == 200 and res.content == data
    assert res.headers["content-type"] == "image/png"
    assert res.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert res.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in res.headers["content-security-policy"]
    again = httpx.get(f"{server.url}/blobs/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    ws.close()


def test_blobs_that_do_not_match_their_hash_or_type_are_refused(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, _ = publisher(server.url, key)
    (msg,) = chunks(b"<svg/>", "image/svg+xml")
    ws.send(json.dumps({**msg, "hash": "0" * 64}))
    reply = json.loads(ws.recv(timeout=10))
    assert reply["type"] == "blob.reject" and "do not hash" in reply["message"]
    ws.send(json.dumps({**msg, "mime": "text/html"}))
    assert "type must be one of" in json.loads(ws.recv(timeout=10))["message"]
    second = chunks(os.urandom(3000), "image/png", size=1000)[1]
    ws.send(json.dumps(second))
    assert "in order" in json.loads(ws.recv(timeout=10))["message"]
    ws.send(json.dumps({"type": "ping"}))  # the connection goes on
    assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
    missing = httpx.get(f"{server.url}/blobs/{'1' * 64}")
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
    assert httpx.get(f"{server.url}/blobs/not-a-hash").status_code == 404
    ws.close()
