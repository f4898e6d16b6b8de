"""Clients for the audience tests: viewers with their own cookies (and, when asked, their own
loopback address), the streamer with the stream key, and a live stream to talk on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection

from tests.conftest import ServerProcess, run_cli
from tests.helpers import publish, publisher, ws_base, ws_connect


class Viewer:
    """A browser-like client: a cookie jar, the session's CSRF token, an optional address."""

    open: list[Viewer] = []  # noqa: RUF012  (closed after each test: see close_viewers)

    def __init__(self, url: str, address: str | None = None) -> None:
        Viewer.open.append(self)
        self.sockets: list[ClientConnection] = []
        transport = httpx.HTTPTransport(local_address=address) if address else None
        self.url = url
        self.http = httpx.Client(base_url=url, transport=transport, timeout=20)
        self.csrf = self.http.get("/api/session").json()["csrf"]

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.http.post(
            path, json=body or {}, headers={"X-CSRF-Token": self.csrf, **(headers or {})}
        )

    def guest(self, name: str) -> httpx.Response:
        return self.post("/api/session/guest", {"name": name})

    def login(self, name: str, password: str) -> dict[str, Any]:
        res = self.post("/api/session/login", {"name": name, "password": password})
        assert res.status_code == 200, res.text
        me: dict[str, Any] = res.json()
        self.csrf = me["csrf"]
        return me

    def act(self, sid: str, path: str, body: Any = None) -> httpx.Response:
        return self.post(f"/api/streams/{sid}{path}", body)

    def chat(self, sid: str, text: str) -> httpx.Response:
        return self.act(sid, "/chat", {"text": text})

    def socket(self, sid: str, query: str = "") -> ClientConnection:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        ws = ws_connect(
            f"{ws_base(self.url)}/ws/streams/{sid}{query}",
            additional_headers={"Cookie": cookie} if cookie else None,
        )
        self.sockets.append(ws)
        return ws

    def close(self) -> None:
        for ws in self.sockets:
            ws.close()
        self.http.close()


@pytest.fixture(autouse=True)
def close_viewers() -> Iterator[None]:
    yield
    while Viewer.open:
        Viewer.open.pop().close()


@dataclass
class Live:
    """A live stream on a fresh channel, its publisher kept connected."""

    server: ServerProcess
    channel: str
    key: str
    sid: str
    pub: ClientConnection

    def __post_init__(self) -> None:
        #: The streamer, by stream key.
        self.streamer = httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=20
        )

    def close(self) -> None:
        self.streamer.close()
        self.pub.close()

    def events(self) -> list[dict[str, Any]]:
        res = httpx.get(f"{self.server.url}/api/streams/{self.sid}/events", params={"limit": 5000})
        out: list[dict[str, Any]] = res.json()["events"]
        return out


def go_live(server: ServerProcess, channel: str = "ada") -> Live:
    key = server.create_channel(channel)
    pub, welcome = publisher(server.url, key, title="live")
    publish(
        pub,
        [
            {
                "pseq": 1,
                "t": 0.0,
                "kind": "term.open",
                "source": "term:1",
                "data": {"cols": 80, "rows": 24},
            }
        ],
    )
    return Live(server, channel, key, welcome["stream"], pub)


@pytest.fixture
def live(server: ServerProcess) -> Iterator[Live]:
    stream = go_live(server)
    yield stream
    stream.close()


def add_user(server: ServerProcess, name: str, password: str, *extra: str) -> None:
    store = ["--db", server.db] if server.db else ["--data", str(server.data)]
    res = run_cli("user", "add", name, "--password-stdin", *extra, *store, input=password + "\n")
    assert res.returncode == 0, res.stderr


def grant(server: ServerProcess, name: str, channel: str, role: str) -> None:
    store = ["--db", server.db] if server.db else ["--data", str(server.data)]
    res = run_cli("user", "grant", name, channel, "--role", role, *store)
    assert res.returncode == 0, res.stderr


def recv_until(ws: ClientConnection, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
    """Read viewer-socket messages until one satisfies ``pred``; return it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no such message arrived")
        msg = json.loads(ws.recv(timeout=left))
        if pred(msg):
            return dict(msg)


def event_of(kind: str, **fields: Any) -> Any:
    """A predicate: an events frame holding an event of ``kind`` whose data has ``fields``."""

    def pred(msg: dict[str, Any]) -> bool:
        return msg.get("type") == "events" and any(
            e["kind"] == kind and all(e["data"].get(k) == v for k, v in fields.items())
            for e in msg["events"]
        )

    return pred
