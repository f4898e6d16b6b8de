"""Small clients for tests: a publisher and a viewer speaking the wire protocols directly."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


def ws_connect(url: str, **kw: Any) -> ClientConnection:
    """A websocket held open across a test (websockets ≥ 17.1 asks for legacy=True then)."""
    return connect(url, legacy=True, **kw)


def ws_base(url: str) -> str:
    return url.replace("http://", "ws://")


def publisher(
    url: str, key: str, title: str = "test", stream: str | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    ws = ws_connect(ws_base(url) + "/ws/publish", max_size=2**23)
    # A refusing server may close before the hello lands; its error is still readable.
    with contextlib.suppress(ConnectionClosed):
        ws.send(
            json.dumps({"type": "hello", "key": key, "stream": stream, "title": title, "tags": []})
        )
    welcome = json.loads(ws.recv(timeout=10))
    return ws, welcome


def publish(ws: ClientConnection, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send one batch; return the server's replies up to and including its ack."""
    ws.send(json.dumps({"type": "events", "events": events}))
    replies = []
    while True:
        msg = json.loads(ws.recv(timeout=20))
        replies.append(msg)
        if msg["type"] == "ack":
            return replies


def archive(url: str, stream_id: str) -> list[dict[str, Any]]:
    """Every stored event of a stream, through the JSON API."""
    out: list[dict[str, Any]] = []
    since = 0
    while True:
        page = httpx.get(
            f"{url}/api/streams/{stream_id}/events",
            params={"since": since, "limit": 5000},
            timeout=30,
        ).json()
        out.extend(page["events"])
        if len(page["events"]) < 5000:
            return out
        since = page["events"][-1]["seq"]


def terminal_text(events: list[dict[str, Any]], source: str = "term:1") -> str:
    return "".join(
        e["data"]["text"] for e in events if e["kind"] == "term.output" and e["source"] == source
    )


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        time.sleep(interval)
