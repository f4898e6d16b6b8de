"""The streamer's voice in Chromium, with its fake microphone: the studio page captures and
sends, a viewer's page plays it live through Media Source Extensions, pausing the stream
stops it at the streamer's browser, the stored track is one valid WebM/Opus file, and in the
replay the voice and the terminal are at the same moment after a seek. With `benchcast
stream --delay`, the studio holds the voice for the delay, and a pause or panic typed into
the publisher's terminal stops it at once and drops what the browser still holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..helpers import publish, publisher, wait_for
from .conftest import (
    BENCHCAST,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    BrowserServer,
    _clean_env,
    normalize,
    open_stream,
    playwright_sync,
)

pytestmark = pytest.mark.timeout(240)

PASSWORD = "correct horse battery"
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def media_browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, *FAKE_MEDIA, "--autoplay-policy=no-user-gesture-required"],
            headless=True,
        )
        yield b
        b.close()


class Clock:
    """The publisher's side: terminal lines stamped with the stream's own clock."""

    def __init__(self, url: str, key: str) -> None:
        self.ws, welcome = publisher(url, key, title="Thinking aloud")
        self.sid: str = welcome["stream"]
        self.started = httpx.get(f"{url}/api/streams/{self.sid}").json()["started_at"]
        self.pseq = 0

    def now(self) -> float:
        return time.time() - self.started

    def send(self, kind: str, source: str, data: dict[str, Any]) -> float:
        self.pseq += 1
        t = self.now()
        publish(
            self.ws, [{"pseq": self.pseq, "t": t, "kind": kind, "source": source, "data": data}]
        )
        return t

    def ticks(self, seconds: float) -> None:
        """A terminal line every half second for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.send("term.output", "term:1", {"text": f"tick at {self.now():.1f}\r\n"})
            time.sleep(0.5)


def _media(url: str, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = httpx.get(f"{url}/api/streams/{sid}/media").json()
    return out


def _stored(url: str, sid: str) -> int:
    return sum(e["last"] for e in _media(url, sid)["tracks"].get("audio", [])[-1:])


def _viewer(browser: Any, errors: list[str]) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.set_default_timeout(20_000)
    return pg


def _wait(page: Any, js: str, arg: Any = None) -> None:
    """Wait for ``js`` to hold; on timeout, fail with the media panel's state."""
    try:
        page.wait_for_function(js, arg=arg)
    except playwright_sync.TimeoutError:
        state = page.evaluate(
            "() => [window.benchcast.player.state(), window.benchcast.media.state()]"
        )
        raise AssertionError(f"never held: {js}\n{state}") from None


def test_voice_goes_live_pauses_is_stored_and_replays_in_sync(
    bserver: BrowserServer, media_browser: Any, tmp_path: Any
) -> None:
    errors: list[str] = []
    channel, key = bserver.channel()
    subprocess.run(
        [*BENCHCAST, "user", "add", "vo", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    clock = Clock(bserver.url, key)
    sid = clock.sid
    clock.send("stream.start", "stream", {"title": "Thinking aloud", "tags": []})
    clock.send("term.open", "term:1", {"cols": 80, "rows": 24, "title": "bash"})

    # A stream with no voice yet: the track's address says so plainly.
    res = httpx.get(f"{bserver.url}/api/streams/{sid}/media/track.webm")
    assert res.status_code == 404 and "no media track" in res.json()["error"]

    studio_ctx = media_browser.new_context(viewport=VIEWPORT, permissions=["microphone", "camera"])
    studio = studio_ctx.new_page()
    studio.on("pageerror", lambda exc: errors.append(str(exc)))
    studio.set_default_timeout(20_000)
    studio.goto(f"{bserver.url}/login?next=/studio/{channel}")
    studio.fill("input[name=name]", "vo")
    studio.fill("input[name=password]", PASSWORD)
    studio.click("button[type=submit]")
    studio.wait_for_url(f"**/studio/{channel}")
    studio.click("[data-capture-start]")
    studio.wait_for_function("() => window.capture.state().sent.audio >= 4")
    state = studio.evaluate("() => window.capture.state()")
    assert state["air"] == "on" and state["recording"] == ["audio"], state
    studio.wait_for_function("() => window.capture.state().level > 0")  # the meter moves
    first_t0 = _media(bserver.url, sid)["tracks"]["audio"][0]["t0"]

    # A viewer hears it live: the media element plays and a SourceBuffer holds data.
    viewer = _viewer(media_browser, errors)
    open_stream(viewer, bserver.url, sid)
    ticks_from = clock.now()
    clock.ticks(1.0)
    viewer.wait_for_function(
        "() => { const s = window.benchcast.media.state(); return s.sourceBuffers > 0 && s.buffered"
        " && s.buffered.end > s.buffered.start && s.appended > 0; }"
    )
    t1 = viewer.evaluate("() => window.benchcast.media.state().currentTime")
    clock.ticks(1.5)
    live = viewer.evaluate("() => window.benchcast.media.state()")
    assert live["currentTime"] > t1 + 0.8, (t1, live)
    assert not live["paused"] and live["mode"] == "live"
    # Its clock is stream time: the voice is at the live edge the panels are at.
    edge = viewer.evaluate("() => window.benchcast.player.liveEdge()")
    assert abs(edge - live["currentTime"]) < 3.0, (edge, live)

    # Paused: the studio stops recording and sends nothing; the server stores nothing.
    clock.send("air", "stream", {"state": "paused"})
    studio.wait_for_function("() => window.capture.state().air === 'paused'")
    assert studio.evaluate("() => window.capture.state().recording") == []
    time.sleep(0.5)  # a slice already on the wire may land
    stored = _stored(bserver.url, sid)
    sent = studio.evaluate("() => window.capture.state().sent.audio")
    pause_from = clock.now()
    clock.ticks(2.5)
    pause_to = clock.now()
    assert _stored(bserver.url, sid) == stored
    assert studio.evaluate("() => window.capture.state().sent.audio") == sent
    assert studio.evaluate("() => window.capture.state().refused") == 0

    # Back on air: a new recording, placed where it began.
    clock.send("air", "stream", {"state": "on"})
    studio.wait_for_function("() => window.capture.state().recording.length === 1")
    clock.ticks(4.0)
    epochs = _media(bserver.url, sid)["tracks"]["audio"]
    assert len(epochs) == 2 and epochs[1]["t0"] >= pause_to - 0.5, (epochs, pause_to)
    studio.click("[data-capture-start]")  # off mic
    stopped = clock.now()
    clock.send("stream.end", "stream", {})
    clock.ws.close()

    # No piece of the stored track starts inside the pause.
    for ep in epochs:
        assert ep["end"] < pause_from + 0.5 or ep["t0"] > pause_to - 0.5, (ep, pause_from)

    # The stored track: one WebM file, Opus, as long as the voice was on (±1 s).
    track = httpx.get(f"{bserver.url}/api/streams/{sid}/media/track.webm", timeout=30)
    assert track.status_code == 200 and track.headers["content-type"].startswith("audio/webm")
    path = tmp_path / "track.webm"
    path.write_bytes(track.content)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_type:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    info = json.loads(probe.stdout)
    assert [(s["codec_type"], s["codec_name"]) for s in info["streams"]] == [("audio", "opus")]
    expected = stopped - first_t0
    assert abs(float(info["format"]["duration"]) - expected) < 1.0, (info, expected)
    packets = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert abs(float(packets[-1]) - expected) < 1.0, (packets[-1], expected)
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr

    # Replay: seek to a moment of the first recording; voice and terminal go there together.
    at = round((ticks_from + pause_from) / 2, 1)
    assert epochs[0]["t0"] < at < epochs[0]["end"]
    replay = _viewer(media_browser, errors)
    open_stream(replay, bserver.url, sid)
    replay.evaluate("(t) => window.benchcast.player.seek(t, {play: false})", at)
    _wait(
        replay,
        "(t) => { const s = window.benchcast.media.state();"
        " return s.buffered && Math.abs(s.currentTime - t) < 0.3; }",
        at,
    )
    assert abs(replay.evaluate("() => window.benchcast.player.position()") - at) < 0.01
    screen = normalize(replay.evaluate("() => window.benchcast.screenText()"))
    assert screen == bserver.screen_at(sid, t=at) and "tick at" in screen, screen
    # A seek into the second recording (after the pause) lands there too.
    later = round(epochs[1]["t0"] + 0.5, 1)
    replay.evaluate("(t) => window.benchcast.player.seek(t, {play: false})", later)
    _wait(replay, "(t) => Math.abs(window.benchcast.media.state().currentTime - t) < 0.3", later)
    screen = normalize(replay.evaluate("() => window.benchcast.screenText()"))
    assert screen == bserver.screen_at(sid, t=later), screen
    # Playing at double speed: together, and the voice keeps its pitch.
    replay.evaluate(
        "() => { window.benchcast.player.setSpeed(2); window.benchcast.player.play(); }"
    )
    time.sleep(1.0)
    pos, media = replay.evaluate(
        "() => [window.benchcast.player.position(), window.benchcast.media.state()]"
    )
    assert later + 1.0 < pos < epochs[1]["end"], (pos, later, epochs[1])
    assert abs(media["currentTime"] - pos) < 0.5, (media, pos)
    assert media["playbackRate"] == 2 and media["preservesPitch"] is True and not media["paused"]

    shots = "build/screenshots"
    replay.screenshot(path=f"{shots}/media-viewer.png")
    studio_ctx.close()
    assert not errors, errors


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass


def _delayed_publisher(url: str, key: str, data: Path, delay: float) -> tuple[Any, int]:
    """`benchcast stream --delay` on a pty of ours (its hotkeys are typed into the master)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [*BENCHCAST, "stream", "--server", url, "--key", key, "--data", str(data),
         "--delay", str(delay), "--title", "Held voice", "--",
         "bash", "-c", "for i in $(seq 1 900); do echo tick $i; sleep 0.2; done"],
        stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, env=_clean_env(),
    )  # fmt: skip
    os.close(slave)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    return proc, master


def _air_events(url: str, sid: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{url}/api/streams/{sid}/events", params={"limit": 5000}).json()
    return [e for e in page["events"] if e["kind"] == "air"]


def test_with_a_delay_the_voice_waits_it_out_and_pause_or_panic_stop_it_at_once(
    bserver: BrowserServer, media_browser: Any, tmp_path: Path
) -> None:
    delay = 4.0
    errors: list[str] = []
    channel, key = bserver.channel()
    subprocess.run(
        [*BENCHCAST, "user", "add", "vd", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    proc, master = _delayed_publisher(bserver.url, key, tmp_path / "pub", delay)
    try:
        streams = wait_for_streams(bserver.url, channel)
        sid = streams[0]["id"]
        started = streams[0]["started_at"]
        studio_ctx = media_browser.new_context(viewport=VIEWPORT, permissions=["microphone"])
        studio = studio_ctx.new_page()
        studio.on("pageerror", lambda exc: errors.append(str(exc)))
        studio.set_default_timeout(20_000)
        studio.goto(f"{bserver.url}/login?next=/studio/{channel}")
        studio.fill("input[name=name]", "vd")
        studio.fill("input[name=password]", PASSWORD)
        studio.click("button[type=submit]")
        studio.wait_for_url(f"**/studio/{channel}")
        studio.click("[data-capture-start]")
        studio.wait_for_function(
            "(d) => window.capture.state().delay === d"
            " && window.capture.state().recording.length === 1",
            arg=delay,
        )

        # Held in the browser: each stored piece is at least the delay old when it lands.
        ages: list[float] = []
        most_held = 0
        seen = 0
        until = time.monotonic() + 8.0
        while time.monotonic() < until:
            most_held = max(most_held, studio.evaluate("() => window.capture.state().held"))
            eps = _media(bserver.url, sid)["tracks"].get("audio", [])
            if eps and eps[-1]["last"] > seen:
                seen = eps[-1]["last"]
                ages.append(time.time() - (started + eps[-1]["end"]))
            time.sleep(0.1)
        assert ages, "nothing was stored in 8 s"
        assert min(ages) >= delay - 0.2, ages
        assert min(ages) < delay + 2.0, ages  # held for the delay, not for ever
        assert most_held >= 8, most_held  # 250 ms slices: ~16 are held for 4 s
        status = studio.text_content("[data-capture-status]")
        assert status is not None and "goes out 4 s after you speak" in status, status
        studio.screenshot(path="build/screenshots/studio-voice-delay-on.png")

        # Pause (Ctrl-] p): the studio stops at once, before the pause is out of the delay.
        os.write(master, b"\x1dp")
        pressed = time.monotonic()
        studio.wait_for_function(
            "() => window.capture.state().air === 'paused'"
            " && window.capture.state().recording.length === 0"
        )
        stopped_after = time.monotonic() - pressed
        assert not [e for e in _air_events(bserver.url, sid) if e["data"]["state"] == "paused"]
        assert stopped_after < 2.0, stopped_after
        dropped = studio.evaluate("() => window.capture.state()")
        assert dropped["held"] == 0 and dropped["dropped"] >= 8, dropped
        pause = wait_for(
            lambda: [e for e in _air_events(bserver.url, sid) if e["data"]["state"] == "paused"]
        )[0]
        time.sleep(1.0)
        for ep in _media(bserver.url, sid)["tracks"]["audio"]:
            assert ep["end"] <= pause["t"], (ep, pause)

        # Back on air (after the delay, as the log says), then panic (Ctrl-] x).
        os.write(master, b"\x1dp")
        studio.wait_for_function("() => window.capture.state().recording.length === 1")
        wait_for(
            lambda: (
                len(eps := _media(bserver.url, sid)["tracks"]["audio"]) == 2
                and eps[1]["end"] > eps[1]["t0"] + 1.5
            )
        )
        os.write(master, b"\x1dx")
        studio.wait_for_function("() => window.capture.state().recording.length === 0")
        assert studio.evaluate("() => window.capture.state().held") == 0
        panic = wait_for(
            lambda: [
                e for e in _air_events(bserver.url, sid)
                if e["data"]["state"] == "paused" and e["t"] > pause["t"]
            ]
        )[0]  # fmt: skip
        time.sleep(1.5)
        epochs = _media(bserver.url, sid)["tracks"]["audio"]
        assert len(epochs) == 2 and epochs[1]["end"] > epochs[1]["t0"] + 1.5, epochs
        # Nothing recorded in the delay's last seconds before the panic was ever sent.
        for ep in epochs:
            assert ep["end"] <= panic["t"] - delay + 0.3, (ep, panic)
        studio.screenshot(path="build/screenshots/studio-voice-delay-panic.png")
        studio_ctx.close()
    finally:
        proc.terminate()
        proc.wait(20)
        os.close(master)
    assert not errors, errors


def wait_for_streams(url: str, channel: str) -> list[dict[str, Any]]:
    """The channel's streams, once the publisher's hello has made one."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        streams: list[dict[str, Any]] = httpx.get(
            f"{url}/api/streams", params={"channel": channel}
        ).json()["streams"]
        if streams:
            return streams
        time.sleep(0.05)
    raise AssertionError("the publisher's stream never appeared")
