"""The archive in Chromium: a word seen only in terminal output an hour and a half into a
stream is found by search and opens the stream at that moment with the word on screen; a
viewer who joins half an hour in sees the catch-up panel; a stream exported as one HTML file
replays from file:// with no server."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..helpers import publish, publisher, wait_for
from .conftest import BrowserServer, open_stream, wait_text

pytestmark = pytest.mark.timeout(120)

AT = 5025.0  # 01:23:45


def guest_says(url: str, stream_id: str, path: str, body: dict[str, Any]) -> None:
    """A viewer's chat message or question, through the audience API as a browser sends it."""
    with httpx.Client(base_url=url, timeout=10) as client:
        csrf = client.get("/api/session").json()["csrf"]
        headers = {"X-CSRF-Token": csrf}
        client.post("/api/session/guest", json={"name": "bo"}, headers=headers).raise_for_status()
        res = client.post(f"/api/streams/{stream_id}{path}", json=body, headers=headers)
        assert res.status_code in (200, 201), res.text


def events(specs: list[tuple[float, str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {"pseq": i, "t": t, "kind": k, "source": s, "data": d}
        for i, (t, k, s, d) in enumerate(specs, 1)
    ]


def send(ws: Any, evs: list[dict[str, Any]]) -> None:
    for i in range(0, len(evs), 500):
        publish(ws, evs[i : i + 500])


def test_search_finds_a_word_from_the_terminal_and_opens_the_stream_at_it(
    bserver: BrowserServer, page: Any
) -> None:
    _name, key = bserver.channel()
    ws, welcome = publisher(bserver.url, key, title="Ninety minutes of training")
    sid = welcome["stream"]
    specs: list[tuple[float, str, str, dict[str, Any]]] = [
        (0.0, "term.open", "term:1", {"cols": 90, "rows": 24, "title": "train"}),
    ]
    t = 1.0
    while t < 5400:
        if t <= AT < t + 10:
            warning = "\x1b[33mWARNING\x1b[0m overflow in \x1b[1mzanzibar\x1b[0m_proj\r\n"
            specs.append((AT, "term.output", "term:1", {"text": warning}))
        specs.append((t, "term.output", "term:1", {"text": f"step {int(t)} loss {1 / t:.5f}\r\n"}))
        t += 10.0
    specs.sort(key=lambda s: s[0])
    specs.append((5400.0, "stream.end", "stream", {"reason": "done"}))
    send(ws, events(specs))
    ws.close()
    wait_for(
        lambda: httpx.get(f"{bserver.url}/api/search", params={"q": "zanzibar"}).json()["hits"], 30
    )

    page.goto(f"{bserver.url}/")
    page.locator(".topsearch input").fill("zanzibar")
    page.locator(".topsearch input").press("Enter")
    page.wait_for_url("**/search?q=zanzibar")
    hit = page.locator("[data-hit]")
    assert hit.count() == 1
    assert "1:23:45" in hit.locator("[data-hit-link]").inner_text()
    assert hit.locator("mark").inner_text() == "zanzibar"
    hit.locator("[data-hit-link]").click()
    page.wait_for_url(f"**/s/{sid}?t=*")
    page.wait_for_function("() => window.benchcast !== undefined")
    page.evaluate("() => window.benchcast.ready")
    wait_text(page, "WARNING overflow in zanzibar_proj")
    state = page.evaluate("() => window.benchcast.state()")
    assert abs(state["t"] - AT) < 0.01 and not state["playing"]
    assert page.locator("[data-pos]").inner_text() == "1:23:45"


def test_a_viewer_joining_at_minute_30_sees_what_happened_so_far(
    bserver: BrowserServer, page: Any
) -> None:
    _name, key = bserver.channel()
    ws, welcome = publisher(bserver.url, key, title="Sweeping learning rates")
    sid = welcome["stream"]
    start = {
        "title": "Sweeping learning rates",
        "tags": ["ml"],
        "activity": "launching experiments",
    }
    now = {"goal": "Find the best learning rate", "hypothesis": "3e-4 beats 1e-3"}
    run = {"run": "r1", "name": "lr-sweep-3", "config": {"lr": 0.001}}
    metric = {"run": "r1", "rows": [{"step": 100, "values": {"loss": 0.4213}}]}
    specs: list[tuple[float, str, str, dict[str, Any]]] = [
        (0.0, "stream.start", "stream", start),
        (0.5, "term.open", "term:1", {"cols": 80, "rows": 20, "title": "bash"}),
        (60.0, "now", "stream", now),
        (300.0, "run.start", "run:r1", run),
        (900.0, "metric", "run:r1", metric),
        (1200.0, "marker", "stream", {"label": "warmup looks wrong"}),
        (1500.0, "activity", "stream", {"mode": "analysing results"}),
        (1700.0, "note", "notes", {"text": "Loss curves **diverge** after step 80."}),
        (1799.0, "term.output", "term:1", {"text": "$ python sweep.py --lr 3e-4\r\n"}),
    ]  # fmt: skip
    send(ws, events(specs))
    guest_says(bserver.url, sid, "/questions", {"text": "Is the warmup linear or cosine?"})

    open_stream(page, bserver.url, sid)
    panel = page.locator("[data-view=catchup]")
    panel.wait_for(state="visible")
    assert page.locator("[data-tab=catchup]").get_attribute("aria-selected") == "true"
    page.wait_for_function(
        "() => document.querySelector('[data-view=catchup]').innerText.includes('Is the warmup')"
    )
    text = panel.inner_text()
    for expected in (
        "Find the best learning rate",
        "3e-4 beats 1e-3",
        "Goal: Find the best learning rate",
        "warmup looks wrong",
        "Analysing results",
        "lr-sweep-3",
        "loss 0.4213",
        "Is the warmup linear or cosine?",
        "diverge",
    ):
        assert expected in text, f"{expected!r} not in the catch-up panel:\n{text}"
    # It folds away, and the stream plays on beside it.
    page.locator(".catchup-toggle").click()
    assert page.locator(".catchup-body").is_hidden()
    assert page.evaluate("() => window.benchcast.state().live")
    ws.close()


def test_a_stream_exported_as_html_replays_from_a_file_without_a_server(
    bserver: BrowserServer, page: Any, tmp_path: Path
) -> None:
    _name, key = bserver.channel()
    ws, welcome = publisher(bserver.url, key, title="Offline archive")
    sid = welcome["stream"]
    source = "def load(path):\n    return open(path).read()\n"
    specs: list[tuple[float, str, str, dict[str, Any]]] = [
        (0.0, "term.open", "term:1", {"cols": 80, "rows": 12, "title": "bash"}),
        (1.0, "term.output", "term:1", {"text": "$ python load.py\r\nloaded 1200 rows\r\n"}),
        (
            2.0,
            "file.snapshot",
            "files",
            {
                "path": "load.py",
                "text": source,
                "language": "python",
                "hash": hashlib.sha256(source.encode()).hexdigest(),
            },
        ),
        (3.0, "note", "notes", {"text": "Reading **1200 rows** is fast enough."}),
    ]
    send(ws, events(specs))
    guest_says(bserver.url, sid, "/chat", {"text": "what format is the file?"})
    last = len(specs)
    publish(ws, [{"pseq": last + 1, "t": 6.0, "kind": "term.output", "source": "term:1",
                  "data": {"text": "$ echo bye\r\nbye\r\n"}},
                 {"pseq": last + 2, "t": 7.0, "kind": "stream.end", "source": "stream",
                  "data": {"reason": "done"}}])  # fmt: skip
    ws.close()
    res = bserver.http.get(f"/api/streams/{sid}/export", params={"format": "html"})
    assert res.status_code == 200
    path = tmp_path / "archive.html"
    path.write_bytes(res.content)

    page.goto(path.as_uri())
    page.wait_for_function("() => window.benchcast !== undefined")
    page.evaluate("() => window.benchcast.ready")
    # Poster: the last picture; then play from the start, at full speed, to the end.
    wait_text(page, "bye")
    page.evaluate("() => window.benchcast.player.setSpeed(16)")
    page.evaluate("() => window.benchcast.player.play()")
    page.wait_for_function(
        "() => window.benchcast.state().t >= 7 && !window.benchcast.state().playing"
    )
    wait_text(page, "loaded 1200 rows")
    page.locator("[data-tab=notes]").click()
    assert "1200 rows" in page.locator("[data-view=notes]").inner_text()
    page.locator("[data-tab=chat]").click()
    assert "what format is the file?" in page.locator("[data-view=chat]").inner_text()
    page.locator("[data-tab=code]").click()
    page.locator("[data-view=code]").get_by_text("load.py").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-view=code]').innerText.includes('return open(path)')"
    )
    # Seeking back, from the file alone.
    page.evaluate("() => window.benchcast.player.seek(1.5)")
    page.wait_for_function(
        "() => !window.benchcast.state().busy && window.benchcast.state().t === 1.5"
    )
    wait_text(page, "loaded 1200 rows")
    assert "bye" not in page.evaluate("() => window.benchcast.screenText()")
