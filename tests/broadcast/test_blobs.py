"""A blob follows the fate of the event that refers to it: held on the streamer's machine
through the broadcast delay, sent with its event, and never sent when panic drops it."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import httpx

from benchcast.broadcast.redact import Redactor
from benchcast.broadcast.session import Broadcast
from benchcast.secrets.scanner import Scanner
from tests.conftest import ServerProcess
from tests.helpers import archive, wait_for


def figure(bc: Broadcast, key: str) -> str:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    reply = bc.handle(
        {"command": "blob", "mime": "image/png", "data": base64.b64encode(data).decode()}
    )
    assert reply["ok"] and reply["hash"] == hashlib.sha256(data).hexdigest()
    event: dict[str, Any] = {
        "kind": "figure",
        "source": "run:a",
        "data": {"run": "a", "key": key, "blob": reply["hash"], "mime": "image/png"},
    }
    assert bc.handle({"command": "events", "events": [event]})["ok"]
    return str(reply["hash"])


def test_a_blob_waits_out_the_delay_with_its_event_and_panic_drops_both(
    server: ServerProcess, tmp_path: Path
) -> None:
    key = server.create_channel("ada")
    bc = Broadcast(
        server=server.url,
        key=key,
        data_dir=tmp_path,
        delay=1.0,
        redactor=Redactor(Scanner()),
        on_message=lambda _m: None,
    )
    bc.start()
    try:
        shown = figure(bc, "shown")
        assert httpx.get(f"{server.url}/blobs/{shown}").status_code == 404  # held
        wait_for(lambda: httpx.get(f"{server.url}/blobs/{shown}").status_code == 200)
        dropped = figure(bc, "dropped")
        bc.panic()
    finally:
        assert bc.close(drain=10) == 0
    assert httpx.get(f"{server.url}/blobs/{dropped}").status_code == 404
    sid = httpx.get(server.url + "/api/streams").json()["streams"][0]["id"]
    keys = [e["data"]["key"] for e in archive(server.url, sid) if e["kind"] == "figure"]
    assert keys == ["shown"]


def test_a_blob_that_is_not_an_allowed_type_is_refused(tmp_path: Path) -> None:
    bc = Broadcast(server="http://127.0.0.1:9", key="k", data_dir=tmp_path,
                   redactor=Redactor(Scanner()), on_message=lambda _m: None)  # fmt: skip
    bc.start(wait=0)
    try:
        reply = bc.handle({"command": "blob", "mime": "text/html", "data": "PGI+"})
        assert not reply["ok"] and "not one of" in reply["error"]
        reply = bc.handle({"command": "blob", "mime": "image/png", "data": "%%%"})
        assert not reply["ok"] and "base64" in reply["error"]
    finally:
        bc.close(drain=0)
