"""The media track against a real server: the studio's socket (who may send, what it
refuses, nothing taken while paused), viewers (a late joiner starts at the newest cluster
with the init segment; live pieces follow), and the stored track (one WebM file ffprobe
reads as Opus of the right length; a clear 404 when there is none), and the publisher's
delay and hold (the studio is told the delay; a hold stops it at once, on any process,
until the delayed pause is committed)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from benchcast.webm import CLUSTER, EBML, Splitter
from tests.conftest import ServerProcess
from tests.helpers import publish, publisher, wait_for, ws_base, ws_connect


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Six seconds of WebM/Opus with unknown-size clusters, as MediaRecorder writes it."""
    out = tmp_path_factory.mktemp("voice") / "voice.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=220:duration=6",
         "-c:a", "libopus", "-b:a", "32k", "-live", "1", "-cluster_time_limit", "1000", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def _slices(data: bytes, size: int = 1500) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _studio(url: str, sid: str, key: str) -> Any:
    ws = ws_connect(
        ws_base(url) + f"/ws/streams/{sid}/media/publish",
        additional_headers={"Authorization": f"Bearer {key}"},
    )
    hello = json.loads(ws.recv(timeout=10))
    assert hello["type"] == "hello"
    return ws, hello


def _start(ws: Any) -> dict[str, Any]:
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm;codecs=opus"}))
    out: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return out


def _stream(server: ServerProcess, name: str) -> tuple[str, str, Any]:
    key = server.create_channel(name)
    pub, welcome = publisher(server.url, key, title="Voice")
    publish(pub, [{"pseq": 1, "t": 0.0, "kind": "stream.start", "source": "stream",
                   "data": {"title": "Voice"}}])  # fmt: skip
    return key, welcome["stream"], pub


def _media(url: str, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = httpx.get(f"{url}/api/streams/{sid}/media").json()
    return out


def test_studio_stores_relays_and_the_track_is_one_webm_file(
    server: ServerProcess, voice: bytes, tmp_path: Path
) -> None:
    key, sid, _pub = _stream(server, "voice")
    res = httpx.get(f"{server.url}/api/streams/{sid}/media/track.webm")
    assert res.status_code == 404 and res.json()["error"] == f"stream {sid!r} has no media track"

    ws, hello = _studio(server.url, sid, key)
    assert hello["air"] == "on"
    # Media before "start", and an unknown track: refused, nothing stored, socket kept.
    ws.send(b"\x00" + voice[:100])
    assert json.loads(ws.recv(timeout=10))["reason"] == "send start first"
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "video/mp4"}))
    assert "audio must be audio/webm" in json.loads(ws.recv(timeout=10))["reason"]
    started = _start(ws)
    assert started["type"] == "started" and started["epoch"] == 1
    parts = _slices(voice)
    half = len(parts) // 2
    for part in parts[:half]:
        ws.send(b"\x00" + part)
    wait_for(lambda: _media(server.url, sid)["tracks"].get("audio"))

    # A late joiner: the epoch, the init segment, then media from a cluster start.
    viewer = ws_connect(ws_base(server.url) + f"/ws/streams/{sid}/media")
    assert json.loads(viewer.recv(timeout=10))["type"] == "hello"
    epoch = json.loads(viewer.recv(timeout=10))
    assert epoch["type"] == "epoch" and epoch["track"] == "audio" and epoch["t0"] == started["t0"]
    init = viewer.recv(timeout=10)
    assert init[0] == 0 and int.from_bytes(init[1:5], "big") == EBML
    first = viewer.recv(timeout=10)
    assert int.from_bytes(first[1:5], "big") == CLUSTER
    # Then live, in order: everything after the backlog arrives byte for byte.
    got = bytearray(first[1:])
    for part in parts[half:]:
        ws.send(b"\x00" + part)
    tail = b"".join(parts[half:])
    while not got.endswith(tail[-200:]):
        got += viewer.recv(timeout=10)[1:]
    assert tail in voice and bytes(got).endswith(tail)
    viewer.close()
    ws.close()

    track = httpx.get(f"{server.url}/api/streams/{sid}/media/track.webm", timeout=30)
    assert track.status_code == 200
    assert track.content.endswith(voice[-500:])
    path = tmp_path / "t.webm"
    path.write_bytes(track.content)
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration",
             "-of", "json", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert probe["streams"][0]["codec_name"] == "opus"
    assert abs(float(probe["format"]["duration"]) - 6.0) < 0.1

    # A recording's parts for replay: the init segment, and pieces from a cluster on.
    ep = _media(server.url, sid)["tracks"]["audio"][0]
    base = f"{server.url}/api/streams/{sid}/media/audio/{ep['epoch']}"
    init = httpx.get(f"{base}/init")
    assert voice.startswith(init.content) and float(init.headers["x-media-t0"]) == ep["t0"]
    part = httpx.get(f"{base}/data", params={"t": ep["t0"] + 2.5})
    assert int.from_bytes(part.content[:4], "big") == CLUSTER and part.content in voice
    assert ep["t0"] + 1.5 < float(part.headers["x-media-end"]) <= ep["end"]
    assert int(part.headers["x-media-last"]) == ep["last"] and part.headers["x-media-done"] == "0"
    rest = httpx.get(f"{base}/data", params={"after": ep["last"]})
    assert rest.content == b"" and rest.headers["x-media-last"] == str(ep["last"])
    bad = httpx.get(f"{base}/data", params={"t": "soon"})
    assert bad.status_code == 400 and "error" in bad.json()
    assert httpx.get(f"{base}/data").status_code == 400
    assert httpx.get(f"{server.url}/api/streams/{sid}/media/audio/9/init").status_code == 404
    assert httpx.get(f"{server.url}/api/streams/{sid}/media/sound/1/init").status_code == 404


def test_nothing_is_taken_while_paused_and_strangers_cannot_send(
    server: ServerProcess, voice: bytes
) -> None:
    key, sid, pub = _stream(server, "quiet")
    other = server.create_channel("other")
    # Another channel's key, no key, a stream that does not exist: refused with a reason.
    for headers, path, code in (
        ({"Authorization": f"Bearer {other}"}, sid, 4403),
        ({}, sid, 4403),
        ({"Authorization": f"Bearer {key}"}, "nosuchstream", 4404),
    ):
        ws = ws_connect(ws_base(server.url) + f"/ws/streams/{path}/media/publish",
                        additional_headers=headers)  # fmt: skip
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code

    ws, _ = _studio(server.url, sid, key)
    _start(ws)
    parts = _slices(voice)
    for part in parts[:4]:
        ws.send(b"\x00" + part)
    wait_for(lambda: _media(server.url, sid)["tracks"].get("audio"))
    publish(pub, [{"pseq": 2, "t": 1.0, "kind": "air", "source": "stream",
                   "data": {"state": "paused"}}])  # fmt: skip
    msg = json.loads(ws.recv(timeout=10))
    while msg["type"] != "air":
        msg = json.loads(ws.recv(timeout=10))
    assert msg == {"type": "air", "state": "paused"}
    before = _media(server.url, sid)["tracks"]["audio"]
    ws.send(b"\x00" + parts[4])
    refused = json.loads(ws.recv(timeout=10))
    assert refused["type"] == "refused" and refused["reason"] == "paused"
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm"}))
    assert json.loads(ws.recv(timeout=10))["reason"] == "paused"
    assert _media(server.url, sid)["tracks"]["audio"] == before

    # On air again: a new recording (epoch 2) is taken.
    publish(pub, [{"pseq": 3, "t": 2.0, "kind": "air", "source": "stream",
                   "data": {"state": "on"}}])  # fmt: skip
    assert json.loads(ws.recv(timeout=10)) == {"type": "air", "state": "on"}
    assert _start(ws)["epoch"] == 2
    for part in parts:
        ws.send(b"\x00" + part)
    wait_for(lambda: len(_media(server.url, sid)["tracks"]["audio"]) == 2)
    # Not WebM, and a frame naming no track: refused / closed, saying why.
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm"}))
    json.loads(ws.recv(timeout=10))
    ws.send(b"\x00" + b"RIFF....WAVEfmt " * 8)
    assert "not a WebM stream" in json.loads(ws.recv(timeout=10))["reason"]
    ws.send(b"\x07abc")
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


def test_splitter_cuts_at_clusters_whatever_the_slices(voice: bytes) -> None:
    for size in (1, 7, 333, 4096, len(voice)):
        s = Splitter()
        pieces = [p for part in _slices(voice, size) for p in s.feed(part)]
        assert b"".join(p.data for p in pieces) == voice[: sum(len(p.data) for p in pieces)]
        assert len(voice) - sum(len(p.data) for p in pieces) < 16  # only a header held back
        assert pieces[0].kind == "init" and pieces[1].kind == "cluster"
        clusters = [p for p in pieces if p.kind == "cluster"]
        assert all(int.from_bytes(p.data[:4], "big") == CLUSTER for p in clusters)
        assert [p.tc for p in clusters] == sorted(p.tc for p in clusters)
        assert 5 <= len(clusters) <= 7  # one a second


def test_a_slow_viewer_is_cut_back_to_the_next_cluster_with_its_init_segment() -> None:
    import asyncio

    from benchcast.server.media import QUEUE_BYTES, Viewer
    from benchcast.store.media import MediaPiece

    async def scenario() -> Viewer:
        v = Viewer(ws=None)  # type: ignore[arg-type]  (never sends: it only queues here)
        v.joined_now()
        mime = "audio/webm;codecs=opus"
        v.offer("audio", MediaPiece(1, 1, 0.0, "init", mime, b"I" * 100), 5.0)
        idx = 1
        # Never read: 64 KiB pieces until the queue overflows, then one more "more" piece
        # (skipped: not a cluster start) and a cluster (where it resumes).
        while v.resyncs == 0:
            idx += 1
            kind = "cluster" if idx % 4 == 2 else "more"
            v.offer("audio", MediaPiece(idx, 1, float(idx), kind, mime, b"x" * 65536), 5.0)
        assert v.queue == ['{"type":"resync"}'] and v.queued < QUEUE_BYTES
        v.offer("audio", MediaPiece(idx + 1, 1, 0.0, "more", mime, b"m" * 10), 5.0)
        assert len(v.queue) == 1
        v.offer("audio", MediaPiece(idx + 2, 1, 0.0, "cluster", mime, b"c" * 10), 5.0)
        return v

    v = asyncio.run(scenario())
    assert json.loads(v.queue[1]) == {
        "type": "epoch", "track": "audio", "epoch": 1, "t0": 5.0, "mime": "audio/webm;codecs=opus"
    }  # fmt: skip
    assert v.queue[2:] == [b"\x00" + b"I" * 100, b"\x00" + b"c" * 10]


def test_viewers_joining_at_once_all_hear_the_voice(server: ServerProcess, voice: bytes) -> None:
    key, sid, _pub = _stream(server, "crowd")
    url = ws_base(server.url) + f"/ws/streams/{sid}/media"
    viewers = [ws_connect(url) for _ in range(8)]  # joins overlap on the server
    for v in viewers:
        assert json.loads(v.recv(timeout=10)) == {"type": "hello", "air": "on", "live": True}
    ws, _ = _studio(server.url, sid, key)
    _start(ws)
    for part in _slices(voice):
        ws.send(b"\x00" + part)
    for v in viewers:
        assert json.loads(v.recv(timeout=10))["type"] == "epoch"
        got = b""
        while len(got) < len(voice) - 16:
            got += v.recv(timeout=10)[1:]
        assert voice.startswith(got)
        v.close()


def test_voice_and_pause_cross_processes(tmp_path: Path, postgres: Any, voice: bytes) -> None:
    """Studio on process A, a viewer on B: pieces reach B through the bus and the store,
    and a pause published on B stops A taking media."""
    from tests.server.cluster import cluster
    from tests.services import shared_redis_url

    db = postgres.create()
    a, b = cluster(tmp_path, db, shared_redis_url(), 2)
    try:
        key, sid, pub = _stream(b, "twoplaces")
        viewer = ws_connect(ws_base(b.url) + f"/ws/streams/{sid}/media")
        assert json.loads(viewer.recv(timeout=10))["type"] == "hello"
        ws, _ = _studio(a.url, sid, key)
        _start(ws)
        for part in _slices(voice):
            ws.send(b"\x00" + part)
        first_msg = viewer.recv(timeout=15)
        assert isinstance(first_msg, str), (first_msg[:40], len(first_msg))
        assert json.loads(first_msg)["type"] == "epoch"
        got = b""
        while len(got) < len(voice) - 16:
            got += viewer.recv(timeout=15)[1:]
        assert voice.startswith(got)
        publish(pub, [{"pseq": 2, "t": 1.0, "kind": "air", "source": "stream",
                       "data": {"state": "paused"}}])  # fmt: skip
        msg = json.loads(ws.recv(timeout=15))
        while msg["type"] != "air":
            msg = json.loads(ws.recv(timeout=15))
        assert msg == {"type": "air", "state": "paused"}
        ws.send(b"\x00" + voice[:100])
        assert json.loads(ws.recv(timeout=10))["reason"] == "paused"
        viewer.close()
        ws.close()
    finally:
        for s in (a, b):
            s.stop()
        postgres.drop(db)


def _hello(url: str, key: str, **extra: Any) -> tuple[Any, dict[str, Any]]:
    """A publisher's hello with extra fields (its broadcast delay)."""
    ws = ws_connect(ws_base(url) + "/ws/publish")
    ws.send(json.dumps({"type": "hello", "key": key, "stream": None, "title": "Held",
                        "tags": [], **extra}))  # fmt: skip
    return ws, json.loads(ws.recv(timeout=10))


def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if msg["type"] == kind:
            return msg


def _air(pub: Any, pseq: int, t: float, state: str) -> None:
    publish(pub, [{"pseq": pseq, "t": t, "kind": "air", "source": "stream",
                   "data": {"state": state}}])  # fmt: skip


def test_a_hold_stops_the_studio_at_once_until_the_delayed_pause_arrives(
    server: ServerProcess, voice: bytes
) -> None:
    key = server.create_channel("held")
    # A delay that is not a number of seconds: refused, saying so.
    bad, err = _hello(server.url, key, delay="soon")
    assert err["type"] == "error" and "delay must be a number of seconds" in err["message"]
    bad.close()
    pub, welcome = _hello(server.url, key, delay=4)
    sid = welcome["stream"]
    publish(pub, [{"pseq": 1, "t": 0.0, "kind": "stream.start", "source": "stream",
                   "data": {"title": "Held"}}])  # fmt: skip
    ws, hello = _studio(server.url, sid, key)
    assert hello["air"] == "on" and hello["delay"] == 4
    _start(ws)
    parts = _slices(voice)
    for part in parts[:4]:
        ws.send(b"\x00" + part)
    wait_for(lambda: _media(server.url, sid)["tracks"].get("audio"))

    # The streamer pauses at t=5: the hold jumps the delay, the studio is told now.
    pub.send(json.dumps({"type": "hold", "air": "paused", "t": 5.0}))
    assert json.loads(ws.recv(timeout=10)) == {
        "type": "air", "state": "paused", "hold": True, "t": 5.0,
    }  # fmt: skip
    before = _media(server.url, sid)["tracks"]["audio"]
    ws.send(b"\x00" + parts[4])
    assert _next(ws, "refused")["reason"] == "paused"
    # A studio that connects now learns it from the store.
    late, late_hello = _studio(server.url, sid, key)
    assert late_hello["air"] == "paused"
    # An "on" from before the pause, only now out of the delay, does not resume the voice.
    _air(pub, 2, 3.0, "on")
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm"}))
    assert _next(ws, "refused")["reason"] == "paused"
    assert _media(server.url, sid)["tracks"]["audio"] == before
    # The pause itself arrives; then back on air, as the log says.
    _air(pub, 3, 5.0, "paused")
    assert _next(ws, "air") == {"type": "air", "state": "paused"}
    _air(pub, 4, 6.0, "on")
    assert _next(ws, "air") == {"type": "air", "state": "on"}
    assert [_next(late, "air")["state"] for _ in range(2)] == ["paused", "on"]
    # A start the studio held for the delay says how late it is: placed where it began,
    # never earlier than the delay allows (4 s + 2 s of slack).
    ws.send(json.dumps({"type": "ping"}))
    time.sleep(max(0.0, 6.5 - _next(ws, "pong")["t"]))  # stream time enough to go back 6 s
    ws.send(json.dumps({"type": "ping"}))
    now = _next(ws, "pong")["t"]
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm", "ago": 3.0}))
    started = _next(ws, "started")
    assert now - 3.0 <= started["t0"] < now - 2.5, (started, now)
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm", "ago": 1e6}))
    started = _next(ws, "started")
    assert now - 6.0 <= started["t0"] < now - 5.5, (started, now)
    ws.send(json.dumps({"type": "start", "track": "audio", "mime": "audio/webm", "ago": -1}))
    assert "ago must be a number" in _next(ws, "refused")["reason"]

    # A hold that is not a pause, or has no time: the publisher is told, and closed.
    pub.send(json.dumps({"type": "hold", "air": "on", "t": 7.0}))
    error = _next(pub, "error")
    assert error["code"] == "protocol" and '"air": "paused"' in error["message"]
    late.close()
    ws.close()


def test_a_hold_reaches_a_studio_on_another_process(
    tmp_path: Path, postgres: Any, voice: bytes
) -> None:
    """Publisher on B, studio on A: the hold crosses the bus at once, before its event."""
    from tests.server.cluster import cluster
    from tests.services import shared_redis_url

    db = postgres.create()
    a, b = cluster(tmp_path, db, shared_redis_url(), 2)
    try:
        key = b.create_channel("heldtwice")
        pub, welcome = _hello(b.url, key, delay=10)
        sid = welcome["stream"]
        ws, hello = _studio(a.url, sid, key)
        assert hello["delay"] == 10 and hello["air"] == "on"
        _start(ws)
        ws.send(b"\x00" + voice[:3000])
        pub.send(json.dumps({"type": "hold", "air": "paused", "t": 2.5}))
        assert _next(ws, "air") == {"type": "air", "state": "paused", "hold": True, "t": 2.5}
        ws.send(b"\x00" + voice[3000:4000])
        assert _next(ws, "refused")["reason"] == "paused"
        ws.close()
        pub.close()
    finally:
        for s in (a, b):
            s.stop()
        postgres.drop(db)
