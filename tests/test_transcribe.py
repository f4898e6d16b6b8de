"""`benchcast transcribe`: without faster-whisper or a model it says how to enable it; with a
recognizer, what it hears goes through the running publisher (redacted like any text), is
stored as `transcript` events timed by the audio, and search finds it at the moment it was
said. faster-whisper and its models are too big for the test environment, so the recognizer
here is a stand-in that reports one segment per window; everything around it is real: ffmpeg
decoding a real audio file, the control socket, the publisher, the server, the index."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import BENCHCAST, ServerProcess, run_cli
from tests.helpers import archive, wait_for
from tests.secrets.fake_secrets import FAKE

no_whisper = pytest.mark.skipif(
    importlib.util.find_spec("faster_whisper") is not None,
    reason="faster-whisper is installed here: the message for its absence cannot show",
)


@no_whisper
def test_without_faster_whisper_transcribe_says_how_to_enable_it(tmp_path: Path) -> None:
    for args in ([], ["--model", str(tmp_path)]):
        res = run_cli("transcribe", *args, "--data", str(tmp_path))
        assert res.returncode == 2, res.stderr
        assert res.stderr.startswith("benchcast: faster-whisper is not installed.")
        assert "pip install 'benchcast[transcribe]'" in res.stderr
        assert "benchcast transcribe --model FOLDER" in res.stderr
        assert "nothing is downloaded" in res.stderr


def test_transcribe_help_says_what_it_needs() -> None:
    res = run_cli("transcribe", "--help")
    assert res.returncode == 0
    assert "faster-whisper" in res.stdout and "--model FOLDER" in res.stdout


INSIDE = """
import os, sys
from pathlib import Path
from benchcast.transcribe import Segment, _decoder, _publisher, transcribe

said = iter(sys.argv[2:])

def recognize(pcm):
    # One segment per window: a second in, lasting two (the stand-in for faster-whisper).
    return [Segment(1.0, 3.0, next(said))]

dec = _decoder(sys.argv[1])
emit = _publisher(Path(os.environ["BENCHCAST_CONTROL"]))
with dec.stdout:
    n = transcribe(dec.stdout, recognize, emit, offset=lambda: 100.0, window=8.0)
dec.wait()
print("sent", n)
"""


def test_what_is_heard_is_redacted_stored_timed_and_found_by_search(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    audio = tmp_path / "voice.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=220:duration=12", str(audio)],
        check=True, timeout=60,
    )  # fmt: skip
    script = tmp_path / "inside.py"
    script.write_text(textwrap.dedent(INSIDE))
    token = FAKE["github-token"]
    key = server.create_channel("voice")
    res = subprocess.run(
        [*BENCHCAST, "stream", "--server", server.url, "--key", key,
         "--data", str(tmp_path / "pub"), "--", sys.executable, str(script), str(audio),
         "the quokka cache never evicts", f"my token is {token} oops"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, env=env_clean,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    sid = httpx.get(server.url + "/api/streams").json()["streams"][0]["id"]
    events = archive(server.url, sid)
    said = [e["data"] for e in events if e["kind"] == "transcript"]
    assert [(s["start"], s["end"]) for s in said] == [(101.0, 103.0), (109.0, 111.0)]
    assert said[0]["text"] == "the quokka cache never evicts"
    assert said[1]["text"].startswith("my token is ") and token not in said[1]["text"]
    assert any(e["kind"] == "redacted" for e in events)
    term = "".join(e["data"].get("text", "") for e in events if e["kind"] == "term.output")
    assert "sent 2" in term

    hits = wait_for(
        lambda: httpx.get(server.url + "/api/search", params={"q": "quokka"}).json()["hits"], 30
    )
    assert hits[0]["kind"] == "transcript"
    assert hits[0]["t"] == pytest.approx(101.0)
    assert f"/s/{sid}?t=101" in hits[0]["url"]


def sine_voice(path: Path, seconds: int) -> Path:
    """A WebM/Opus recording of a tone, cut in clusters as the studio's recorder cuts them."""
    tone = f"sine=frequency=220:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", tone, "-c:a", "libopus",
         "-b:a", "32k", "-live", "1", "-cluster_time_limit", "1000", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def test_the_live_voice_track_is_followed_as_it_grows(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from benchcast.transcribe import Segment, _decoder, follow_track, transcribe
    from tests.server.test_media import _slices, _start, _stream, _studio

    voice = sine_voice(tmp_path / "voice.webm", 12)
    key, sid, pub = _stream(server, "follow")
    ws, _hello = _studio(server.url, sid, key)
    t0 = _start(ws)["t0"]
    parts = _slices(voice.read_bytes())
    half = len(parts) // 2
    for part in parts[:half]:
        ws.send(b"\x00" + part)
    url = f"{server.url}/api/streams/{sid}/media/track.webm"
    wait_for(lambda: httpx.get(url).status_code == 200)

    fetches = {"n": 0}
    rest_sent = threading.Event()

    def alive() -> bool:
        fetches["n"] += 1
        if fetches["n"] == 1:  # the track grows after the first look
            for part in parts[half:]:
                ws.send(b"\x00" + part)
            time.sleep(1.0)
            rest_sent.set()
            return True
        return False

    monkeypatch.setattr("benchcast.transcribe.POLL", 0.2)
    dec = _decoder(None)
    assert dec.stdin is not None and dec.stdout is not None
    start = {"t0": -1.0}

    def feed() -> None:
        assert dec.stdin is not None
        follow_track(url, dec.stdin, alive=alive, on_start=lambda t: start.update(t0=t))
        dec.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    heard: list[float] = []

    def recognize(pcm: bytes) -> list[Segment]:
        heard.append(len(pcm) / (16_000 * 2))
        return [Segment(0.5, 1.5, f"window {len(heard)}")]

    sent: list[dict[str, object]] = []
    with dec.stdout:
        n = transcribe(dec.stdout, recognize, sent.extend, offset=lambda: start["t0"], window=8.0)
    dec.wait()
    assert rest_sent.is_set() and fetches["n"] == 2
    assert start["t0"] == pytest.approx(t0)
    # All twelve seconds, the second half fetched after the first: two windows, 8 s and ~4 s.
    assert n == 2 and heard[0] == 8.0 and heard[1] == pytest.approx(4.0, abs=0.1)
    assert [e["data"]["start"] for e in sent] == [  # type: ignore[index]
        pytest.approx(t0 + 0.5, abs=0.001),
        pytest.approx(t0 + 8.5, abs=0.001),
    ]
    ws.close()
    pub.close()


def test_a_private_streams_track_is_followed_with_the_channels_key(
    server: ServerProcess, tmp_path: Path
) -> None:
    import io

    from benchcast.transcribe import TranscribeError, follow_track
    from tests.server.test_media import _slices, _start, _stream, _studio

    voice = sine_voice(tmp_path / "voice.webm", 3)
    key, sid, pub = _stream(server, "hush")
    auth = {"Authorization": f"Bearer {key}"}
    res = httpx.post(f"{server.url}/api/streams/{sid}/visibility", json={"visibility": "private"},
                     headers=auth)  # fmt: skip
    assert res.status_code == 200, res.text
    ws = _studio(server.url, sid, key)[0]
    _start(ws)
    for part in _slices(voice.read_bytes()):
        ws.send(b"\x00" + part)
    url = f"{server.url}/api/streams/{sid}/media/track.webm"
    wait_for(lambda: httpx.get(url, headers=auth).status_code == 200)
    # Without the key the stream is not there: said at once, not waited on for ever.
    with pytest.raises(TranscribeError, match="--key"):
        follow_track(url, io.BytesIO(), alive=lambda: True)
    got = io.BytesIO()
    follow_track(url, got, alive=lambda: False, key=key)
    assert got.getvalue()[:4] == b"\x1a\x45\xdf\xa3"  # a WebM (EBML) file
    ws.close()
    pub.close()


def test_a_configured_key_goes_only_to_the_configured_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchcast.transcribe import _key_for

    monkeypatch.setenv("BENCHCAST_SERVER", "http://127.0.0.1:8000/")
    monkeypatch.setenv("BENCHCAST_KEY", "bck_configured")
    own = "http://127.0.0.1:8000/api/streams/abc/media/track.webm"
    assert _key_for(own, None) == "bck_configured"
    assert _key_for("http://elsewhere.test/api/streams/abc/media/track.webm", None) is None
    assert _key_for("http://127.0.0.1:9000/api/streams/abc/media/track.webm", None) is None
    assert _key_for("http://elsewhere.test/t.webm", "bck_given") == "bck_given"  # as told
