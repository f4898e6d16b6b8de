"""Pairing with video platforms, in Chromium: the OBS overlay draws its panels over a
transparent page and follows the stream live; the stream page embeds the streamer's
Twitch/YouTube/HLS video from a checked id and holds its panels behind by the video's offset;
captions and the transcript show what the streamer said."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from ..helpers import publish, publisher, wait_for
from .conftest import BENCHCAST, BrowserServer, _clean_env, open_stream
from .test_archive import guest_says

pytestmark = pytest.mark.timeout(120)
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


class Live:
    """A publisher on the raw protocol, stamping events with real stream time."""

    def __init__(self, srv: BrowserServer, title: str) -> None:
        _name, self.key = srv.channel()
        self.ws, welcome = publisher(srv.url, self.key, title=title)
        self.id: str = welcome["stream"]
        self.start = time.monotonic()
        self.pseq = 0

    def send(self, *events: tuple[str, str, dict[str, Any]]) -> None:
        batch = []
        for kind, source, data in events:
            self.pseq += 1
            t = time.monotonic() - self.start
            batch.append({"pseq": self.pseq, "t": t, "kind": kind, "source": source, "data": data})
        replies = publish(self.ws, batch)
        assert all(r["type"] == "ack" for r in replies), replies

    def close(self) -> None:
        self.ws.close()


def rows(first: int, end: int, loss: Any) -> list[dict[str, Any]]:
    return [{"step": s, "values": {"loss": loss(s)}} for s in range(first, end)]


def shot(page: Any, name: str, **kw: Any) -> Image.Image:
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(path=str(SHOTS / name), **kw)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def box(page: Any, selector: str) -> dict[str, float]:
    b = page.locator(selector).bounding_box()
    assert b is not None, f"{selector} is not drawn"
    return b


def test_the_overlay_draws_opaque_panels_on_a_transparent_page_and_follows_the_stream(
    bserver: BrowserServer, browser: Any, page_errors: list[str]
) -> None:
    live = Live(bserver, "Overlay for OBS")
    live.send(
        ("stream.start", "stream", {"title": "Overlay for OBS", "tags": []}),
        ("now", "stream", {"goal": "Find the leak", "hypothesis": "the cache never evicts"}),
        ("run.start", "run:r1", {"run": "r1", "name": "baseline"}),
        ("metric", "run:r1", {"run": "r1", "rows": rows(0, 20, lambda s: 1 / (s + 1))}),
    )  # fmt: skip
    guest_says(bserver.url, live.id, "/chat", {"text": "hello from chat"})

    # OBS's browser source: no login, its own size, a transparent page.
    context = browser.new_context(viewport={"width": 640, "height": 720})
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("console", lambda m: page_errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{bserver.url}/s/{live.id}/overlay?panels=now,chart,chat&width=640&height=720")
    page.wait_for_function("() => window.overlay !== undefined")
    page.evaluate("() => window.overlay.ready")
    page.wait_for_function(
        "() => document.querySelector('[data-card=chat]').innerText.includes('hello from chat')"
    )
    page.locator("[data-card=now] .now-goal").wait_for()
    assert page.locator("[data-card=now]").inner_text().count("Find the leak") == 1
    page.wait_for_function("() => window.overlay.runs.chartLast('loss') === 19")
    page.locator("[data-card=chart] .rchart.is-overlay-shown canvas").first.wait_for()
    assert page.locator(".chat-compose").is_hidden(), "the overlay has no composer"

    img = shot(page, "overlay-transparent.png", omit_background=True)
    assert img.size == (640, 720)
    # Nothing is drawn in the top-left corner: fully transparent pixels.
    now_card = box(page, "[data-card=now]")
    assert now_card["y"] > 40, "the panels sit at the bottom, leaving the picture free"
    for x, y in ((2, 2), (320, 5), (630, 10), (5, int(now_card["y"]) - 30)):
        assert img.getpixel((x, y))[3] == 0, f"pixel {(x, y)} is not transparent"
    # Every card is drawn opaque, so it reads over any picture.
    for card in ("now", "chart", "chat"):
        b = box(page, f"[data-card={card}]")
        x, y = int(b["x"] + b["width"] / 2), int(b["y"] + b["height"] / 2)
        assert img.getpixel((x, y))[3] == 255, f"the {card} card is not opaque at {(x, y)}"

    # Live: a chat message, a new goal and new metric rows show up without a reload.
    guest_says(bserver.url, live.id, "/chat", {"text": "is it the LRU?"})
    live.send(
        ("now", "stream", {"goal": "Patch the cache", "next": "run the soak test"}),
        ("metric", "run:r1", {"run": "r1", "rows": rows(20, 25, lambda s: 0.04)}),
    )  # fmt: skip
    page.wait_for_function(
        "() => document.querySelector('[data-card=chat]').innerText.includes('is it the LRU?')"
    )
    page.wait_for_function(
        "() => document.querySelector('[data-card=now]').innerText.includes('Patch the cache')"
    )
    assert "Find the leak" not in page.locator("[data-card=now]").inner_text()
    page.wait_for_function("() => window.overlay.runs.chartLast('loss') === 24")
    shot(page, "overlay-live.png", omit_background=True)

    # A bad parameter is refused with a message saying what the overlay takes.
    res = httpx.get(f"{bserver.url}/s/{live.id}/overlay", params={"panels": "chat,video"})
    assert res.status_code == 400 and "each panel is one of chat, now, chart, captions" in res.text
    res = httpx.get(f"{bserver.url}/s/{live.id}/overlay", params={"scale": "9"})
    assert res.status_code == 400 and "scale=9 is out of range" in res.text
    # The channel's overlay URL opens its live stream.
    res = httpx.get(f"{bserver.url}/c/{page_channel(bserver, live.id)}/overlay?panels=chat")
    assert res.status_code == 307
    assert res.headers["location"] == f"/s/{live.id}/overlay?panels=chat"
    context.close()
    live.close()


def page_channel(srv: BrowserServer, stream_id: str) -> str:
    channel: str = srv.http.get(f"/api/streams/{stream_id}").json()["channel"]
    return channel


def test_the_overlay_scales_and_shows_captions(bserver: BrowserServer, browser: Any) -> None:
    live = Live(bserver, "Captions in the overlay")
    live.send(("stream.start", "stream", {"title": "Captions in the overlay", "tags": []}))
    context = browser.new_context(viewport={"width": 800, "height": 200})
    page = context.new_page()
    page.goto(f"{bserver.url}/s/{live.id}/overlay?panels=captions&scale=2&width=800&height=200")
    page.wait_for_function("() => window.overlay !== undefined")
    page.evaluate("() => window.overlay.ready")
    assert page.locator("[data-card=captions]").is_hidden(), "nothing said, nothing drawn"
    t = time.monotonic() - live.start
    live.send(("transcript", "voice", {"text": "the cache never evicts", "start": t, "end": t + 2}))
    page.locator("[data-card=captions]").wait_for()
    assert page.locator("[data-card=captions]").inner_text() == "the cache never evicts"
    # scale=2 doubles the text.
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.overlay-captions')).fontSize)"
        " * parseFloat(document.querySelector('[data-overlay]').style.zoom)"
    )
    assert size == pytest.approx(40, abs=1)
    img = shot(page, "overlay-captions.png", omit_background=True)
    assert img.getpixel((3, 3))[3] == 0
    context.close()
    live.close()


#: Stand-ins for the video sites, which this machine cannot reach: the page under test is ours;
#: theirs only has to load in the frame.
STUB = (
    "<!doctype html><body style='margin:0;background:#111;color:#aaa;font:16px sans-serif;"
    "display:grid;place-items:center;height:100vh'>{}</body>"
)


def stub_video_sites(page: Any) -> None:
    for host, label in (
        ("https://player.twitch.tv/**", "Twitch player"),
        ("https://www.youtube-nocookie.com/**", "YouTube player"),
        ("https://www.youtube.com/**", "YouTube live player"),
    ):
        page.route(host, _answer("text/html", STUB.format(label)))
    playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n"
    page.route("https://cdn.example.org/**", _answer("application/vnd.apple.mpegurl", playlist))


def _answer(content_type: str, body: str) -> Any:
    def handle(route: Any) -> None:
        route.fulfill(status=200, content_type=content_type, body=body)

    return handle


def notes_shown(page: Any) -> list[str]:
    texts: list[str] = page.evaluate("() => window.benchcast.notes.items().map((n) => n.text)")
    return texts


def test_the_stream_page_embeds_the_streamers_video_and_holds_the_panels_behind_by_its_offset(
    bserver: BrowserServer, page: Any
) -> None:
    live = Live(bserver, "Paired with Twitch")
    key = live.key
    live.send(
        ("stream.start", "stream", {"title": "Paired with Twitch", "tags": []}),
        ("video", "stream", {"provider": "twitch", "id": "ada_lab", "offset": 3.0}),
        ("note", "notes", {"text": "before the viewer came"}),
        ("term.open", "term:1", {"cols": 80, "rows": 20, "title": "bash"}),
        (
            "term.output",
            "term:1",
            {"text": "$ python soak.py --cache lru\r\nstep 1 rss 1.2 GB\r\n"},
        ),
    )
    stub_video_sites(page)
    open_stream(page, bserver.url, live.id)
    frame = page.locator(".ext-video iframe")
    assert frame.get_attribute("src") == (
        "https://player.twitch.tv/?channel=ada_lab&parent=127.0.0.1&muted=true&autoplay=true"
    )
    page.frame_locator(".ext-video iframe").get_by_text("Twitch player").wait_for()
    state = page.evaluate("() => window.benchcast.state()")
    assert state["live"] and state["delay"] == 3
    assert page.locator("[data-video-offset]").input_value() == "3"
    wait_for(lambda: notes_shown(page) == ["before the viewer came"], 10)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "stream-with-twitch.png"))

    # A note sent now reaches the panels three seconds later, in step with the video.
    sent = time.monotonic()
    live.send(("note", "notes", {"text": "said on camera"}))
    time.sleep(1.5)
    assert "said on camera" not in notes_shown(page), "the panels ran ahead of the video"
    wait_for(lambda: "said on camera" in notes_shown(page), 10)
    lag = time.monotonic() - sent
    assert 2.4 < lag < 6, f"the note showed {lag:.1f} s after it was sent, not ~3 s"
    assert page.evaluate("() => window.benchcast.state().live")

    # The viewer's video runs closer to live: they set their own offset, kept for the stream.
    page.locator("[data-video-offset]").fill("0")
    page.locator("[data-video-offset]").press("Enter")
    page.wait_for_function(
        "() => window.benchcast.state().delay === 0 && window.benchcast.state().live"
    )
    assert page.evaluate(f"() => localStorage.getItem('benchcast.videoOffset.{live.id}')") == "0"
    sent = time.monotonic()
    live.send(("note", "notes", {"text": "no wait now"}))
    wait_for(lambda: "no wait now" in notes_shown(page), 10)
    assert time.monotonic() - sent < 2

    # The streamer switches to YouTube mid-stream (with their key): the page follows.
    headers = {"Authorization": f"Bearer {key}"}
    res = bserver.http.post(
        f"/api/streams/{live.id}/events",
        json={"kind": "video", "data": {"provider": "youtube", "id": "dQw4w9WgXcQ", "offset": 4}},
        headers=headers,
    )
    assert res.status_code == 201, res.text
    page.wait_for_function(
        "() => document.querySelector('.ext-video iframe')?.src"
        " === 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&mute=1'"
    )
    # Only the checked shapes get in: no URL ever reaches an iframe.
    for bad in (
        {"provider": "youtube", "id": 'x" onload="alert(1)'},
        {"provider": "twitch", "id": "https://evil.example/"},
        {"provider": "hls", "url": "javascript:alert(1)"},
    ):
        res = bserver.http.post(
            f"/api/streams/{live.id}/events", json={"kind": "video", "data": bad}, headers=headers
        )
        assert res.status_code == 400, bad

    # HLS: a <video> where Chromium plays HLS itself, else a link to the stream.
    res = bserver.http.post(
        f"/api/streams/{live.id}/events",
        json={"kind": "video", "data": {"provider": "hls", "url": "https://cdn.example.org/live/index.m3u8"}},
        headers=headers,
    )  # fmt: skip
    assert res.status_code == 201, res.text
    page.wait_for_function("() => document.querySelector('.ext-video [data-embed^=hls]')")
    native = page.evaluate(
        "() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl')"
    )
    embed = page.locator(".ext-video [data-embed^=hls]")
    if native:
        assert embed.get_attribute("src") == "https://cdn.example.org/live/index.m3u8"
    else:
        assert embed.get_attribute("data-embed") == "hls-link"
        link = embed.locator("a")
        assert link.get_attribute("href") == "https://cdn.example.org/live/index.m3u8"
        assert "cannot play HLS" in embed.inner_text()
    page.screenshot(path=str(SHOTS / "stream-with-hls.png"))
    # The streamer removes the video: no player, no delay.
    res = bserver.http.post(
        f"/api/streams/{live.id}/events",
        json={"kind": "video", "data": {"provider": "none"}},
        headers=headers,
    )
    assert res.status_code == 201, res.text
    page.wait_for_function("() => document.querySelector('.ext-video').hidden")
    live.close()


def test_captions_and_the_transcript_show_what_the_streamer_said_and_search_finds_it(
    bserver: BrowserServer, page: Any
) -> None:
    live = Live(bserver, "Talking through the cache")
    live.send(
        ("stream.start", "stream", {"title": "Talking through the cache", "tags": []}),
        ("term.open", "term:1", {"cols": 80, "rows": 20, "title": "bash"}),
        ("term.output", "term:1", {"text": "$ python soak.py\r\nstep 1 rss 1.2 GB\r\n"}),
    )
    open_stream(page, bserver.url, live.id)
    time.sleep(max(0.0, live.start + 2.5 - time.monotonic()))  # said two seconds ago
    t = time.monotonic() - live.start
    said = "so we flush the wombat cache every epoch"
    live.send(("transcript", "voice", {"text": said, "start": round(t - 2, 3), "end": round(t, 3)}))
    page.wait_for_function("(s) => window.benchcast.captions.shown() === s", arg=said)
    assert page.locator("[data-captions]").is_visible()
    items = page.evaluate("() => window.benchcast.transcript.items()")
    assert items == [{"start": round(t - 2, 3), "text": said}]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "stream-captions.png"))
    # Captions go once the words are old.
    page.wait_for_function("() => window.benchcast.captions.shown() === ''", timeout=15_000)

    hits = wait_for(
        lambda: httpx.get(f"{bserver.url}/api/search", params={"q": "wombat"}).json()["hits"], 30
    )
    assert hits[0]["kind"] == "transcript" and hits[0]["t"] == pytest.approx(t - 2, abs=0.01)
    page.goto(f"{bserver.url}/search?q=wombat")
    hit = page.locator("[data-hit]")
    assert hit.locator(".hit-kind").inner_text().lower() == "transcript"
    assert "wombat" in hit.locator("mark").inner_text()
    hit.locator("[data-hit-link]").click()
    page.wait_for_url(f"**/s/{live.id}?t=*")
    page.wait_for_function("() => window.benchcast !== undefined")
    page.evaluate("() => window.benchcast.ready")
    assert page.evaluate("() => window.benchcast.state().t") == pytest.approx(t - 2, abs=0.05)
    live.close()


def test_the_streamer_sets_the_video_from_the_studio_and_viewers_get_it_live(
    bserver: BrowserServer, browser: Any, page: Any
) -> None:
    live = Live(bserver, "Paired from the studio")
    live.send(("stream.start", "stream", {"title": "Paired from the studio", "tags": []}))
    channel = page_channel(bserver, live.id)
    subprocess.run(
        [*BENCHCAST, "user", "add", "grace", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input="correct horse battery\n", text=True, check=True, env=_clean_env(),
        capture_output=True,
    )  # fmt: skip
    stub_video_sites(page)
    open_stream(page, bserver.url, live.id)
    assert page.locator(".ext-video").is_hidden()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    studio = context.new_page()
    studio.goto(f"{bserver.url}/login?next=/studio/{channel}")
    studio.fill("input[name=name]", "grace")
    studio.fill("input[name=password]", "correct horse battery")
    studio.click("button[type=submit]")
    studio.wait_for_url(f"**/studio/{channel}")
    studio.wait_for_function("() => window.narrate?.stream?.live")
    form = studio.locator("[data-video-form]")
    form.locator("input[name=link]").fill("https://www.twitch.tv/grace_codes")
    form.locator("input[name=offset]").fill("2")
    form.locator("button").click()
    studio.wait_for_function(
        "() => document.querySelector('[data-narrate-status]').textContent.includes('Sent (video)')"
    )
    form.scroll_into_view_if_needed()
    studio.screenshot(path=str(SHOTS / "studio-video.png"))
    form.locator("input[name=link]").fill("https://vimeo.com/123")
    form.locator("button").click()
    studio.wait_for_function(
        "() => document.querySelector('[data-narrate-status]').textContent"
        ".includes('not a video this page can show')"
    )
    context.close()

    page.wait_for_function(
        "() => document.querySelector('.ext-video iframe')?.src?.includes('channel=grace_codes')"
    )
    page.wait_for_function("() => window.benchcast.state().delay === 2")
    live.close()
