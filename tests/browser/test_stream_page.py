"""The stream page in Chromium: live viewing, replay, seeking, DVR, resume after a drop.

The reference for "what should the screen show" is always the server's own fold
(benchcast.replay.fold) over the stored events: the page must agree with a full replay
from the first event, however it got there (keyframe join, seek, resume, catch-up).
"""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import publish, publisher
from .conftest import BrowserServer, open_stream, wait_screen, wait_text

pytestmark = pytest.mark.timeout(90)

STEPS = 'for i in 1 2 3 4 5; do echo "step $i"; sleep 1; done'


@pytest.fixture(scope="module")
def steps(bserver: BrowserServer) -> str:
    """A finished stream: "step 1" … "step 5", one second apart."""
    stream = bserver.publish(STEPS, title="Five steps", tags=("ml", "tutorial"))
    stream.wait()
    return stream.id


def state(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("() => window.benchcast.state()")
    return result


def test_live_stream_shows_output_and_live_badge(bserver: BrowserServer, page: Any) -> None:
    stream = bserver.publish(
        "printf '\\033[1;32mhello\\033[0m from the bench\\n'; echo line 1; echo line 2; sleep 4",
        title="Live output",
    )
    open_stream(page, bserver.url, stream.id)
    wait_text(page, "hello from the bench")
    wait_text(page, "line 2")
    assert page.locator("[data-live-badge]").is_visible()
    assert not page.locator("[data-past-badge]").is_visible()
    page.wait_for_function("() => window.benchcast.state().viewers >= 1")
    assert page.locator("[data-viewers]").inner_text().strip() == "1 viewer"
    s = state(page)
    assert s["live"] and s["streamLive"] and s["playing"]
    assert page.locator("[data-golive]").text_content().strip() == "LIVE"

    # The stream ends while we watch: the badge goes, the page says so, the screen stays.
    stream.wait()
    page.wait_for_function("() => !window.benchcast.state().streamLive")
    assert not page.locator("[data-live-badge]").is_visible()
    assert page.locator("[data-past-badge]").is_visible()
    assert page.locator(".notice-end").inner_text().startswith("Stream ended")
    wait_screen(page, bserver.screen_at(stream.id))


def test_past_stream_seek_matches_full_replay(
    bserver: BrowserServer, steps: str, page: Any
) -> None:
    info = bserver.http.get(f"/api/streams/{steps}").json()
    assert len(info["keyframes"]) > 2, "the test server writes a keyframe every second"
    open_stream(page, bserver.url, steps)
    s = state(page)
    assert not s["live"] and not s["playing"] and s["t"] == 0
    # Before the first play, the last picture stands as a poster behind the play button.
    assert s["poster"]
    wait_text(page, "step 5")
    assert page.locator("[data-big-play]").is_visible()

    for t in (2.5, 0.5, 4.2, 1.5):
        # The seek bar, as a viewer drags and releases it.
        page.locator("[data-seek]").fill(str(t))
        page.wait_for_function(
            "(t) => { const s = window.benchcast.state(); return !s.busy && s.t === t; }", arg=t
        )
        wait_screen(page, bserver.screen_at(steps, t=t))

    page.locator("[data-seek]").fill("2.5")
    wait_text(page, "step 3")
    text = page.evaluate("() => window.benchcast.screenText()")
    assert "step 1" in text and "step 2" in text
    assert "step 4" not in text and "step 5" not in text
    assert page.locator("[data-pos]").inner_text() == "0:02"


def test_playback_at_speed_reaches_the_end(bserver: BrowserServer, steps: str, page: Any) -> None:
    open_stream(page, bserver.url, steps)
    for _ in range(4):
        page.keyboard.press("]")
    assert state(page)["speed"] == 16
    page.keyboard.press("[")
    assert state(page)["speed"] == 8
    page.keyboard.press("Space")
    assert state(page)["playing"]
    page.wait_for_function("() => !window.benchcast.state().playing", timeout=15_000)
    s = state(page)
    assert s["t"] == pytest.approx(s["duration"])
    wait_screen(page, bserver.screen_at(steps))
    assert page.locator(".notice-end").is_visible()
    # At the end, the big button offers to play again from the start.
    assert page.locator("[data-big-play].replay").is_visible()


def test_keyboard_seeks(bserver: BrowserServer, steps: str, page: Any) -> None:
    open_stream(page, bserver.url, steps)
    page.keyboard.press("5")  # 50 %
    page.wait_for_function("() => !window.benchcast.state().busy")
    half = state(page)["duration"] / 2
    assert state(page)["t"] == pytest.approx(half)
    wait_screen(page, bserver.screen_at(steps, t=half))
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "(t) => { const s = window.benchcast.state(); return !s.busy && s.t === t; }",
        arg=max(0.0, half - 5),
    )
    page.keyboard.press("End")
    page.wait_for_function("() => window.benchcast.state().t === window.benchcast.state().duration")
    wait_screen(page, bserver.screen_at(steps))
    page.keyboard.press("?")
    assert page.locator("[data-help-panel]").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("[data-help-panel]").is_visible()


def test_start_time_in_the_address(bserver: BrowserServer, steps: str, page: Any) -> None:
    open_stream(page, bserver.url, steps, "?t=3.5")
    assert state(page)["t"] == 3.5
    wait_screen(page, bserver.screen_at(steps, t=3.5))


def test_live_viewer_resumes_after_drops_without_gaps_or_repeats(
    bserver: BrowserServer, page: Any
) -> None:
    # 60 numbered lines on a 24-row screen: a lost or repeated event shows on the screen.
    stream = bserver.publish(
        'for i in $(seq 1 60); do echo "tick $i"; sleep 0.08; done; sleep 0.5',
        title="Ticks",
    )
    open_stream(page, bserver.url, stream.id)
    for n in (10, 25, 40):
        wait_text(page, f"tick {n}")
        page.evaluate("() => window.benchcast.player.feed.drop()")
    stream.wait()
    page.wait_for_function("() => !window.benchcast.state().streamLive")
    wait_screen(page, bserver.screen_at(stream.id))


def test_dvr_rewind_then_go_live(bserver: BrowserServer, page: Any) -> None:
    stream = bserver.publish(
        'for i in $(seq 1 48); do echo "beat $i"; sleep 0.25; done', title="Heartbeat"
    )
    open_stream(page, bserver.url, stream.id)
    wait_text(page, "beat 28")  # 7 s in
    page.keyboard.press("Space")  # pause: the picture freezes, behind live from now on
    s = state(page)
    assert not s["live"] and not s["playing"] and s["streamLive"]
    frozen = s["seq"]
    wait_screen(page, bserver.screen_at(stream.id, seq=frozen))
    golive = page.locator("[data-golive]")
    assert golive.text_content().strip() == "Go live"

    page.keyboard.press("ArrowLeft")  # rewind 5 s, still paused
    page.wait_for_function(
        "(q) => window.benchcast.state().seq < q && !window.benchcast.state().busy", arg=frozen
    )
    s = state(page)
    assert 1 < s["t"] < 4
    wait_screen(page, bserver.screen_at(stream.id, t=s["t"]))

    golive.click()
    page.wait_for_function("() => window.benchcast.state().live")
    assert golive.text_content().strip() == "LIVE"
    stream.wait()
    page.wait_for_function("() => !window.benchcast.state().streamLive")
    wait_screen(page, bserver.screen_at(stream.id))
    assert "beat 48" in page.evaluate("() => window.benchcast.screenText()")


def test_idle_gaps_are_cut_short_in_replay(bserver: BrowserServer, page: Any) -> None:
    stream = bserver.publish("echo before; sleep 7; echo after", title="Coffee break")
    stream.wait()
    open_stream(page, bserver.url, stream.id, "?t=0")  # at 0, not behind the poster
    page.keyboard.press("Space")
    wait_text(page, "before")
    started = page.evaluate("() => performance.now()")
    # Seven seconds of silence play as two (MAX_IDLE); allow generous slack, never seven.
    wait_text(page, "after", timeout=5_000)
    elapsed = (page.evaluate("() => performance.now()") - started) / 1000
    assert 1.5 < elapsed < 5


def test_notices_and_terminals_from_raw_events(bserver: BrowserServer, page: Any) -> None:
    """Kinds a shell rarely makes, sent with the publisher protocol: drops, redactions,
    going off air, a second terminal, a resize."""
    _, key = bserver.channel()
    ws, welcome = publisher(bserver.url, key, title="Raw events")
    pseq = 0

    def send(t: float, kind: str, source: str, data: dict[str, Any]) -> None:
        nonlocal pseq
        pseq += 1
        ev = {"pseq": pseq, "t": t, "kind": kind, "source": source, "data": data}
        assert publish(ws, [ev])[-1]["type"] == "ack"

    try:
        send(0.0, "stream.start", "stream", {"title": "Raw events", "tags": []})
        send(0.0, "term.open", "term:1", {"cols": 80, "rows": 24, "title": "zsh"})
        send(0.1, "term.output", "term:1", {"text": "hello\r\n"})
        open_stream(page, bserver.url, welcome["stream"])
        wait_text(page, "hello")

        send(1.0, "term.dropped", "term:1", {"bytes": 3_500_000, "reason": "rate cap"})
        notice = page.locator(".notice-warn")
        notice.wait_for()
        assert notice.locator(".notice-text").inner_text() == "3.5 MB of output not sent: rate cap"

        send(1.5, "air", "stream", {"state": "paused"})
        page.locator("[data-off-air]").wait_for(state="visible")
        send(2.0, "air", "stream", {"state": "on"})
        page.locator("[data-off-air]").wait_for(state="hidden")

        send(2.1, "redacted", "term:1", {"count": 2, "rules": ["aws-key"]})
        page.locator(".notice-info", has_text="2 secrets hidden").wait_for()

        send(2.2, "term.open", "term:2", {"cols": 60, "rows": 10, "title": "htop"})
        send(2.3, "term.output", "term:2", {"text": "second terminal"})
        page.wait_for_function(
            "() => window.benchcast.screenText('term:2').includes('second terminal')"
        )
        assert page.locator(".term").count() == 2
        assert page.locator(".term[data-source='term:2'] .term-title").inner_text() == "htop"

        send(2.4, "term.resize", "term:1", {"cols": 100, "rows": 30})
        page.wait_for_function("() => window.benchcast.term.cols === 100")
        assert page.locator(".term[data-source='term:1'] .term-size").inner_text() == "100\u00d730"

        send(2.5, "term.close", "term:1", {"status": 0})
        send(2.5, "stream.end", "stream", {"reason": "finished"})
        page.locator(".notice-end").wait_for()
        assert page.locator(".term[data-source='term:1'] .term-state").inner_text() == "exited"
    finally:
        ws.close()

    # The same notices come back in a replay, at their moment in the stream.
    open_stream(page, bserver.url, welcome["stream"], "?t=0.5")
    assert page.locator(".notice").count() == 0
    page.keyboard.press("Space")
    page.locator(".notice-warn").wait_for()
    page.locator(".notice-end").wait_for()
    assert page.locator(".notice-info").count() == 1
