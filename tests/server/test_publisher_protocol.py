"""The publisher websocket against a real server: auth, acks, dedup, refusals."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.helpers import archive, publish, publisher, ws_base, ws_connect


def out(pseq: int, text: str, t: float = 0.0) -> dict[str, object]:
    return {"pseq": pseq, "t": t, "kind": "term.output", "source": "term:1", "data": {"text": text}}


def test_wrong_key_is_refused_without_detail_and_rate_limited(server: ServerProcess) -> None:
    server.create_channel("ada")
    for _ in range(10):
        ws, reply = publisher(server.url, "bck_not-a-real-key")
        assert reply == {"type": "error", "code": "auth", "message": "stream key not accepted"}
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    ws, reply = publisher(server.url, "bck_not-a-real-key")
    assert reply["code"] == "rate"


def test_events_are_acked_after_storing_and_resends_are_not_stored_twice(
    server: ServerProcess,
) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    assert welcome["type"] == "welcome" and welcome["acked"] == 0
    sid = welcome["stream"]
    replies = publish(ws, [out(1, "one "), out(2, "two ")])
    assert replies[-1] == {"type": "ack", "pseq": 2}
    ws.close()
    # A reconnecting publisher resends 1..3: only 3 is new.
    ws, welcome = publisher(server.url, key, stream=sid)
    assert welcome["acked"] == 2
    publish(ws, [out(1, "one "), out(2, "two "), out(3, "three")])
    texts = [e["data"]["text"] for e in archive(server.url, sid)]
    assert texts == ["one ", "two ", "three"]
    assert [e["seq"] for e in archive(server.url, sid)] == [1, 2, 3]


def test_a_malformed_event_is_refused_with_a_reason_and_the_rest_stored(
    server: ServerProcess,
) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    bad_kind = {"pseq": 2, "t": 0.1, "kind": "term.explode", "source": "term:1", "data": {}}
    bad_field = {
        "pseq": 3,
        "t": 0.2,
        "kind": "term.resize",
        "source": "term:1",
        "data": {"cols": "wide", "rows": 24},
    }
    replies = publish(ws, [out(1, "a"), bad_kind, bad_field, out(4, "b")])
    rejects = [r for r in replies if r["type"] == "reject"]
    assert [r["pseq"] for r in rejects] == [2, 3]
    assert "unknown event kind 'term.explode'" in rejects[0]["message"]
    assert "term.resize: cols" in rejects[1]["message"]
    assert replies[-1] == {"type": "ack", "pseq": 4}
    assert [e["data"]["text"] for e in archive(server.url, welcome["stream"])] == ["a", "b"]


def test_an_oversized_message_closes_the_publisher_and_the_server_stays_up(
    server: ServerProcess,
) -> None:
    key = server.create_channel("ada")
    ws, _ = publisher(server.url, key)
    with pytest.raises(ConnectionClosed):
        # The server may close while the 5 MB are still being written: send or recv raises.
        ws.send(json.dumps({"type": "events", "events": [out(1, "x" * (5 * 1024 * 1024))]}))
        for _ in range(5):
            ws.recv(timeout=10)
    _ws2, welcome = publisher(server.url, key)
    assert welcome["type"] == "welcome"


def test_an_oversized_event_is_rejected(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, _ = publisher(server.url, key)
    replies = publish(ws, [out(1, "x" * (300 * 1024))])
    assert replies[0]["type"] == "reject" and "limit is" in replies[0]["message"]


def test_a_viewer_sending_junk_is_closed_and_others_are_unaffected(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    good = ws_connect(f"{ws_base(server.url)}/ws/streams/{sid}")
    bad = ws_connect(f"{ws_base(server.url)}/ws/streams/{sid}")
    assert json.loads(good.recv(timeout=5))["type"] == "hello"
    assert json.loads(bad.recv(timeout=5))["type"] == "hello"
    bad.send(b"\x00\xffjunk")
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            bad.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    publish(ws, [out(1, "still here")])
    while True:
        msg = json.loads(good.recv(timeout=5))
        if msg["type"] == "events":
            break
    assert msg["events"][0]["data"]["text"] == "still here"


def test_a_viewer_resuming_from_seq_gets_exactly_what_it_missed(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    publish(ws, [out(i, f"e{i} ", t=i * 0.01) for i in range(1, 51)])
    viewer = ws_connect(f"{ws_base(server.url)}/ws/streams/{sid}?since=20")
    seen: list[int] = []
    publish(ws, [out(i, f"e{i} ", t=i * 0.01) for i in range(51, 61)])
    while len(seen) < 40:
        msg = json.loads(viewer.recv(timeout=10))
        if msg["type"] == "events":
            seen.extend(e["seq"] for e in msg["events"])
    assert seen == list(range(21, 61))


def test_unknown_stream_and_bad_since_are_refused(server: ServerProcess) -> None:
    viewer = ws_connect(f"{ws_base(server.url)}/ws/streams/nope")
    with pytest.raises(ConnectionClosed) as closed:
        viewer.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
