"""Several server processes on one PostgreSQL store and one Redis bus: every viewer gets every
event in order wherever it and the publisher are connected, through a process killed, Redis
restarted, a publisher moving between processes, and a process shutting down."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.helpers import archive, publish, publisher, wait_for
from tests.server.cluster import Watcher, cluster, out, wait_all
from tests.services import Postgres, RedisProcess, shared_redis_url


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    proc = RedisProcess().start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def shared_cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres
) -> Iterator[list[ServerProcess]]:
    """Three processes for the tests that leave them running: A, B and C."""
    db = postgres.create()
    servers = cluster(tmp_path_factory.mktemp("cluster"), db, shared_redis_url(), 3)
    yield servers
    for s in servers:
        s.stop()
    postgres.drop(db)


def test_every_viewer_gets_every_event_in_order_through_a_kill_and_a_redis_restart(
    tmp_path: Path, pg_database: str, own_redis: RedisProcess
) -> None:
    a, b, c = cluster(tmp_path, pg_database, own_redis.url, 3, log_format="json")
    watchers: list[Watcher] = []
    try:
        key = a.create_channel("ada")
        ws, welcome = publisher(a.url, key)
        sid = welcome["stream"]
        watchers = [Watcher([b.url], sid) for _ in range(2)]
        watchers += [Watcher([c.url, b.url], sid) for _ in range(2)]
        for w in watchers:
            w.start()
        for w in watchers:
            assert w.connected.wait(10)
        pseq = 0

        def send(n: int, pause: float = 0.01) -> None:
            nonlocal pseq
            for _ in range(n // 10):
                publish(ws, [out(pseq + i, f"e{pseq + i} ") for i in range(1, 11)])
                pseq += 10
                time.sleep(pause)

        send(200)
        wait_all(watchers, 200)

        # C dies without a word; its viewers come back on B from the last seq they have.
        c.stop(signal.SIGKILL)
        send(200)
        wait_all(watchers, 400)
        assert all(w.closes for w in watchers[2:])

        # Redis goes away mid-stream and comes back: viewers on B, which hear of A's events
        # only through Redis, catch up from the store.
        sender = threading.Thread(target=send, args=(400, 0.02))
        sender.start()
        time.sleep(0.5)
        own_redis.stop()
        wait_for(lambda: httpx.get(b.url + "/-/ready").status_code == 503)
        assert "bus" in httpx.get(b.url + "/-/ready").json()["problems"][0]
        time.sleep(1.0)
        own_redis.start()
        sender.join()
        wait_all(watchers, 800)
        time.sleep(0.5)  # anything extra (a duplicate) would arrive now

        for w in watchers:
            assert w.seqs == list(range(1, 801)), w.closes
        texts = [e["data"]["text"] for e in archive(b.url, sid)]
        assert texts == [f"e{i} " for i in range(1, 801)]
        metrics = httpx.get(b.url + "/metrics").text
        assert float(_metric(metrics, "benchcast_gap_fills_total")) >= 1  # Redis was away
        assert float(_metric(metrics, "benchcast_events_out_total")) >= 800 * 2
        assert (
            float(_metric(httpx.get(a.url + "/metrics").text, "benchcast_events_in_total")) == 800
        )
    finally:
        for w in watchers:
            w.stop()
        for s in (a, b, c):
            s.stop()
    # Structured logs: B said, in JSON naming itself, that it lost Redis.
    lines = [json.loads(line) for line in b.log.splitlines() if line.startswith("{")]
    lost = [x for x in lines if x["logger"] == "benchcast.bus.redis" and "lost" in x["msg"]]
    assert lost and lost[0]["level"] == "warning" and lost[0]["node"]


def test_events_sent_while_redis_is_down_reach_other_processes_even_if_the_stream_goes_quiet(
    tmp_path: Path, pg_database: str, own_redis: RedisProcess
) -> None:
    a, b = cluster(tmp_path, pg_database, own_redis.url, 2)
    watcher = Watcher([b.url], "")
    try:
        key = a.create_channel("ada")
        ws, welcome = publisher(a.url, key)
        watcher.stream_id = welcome["stream"]
        watcher.start()
        assert watcher.connected.wait(10)
        publish(ws, [out(1, "one ")])
        wait_all([watcher], 1)
        own_redis.stop()
        wait_for(lambda: httpx.get(a.url + "/-/ready").status_code == 503)
        # No announcement can get through, and nothing follows that would reveal the gap:
        # B's once-a-second look at the store finds them.
        publish(ws, [out(i, f"{i} ") for i in range(2, 6)])
        wait_all([watcher], 5, timeout=10)
        assert watcher.seqs == [1, 2, 3, 4, 5]
    finally:
        watcher.stop()
        a.stop()
        b.stop()


def test_events_too_big_to_announce_are_read_from_the_store_by_other_processes(
    shared_cluster: list[ServerProcess],
) -> None:
    a, b, _ = shared_cluster
    key = a.create_channel("big")
    ws, welcome = publisher(a.url, key)
    watcher = Watcher([b.url], welcome["stream"])
    watcher.start()
    try:
        assert watcher.connected.wait(10)
        fills = float(_metric(httpx.get(b.url + "/metrics").text, "benchcast_gap_fills_total"))
        publish(ws, [out(1, "x" * 20_000), out(2, "small")])
        publish(ws, [out(3, "after")])
        wait_all([watcher], 3)
        assert watcher.seqs == [1, 2, 3]
        assert watcher.events[0]["data"]["text"] == "x" * 20_000
        after = float(_metric(httpx.get(b.url + "/metrics").text, "benchcast_gap_fills_total"))
        assert after > fills
    finally:
        watcher.stop()


def _metric(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return line.split()[1]
    raise AssertionError(f"{name} not in metrics")


def test_an_event_appended_on_one_process_reaches_viewers_on_all(
    shared_cluster: list[ServerProcess],
) -> None:
    # Chat will take this path; until then the streamer's own note over HTTP stands for it.
    a, b, c = shared_cluster
    key = a.create_channel("notes")
    ws, welcome = publisher(a.url, key)
    sid = welcome["stream"]
    watchers = [Watcher([s.url], sid) for s in (a, b, c)]
    for w in watchers:
        w.start()
    try:
        for w in watchers:
            assert w.connected.wait(10)
        publish(ws, [out(1, "before ")])
        wait_all(watchers, 1)
        res = httpx.post(
            f"{b.url}/api/streams/{sid}/events",
            json={"kind": "note", "data": {"text": "a question from B"}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert res.status_code == 201 and res.json() == {"seq": 2}
        publish(ws, [out(2, "after")])
        wait_all(watchers, 3)
        for w in watchers:
            assert w.seqs == [1, 2, 3]
            assert w.events[1]["kind"] == "note"
            assert w.events[1]["data"] == {"text": "a question from B"}
        # Each process counts the viewers of all: three, whichever one a viewer is on.
        wait_for(
            lambda: all(
                any(m == {"type": "viewers", "count": 3} for m in w.messages) for w in watchers
            ),
            timeout=15,
        )
        hello = httpx.get(f"{c.url}/api/streams/{sid}").json()
        assert hello["viewers"] == 3
    finally:
        for w in watchers:
            w.stop()


def test_the_streamer_api_refuses_wrong_keys_kinds_and_streams(
    shared_cluster: list[ServerProcess],
) -> None:
    a = shared_cluster[0]
    key = a.create_channel("api")
    _ws, welcome = publisher(a.url, key)
    url = f"{a.url}/api/streams/{welcome['stream']}/events"
    note = {"kind": "note", "data": {"text": "hi"}}
    assert httpx.post(url, json=note).status_code == 401
    assert httpx.post(url, json=note, headers={"Authorization": "Bearer bck_x"}).status_code == 401
    auth = {"Authorization": f"Bearer {key}"}
    bad = httpx.post(url, json={"kind": "term.output", "data": {"text": "x"}}, headers=auth)
    assert bad.status_code == 400 and "kind must be one of" in bad.json()["error"]
    bad = httpx.post(url, json={"kind": "note", "data": {}}, headers=auth)
    assert bad.status_code == 400 and "note: text" in bad.json()["error"]
    other = httpx.post(f"{a.url}/api/streams/nope/events", json=note, headers=auth)
    assert other.status_code == 404


def test_a_publisher_that_reconnects_to_another_process_takes_the_stream_over(
    shared_cluster: list[ServerProcess],
) -> None:
    a, b, c = shared_cluster
    key = a.create_channel("mover")
    first, welcome = publisher(a.url, key)
    sid = welcome["stream"]
    watcher = Watcher([c.url], sid)
    watcher.start()
    try:
        assert watcher.connected.wait(10)
        publish(first, [out(i, f"{i} ") for i in range(1, 11)])
        # The publisher's network changed: it reconnects, and the balancer picks B.
        second, welcome = publisher(b.url, key, stream=sid)
        assert welcome["acked"] == 10
        # The old connection on A is told at once (the bus carries the news).
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                msg = json.loads(first.recv(timeout=10))
                if msg["type"] == "error":
                    assert msg["code"] == "replaced"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409
        publish(second, [out(i, f"{i} ") for i in range(5, 21)])  # resends 5..10
        wait_all([watcher], 20)
        assert watcher.seqs == list(range(1, 21))
        assert [e["data"]["text"] for e in archive(c.url, sid)] == [f"{i} " for i in range(1, 21)]
    finally:
        watcher.stop()


def test_a_process_shutting_down_sends_its_viewers_and_publisher_elsewhere(
    tmp_path: Path, pg_database: str
) -> None:
    a, b = cluster(tmp_path, pg_database, shared_redis_url(), 2)
    watcher = Watcher([a.url, b.url], "")
    try:
        key = a.create_channel("ada")
        ws, welcome = publisher(a.url, key)
        sid = welcome["stream"]
        watcher.stream_id = sid
        watcher.start()
        assert watcher.connected.wait(10)
        publish(ws, [out(i, f"{i} ") for i in range(1, 51)])
        wait_all([watcher], 50)
        assert httpx.get(a.url + "/-/ready").json() == {"ready": True, "problems": []}
        a.stop(signal.SIGTERM)
        # The viewer was told to reconnect (1012, "service restart") and resumed on B.
        reconnects = [m for m in watcher.messages if m["type"] == "reconnect"]
        assert len(reconnects) == 1 and 0 <= reconnects[0]["after_ms"] <= 1000
        assert watcher.closes[0] == 1012
        # So was the publisher; it carries on on B.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                msg = json.loads(ws.recv(timeout=10))
                assert msg["type"] == "reconnect"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        ws, welcome = publisher(b.url, key, stream=sid)
        assert welcome["acked"] == 50
        publish(ws, [out(i, f"{i} ") for i in range(51, 61)])
        wait_all([watcher], 60)
        assert watcher.seqs == list(range(1, 61))
    finally:
        watcher.stop()
        a.stop()
        b.stop()
