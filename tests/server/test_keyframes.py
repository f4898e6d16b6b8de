"""Joining and seeking cost one keyframe plus a few events, and show the same screen as a
fold of the whole log."""

from __future__ import annotations

import json
import random

import httpx

from benchcast.events import Event
from benchcast.replay.fold import StreamFold
from tests.conftest import ServerProcess
from tests.helpers import archive, publish, publisher, wait_for, ws_base, ws_connect


def busy_terminal(n: int, seed: int = 7) -> list[str]:
    """Output that exercises the emulator: colours, clears, cursor moves, overwrites, UTF-8."""
    rng = random.Random(seed)
    pieces = []
    for i in range(n):
        r = rng.random()
        if r < 0.02:
            pieces.append("\x1b[2J\x1b[H")
        elif r < 0.1:
            pieces.append(f"\x1b[{rng.randint(1, 24)};{rng.randint(1, 80)}H*")
        elif r < 0.2:
            pieces.append(f"\rprogress {i % 100:3d}% " + "█" * (i % 30))
        elif r < 0.3:
            pieces.append(f"\x1b[3{i % 8}mcoloured {i}\x1b[0m\r\n")
        else:
            pieces.append(f"epoch {i // 100} step {i} loss {1 / (i + 1):.5f} ünïcødé 中\r\n")
    return pieces


def full_fold(events: list[dict[str, object]], upto: int | None = None) -> StreamFold:
    fold = StreamFold()
    for e in events:
        if upto is not None and int(e["seq"]) > upto:  # type: ignore[call-overload]
            break
        fold.apply(Event.model_validate(e))
    return fold


def test_a_viewer_joining_at_event_10000_sees_the_screen_a_full_fold_shows(
    server: ServerProcess,
) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    first = [
        {
            "pseq": 1,
            "t": 0.0,
            "kind": "term.open",
            "source": "term:1",
            "data": {"cols": 80, "rows": 24, "title": "bash"},
        }
    ]
    pieces = busy_terminal(10_000)
    batch = first + [
        {
            "pseq": i + 2,
            "t": (i + 1) * 0.01,
            "kind": "term.output",
            "source": "term:1",
            "data": {"text": p},
        }
        for i, p in enumerate(pieces)
    ]
    for i in range(0, len(batch), 1000):
        publish(ws, batch[i : i + 1000])
    # Keyframes land every 30 s of stream time: the newest is near the end.
    wait_for(
        lambda: any(
            k["seq"] > 9000
            for k in httpx.get(f"{server.url}/api/streams/{sid}").json()["keyframes"]
        )
    )
    viewer = ws_connect(f"{ws_base(server.url)}/ws/streams/{sid}", max_size=2**24)
    hello = json.loads(viewer.recv(timeout=10))
    assert hello["type"] == "hello" and hello["stream"]["events"] == 10_001
    kf = json.loads(viewer.recv(timeout=10))
    assert kf["type"] == "keyframe" and kf["seq"] > 9000
    fold = StreamFold.restore(kf["state"])
    received = 0
    while fold.seq < 10_001:
        msg = json.loads(viewer.recv(timeout=10))
        if msg["type"] == "events":
            for e in msg["events"]:
                fold.apply(Event.model_validate(e))
                received += 1
    assert received < 1001  # a keyframe and the tail, not a replay of the log
    expected = full_fold(archive(server.url, sid))
    assert fold.terms["term:1"].text() == expected.terms["term:1"].text()
    assert any(line.strip() for line in expected.terms["term:1"].text())


def test_seeking_a_past_stream_shows_what_a_full_replay_to_that_time_shows(
    server: ServerProcess,
) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    sid = welcome["stream"]
    pieces = busy_terminal(6000, seed=11)
    batch = [
        {
            "pseq": 1,
            "t": 0.0,
            "kind": "term.open",
            "source": "term:1",
            "data": {"cols": 80, "rows": 24, "title": ""},
        }
    ]
    batch += [
        {
            "pseq": i + 2,
            "t": (i + 1) * 0.02,
            "kind": "term.output",
            "source": "term:1",
            "data": {"text": p},
        }
        for i, p in enumerate(pieces)
    ]
    batch.append(
        {"pseq": len(batch) + 1, "t": 121.0, "kind": "stream.end", "source": "stream", "data": {}}
    )
    for i in range(0, len(batch), 1000):
        publish(ws, batch[i : i + 1000])
    wait_for(lambda: len(httpx.get(f"{server.url}/api/streams/{sid}").json()["keyframes"]) >= 4)
    events = archive(server.url, sid)
    for t in (0.5, 29.99, 45.3, 61.0, 99.9, 120.5):
        seek = httpx.get(f"{server.url}/api/streams/{sid}/seek", params={"t": t}).json()
        kf = seek["keyframe"]
        fold = StreamFold.restore(kf["state"]) if kf else StreamFold()
        tail = httpx.get(
            f"{server.url}/api/streams/{sid}/events",
            params={"since": fold.seq, "until": seek["seq"], "limit": 5000},
        ).json()
        for e in tail["events"]:
            fold.apply(Event.model_validate(e))
        expected = full_fold(events, upto=seek["seq"])
        assert fold.seq == expected.seq
        assert max((e["t"] for e in events if e["seq"] <= seek["seq"]), default=0) <= t
        assert fold.terms["term:1"].text() == expected.terms["term:1"].text(), t
        if t > 31:
            assert kf is not None and kf["seq"] > 1
