"""Live fan-out against a real server: a viewer that stops reading is cut back to catch-up and
refilled from the store, and costs the others nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from benchcast.server.app import create_app
from benchcast.server.run import WS_MAX_SIZE, bind, url_of
from tests.conftest import ServerProcess
from tests.helpers import publish, publisher, wait_for, ws_base, ws_connect
from tests.server.audience.conftest import Viewer, go_live

BIG = 200 * 1024  # one event's text: under the 256 KiB an event may carry


def big(pseq: int) -> dict[str, Any]:
    text = f"[{pseq}]" + "x" * BIG
    return {
        "pseq": pseq,
        "t": pseq * 0.01,
        "kind": "term.output",
        "source": "term:1",
        "data": {"text": text},
    }


def overflows(url: str) -> int:
    return int(httpx.get(url + "/-/health", timeout=10).json()["overflows"])


@dataclass
class AsgiServer:
    """The app on uvicorn's own websockets protocol, on a thread: no raw socket reaches the
    hub, so every viewer is sent to through ASGI with a queue and a task of its own."""

    url: str
    port: int
    setup: ServerProcess

    def create_channel(self, name: str) -> str:
        return self.setup.create_channel(name)


@pytest.fixture
def asgi_server(tmp_path: Path) -> Iterator[AsgiServer]:
    setup = ServerProcess(tmp_path / "server")
    setup.data.mkdir(parents=True)
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        create_app(f"sqlite:///{setup.data / 'benchcast.db'}"),
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=WS_MAX_SIZE,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30)
    url = url_of(sock)
    yield AsgiServer(url, int(url.rsplit(":", 1)[1]), setup)
    server.should_exit = True
    thread.join(15)


def test_a_viewer_that_stops_reading_is_refilled_from_the_store_without_gap_or_duplicate(
    server: ServerProcess,
) -> None:
    _stalled_viewer(server)


def test_the_same_holds_for_viewers_sent_to_through_asgi(asgi_server: AsgiServer) -> None:
    _stalled_viewer(asgi_server)


def _stalled_viewer(server: ServerProcess | AsgiServer) -> None:
    key = server.create_channel("ada")
    pub, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    publish(pub, [big(1)])
    url = f"{ws_base(server.url)}/ws/streams/{sid}"

    # A viewer that reads everything as it comes, on a thread of its own, up to seq goal[0].
    steady = ws_connect(url, max_size=2**24)
    seen_steady: list[int] = []
    goal = [10**9]

    def read_steady() -> None:
        while not seen_steady or seen_steady[-1] < goal[0]:
            msg = json.loads(steady.recv(timeout=60))
            if msg["type"] == "events":
                seen_steady.extend(e["seq"] for e in msg["events"])

    reader = threading.Thread(target=read_steady, daemon=True)
    reader.start()

    # A viewer whose socket takes almost nothing: a tiny receive buffer, and a client that
    # stops reading the socket once one message waits unread (max_queue=1).
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    stalled = ws_connect(url, sock=sock, max_size=2**24, max_queue=1)
    assert json.loads(stalled.recv(timeout=10))["type"] == "hello"

    # Publish until the server has cut the stalled viewer back (the kernel's buffers take a
    # few MiB first), then more, so that it catches up past frames made meanwhile.
    sent = 1
    while overflows(server.url) == 0 and sent < 200:
        publish(pub, [big(sent + i) for i in range(1, 6)])
        sent += 5
    assert overflows(server.url) == 1, "the stalled viewer, and only it, falls behind"
    goal[0] = sent + 10
    for _ in range(2):
        publish(pub, [big(sent + i) for i in range(1, 6)])
        sent += 5

    seen: list[int] = []
    while not seen or seen[-1] < sent:
        msg = json.loads(stalled.recv(timeout=60))
        if msg["type"] == "events":
            seen.extend(e["seq"] for e in msg["events"])
            assert all(e["data"]["text"].startswith(f"[{e['seq']}]") for e in msg["events"])
    assert seen == list(range(1, sent + 1))
    reader.join(60)
    assert seen_steady == list(range(1, sent + 1))
    # Caught up, it is live again: the next event arrives as it is published.
    publish(pub, [big(sent + 1)])
    msg = json.loads(stalled.recv(timeout=20))
    while msg["type"] != "events":
        msg = json.loads(stalled.recv(timeout=20))
    assert [e["seq"] for e in msg["events"]] == [sent + 1]
    assert overflows(server.url) == 1
    # Closed here, so the server's shutdown does not wait out a close handshake that a client
    # which stopped reading would never answer.
    for ws in (stalled, steady, pub):
        ws.close()


def _events_until(ws: Any, seq: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while not got or got[-1]["seq"] < seq:
        msg = json.loads(ws.recv(timeout=20))
        if msg["type"] == "events":
            got.extend(msg["events"])
    return got


def test_resuming_within_the_live_window_is_exact_and_never_shows_what_was_deleted(
    server: ServerProcess,
) -> None:
    live = go_live(server)
    bo = Viewer(server.url)
    try:
        url = f"{ws_base(server.url)}/ws/streams/{live.sid}"
        watching = ws_connect(url)  # keeps the stream's live channel (and its memory) open
        bo.guest("bo")
        said = [bo.chat(live.sid, f"line {i}").json() for i in range(6)]
        regret = bo.chat(live.sid, "something regrettable").json()
        gone = live.streamer.post(
            f"/api/streams/{live.sid}/messages/{regret['id']}/delete", json={}
        )
        assert gone.status_code == 201, gone.text
        head = gone.json()["seq"]
        _events_until(watching, head)
        # Resumes from seqs the live channel still holds: exactly the events after each.
        for since in (said[0]["seq"], said[3]["seq"], head):
            later = [bo.chat(live.sid, f"after {since}").json()["seq"]]
            ws = ws_connect(f"{url}?since={since}")
            got = _events_until(ws, later[-1]) if later[-1] > since else []
            assert [e["seq"] for e in got] == list(range(since + 1, later[-1] + 1))
            assert "regrettable" not in json.dumps(got)
            ws.close()
            head = later[-1]
        # From before the deleted message: its tombstone, never its text.
        ws = ws_connect(f"{url}?since={regret['seq'] - 1}")
        got = _events_until(ws, head)
        assert got[0]["seq"] == regret["seq"] and got[0]["kind"] == "hidden"
        assert [e["seq"] for e in got] == list(range(regret["seq"], head + 1))
        assert "regrettable" not in json.dumps(got)
        ws.close()
        watching.close()
    finally:
        Viewer.open.remove(bo)
        bo.close()
        live.close()


def test_more_viewers_than_one_slice_each_get_every_event_once_in_order(
    server: ServerProcess,
) -> None:
    """A frame reaches a few hundred viewers over several turns of the event loop
    (``hub.PASS_SLICE`` at a time) while events keep coming, viewers join and viewers leave:
    each still sees every event exactly once, in order, and the publisher's acks keep coming."""
    from websockets.asyncio.client import connect

    from benchcast.server.hub import PASS_SLICE

    key = server.create_channel("crowd")
    pub, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    url = f"{ws_base(server.url)}/ws/streams/{sid}"
    total, n = 40, 3 * PASS_SLICE

    async def watch(seen: list[int], stop_after: int | None) -> None:
        async with connect(url, max_size=2**24, open_timeout=60) as ws:
            while not seen or seen[-1] < (stop_after or total):
                msg = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if msg["type"] == "events":
                    seen.extend(e["seq"] for e in msg["events"])

    async def scenario() -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
        stay: list[list[int]] = [[] for _ in range(n)]
        leave: list[list[int]] = [[] for _ in range(PASS_SLICE // 2)]
        late: list[list[int]] = [[] for _ in range(PASS_SLICE // 2)]
        tasks = [asyncio.ensure_future(watch(s, None)) for s in stay]
        tasks += [asyncio.ensure_future(watch(s, total // 2)) for s in leave]
        await wait_until(lambda: viewer_count(server.url, sid) >= n + len(leave))
        for i in range(1, total + 1):
            if i == total // 2:
                tasks += [asyncio.ensure_future(watch(s, None)) for s in late]
            # One event per message, acknowledged each time, as a steady publisher sends them.
            await asyncio.to_thread(publish, pub, [_line(i)])
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        return stay, leave, late

    stay, leave, late = asyncio.run(scenario())
    assert all(s == list(range(1, total + 1)) for s in stay)
    assert all(s == list(range(1, total // 2 + 1)) for s in leave)
    # A late joiner starts from the stream's recent events and then follows, without a gap.
    for s in late:
        assert s and s[-1] == total and s == list(range(s[0], total + 1))
    pub.close()


def _line(pseq: int) -> dict[str, Any]:
    return {
        "pseq": pseq,
        "t": pseq * 0.01,
        "kind": "term.output",
        "source": "term:1",
        "data": {"text": f"line {pseq}\r\n"},
    }


def viewer_count(url: str, sid: str) -> int:
    return int(httpx.get(f"{url}/api/streams/{sid}", timeout=10).json()["viewers"])


async def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)
