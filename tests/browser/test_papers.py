"""Reading a paper on stream, end to end: `benchcast paper FILE.pdf` in the streamed shell puts
a real three-page PDF on stream; the streamer pages and highlights in the studio's reader; a
viewer follows to page 2, sees the highlight appear, and asks about the passage (shown in the
margin and in the streamer's inbox); a replay shows the highlight appearing when it was made;
search finds a phrase of page 3 at the moment page 3 was on screen; the highlights export as
Web Annotations that re-import to the same anchors.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchcast.replay.annotations import read_annotations, reanchor
from tests.browser.conftest import BENCHCAST, BrowserServer, _clean_env, open_stream
from tests.pdfs import PAGES, javascript_pdf, paper_pdf, scanned_pdf

PASSWORD = "correct horse battery"
SENTENCE = PAGES[1][2]  # "We highlight this sentence on the second page."
PAGE3 = "Quokka tokenizers outperform"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

SELECT = """(sentence) => {
  const layer = document.querySelector(ROOT + " .paper-body .textLayer");
  const walk = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const i = n.data.indexOf(sentence);
    if (i < 0) continue;
    const r = document.createRange();
    r.setStart(n, i);
    r.setEnd(n, i + sentence.length);
    const s = getSelection();
    s.removeAllRanges();
    s.addRange(r);
    return true;
  }
  return false;
}"""


def _select(page: Any, root: str, sentence: str) -> None:
    page.wait_for_function(
        "([root, s]) => document.querySelector(root + ' .paper-body .textLayer')"
        "?.textContent.includes(s)",
        arg=[root, sentence],
    )
    assert page.evaluate(SELECT.replace("ROOT", repr(root)), sentence)


def _login(page: Any, url: str, target: str) -> None:
    page.goto(f"{url}/login?next={target}")
    page.fill("input[name=name]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")


def _events(bserver: BrowserServer, sid: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in bserver.events(sid) if e["kind"] == kind]


def test_a_paper_read_on_stream(
    bserver: BrowserServer, browser: Any, page_errors: list[str], tmp_path: Path
) -> None:
    pdf = tmp_path / "cheap.pdf"
    pdf.write_bytes(paper_pdf())
    stop = tmp_path / "stop"
    subprocess.run(
        [*BENCHCAST, "user", "add", "ada", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    script = (
        f"{sys.executable} -m benchcast paper {pdf} 2>{tmp_path / 'paper.err'}; "
        f"while [ ! -f {stop} ]; do sleep 0.2; done"
    )
    stream = bserver.publish(script, title="Reading club")
    sid = stream.id
    deadline = time.monotonic() + 20
    while not _events(bserver, sid, "paper.open") and time.monotonic() < deadline:
        time.sleep(0.1)
    (opened,) = _events(bserver, sid, "paper.open")
    assert opened["data"]["title"] == "Attention Is Cheap" and opened["data"]["pages"] == 3
    digest = opened["data"]["blob"]
    assert bserver.http.get(f"/blobs/{digest}").content == pdf.read_bytes()
    assert "on stream: Attention Is Cheap (3 pages)" in (tmp_path / "paper.err").read_text()

    contexts = []

    def new_page() -> Any:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.on("pageerror", lambda exc: page_errors.append(str(exc)))
        pg.on("console", lambda m: page_errors.append(m.text) if m.type == "error" else None)
        pg.set_default_timeout(20_000)
        return pg

    try:
        streamer, viewer, replay = new_page(), new_page(), new_page()
        _login(streamer, bserver.url, f"/studio/{stream.channel}/paper")
        streamer.evaluate("() => window.reader.ready")
        streamer.wait_for_selector("[data-reader-where]:has-text('p. 1 of 3')")

        # The viewer joins (as a guest) and opens the paper view.
        open_stream(viewer, bserver.url, sid)
        viewer.fill(".chat-panel .gate-name", "alice")
        viewer.click(".chat-panel .gate button")
        viewer.wait_for_selector(".chat-panel textarea")
        viewer.click('.views [data-tab="paper"]')
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 1 of 3')")

        # The streamer turns to page 2: the viewer follows.
        streamer.keyboard.press("PageDown")
        streamer.wait_for_selector("[data-reader-where]:has-text('p. 2 of 3')")
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 2 of 3')")

        # The streamer highlights a sentence with a margin note: it appears on the viewer's page.
        _select(streamer, "[data-reader]", SENTENCE)
        streamer.keyboard.press("n")
        streamer.fill("[data-reader-note] textarea", "The **key** claim.")
        streamer.keyboard.press("Control+Enter")
        streamer.wait_for_selector("[data-reader-body] .paper-mark")
        (hl,) = _events(bserver, sid, "paper.highlight")
        assert hl["data"]["quote"] == SENTENCE and hl["data"]["page"] == 2
        assert hl["data"]["note"] == "The **key** claim."
        assert hl["data"]["prefix"].endswith("forward.\n") or hl["data"]["prefix"]
        viewer.wait_for_selector(f".paper-panel .paper-mark[data-highlight='{hl['data']['id']}']")
        viewer.wait_for_selector(".paper-panel .paper-note:has-text('The key claim.') strong")
        mark = viewer.locator(".paper-panel .paper-mark").first.bounding_box()
        assert mark and mark["width"] > 100 and mark["height"] > 5

        # The viewer asks about the highlighted passage: in the margin, and in the studio.
        _select(viewer, ".paper-panel", SENTENCE)
        viewer.dispatch_event(".paper-panel .paper-body", "mouseup")
        viewer.fill(".paper-ask textarea", "Which sentence supports this?")
        viewer.click(".paper-ask button:has-text('Ask')")
        viewer.wait_for_selector(".paper-asked:has-text('Which sentence supports this?')")
        (q,) = _events(bserver, sid, "question")
        anchor = q["data"]["anchor"]
        assert anchor["paper"] == digest and anchor["page"] == 2
        assert anchor["quote"] == SENTENCE
        assert (anchor["start"], anchor["end"]) == (hl["data"]["start"], hl["data"]["end"])
        viewer.locator(".paper-panel").screenshot(path=str(SHOTS / "paper-viewer.png"))
        viewer.screenshot(path=str(SHOTS / "paper-stream-page.png"))
        notes_link = viewer.get_attribute(".paper-exports a:has-text('Notes .md')", "href")
        assert notes_link == f"/api/streams/{sid}/reading-notes.md"

        inbox = new_page()
        _login(inbox, bserver.url, f"/studio/{stream.channel}")
        item = inbox.wait_for_selector(
            "[data-list=questions] .inbox-item:has-text('Which sentence supports this?')"
        )
        assert "p. 2" in item.inner_text()
        inbox.screenshot(path=str(SHOTS / "paper-studio.png"))
        streamer.wait_for_selector(
            "[data-reader-margin] .paper-asked:has-text('Which sentence supports this?')"
        )

        # Page 3, shown once: its text is found at that moment.
        streamer.keyboard.press("PageDown")
        streamer.wait_for_selector("[data-reader-where]:has-text('p. 3 of 3')")
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 3 of 3')")
        streamer.keyboard.press("PageUp")
        streamer.wait_for_selector("[data-reader-where]:has-text('p. 2 of 3')")
        streamer.screenshot(path=str(SHOTS / "paper-reader.png"))

        # Reading freely: the viewer stays where they are until they follow again.
        viewer.click(".paper-panel .paper-follow:has-text('Read freely')")
        viewer.click(".paper-panel button[title='Previous page']")
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 1 of 3')")
        viewer.click(".paper-panel .paper-follow:has-text('Follow')")
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 2 of 3')")
    finally:
        stop.write_text("")
        stream.wait(30)

    try:
        # Replay (the stream has ended): before the highlight's moment page 2 has none;
        # after it, it is there.
        t = hl["t"]
        turned = [e["t"] for e in _events(bserver, sid, "paper.view") if e["data"]["page"] == 2]
        before = (turned[0] + t) / 2  # page 2 is on screen, the highlight not yet made
        open_stream(replay, bserver.url, sid, f"?t={before:.4f}")
        replay.click('.views [data-tab="paper"]')
        replay.wait_for_selector(".paper-panel .paper-where:has-text('p. 2 of 3')")
        replay.wait_for_function("() => document.querySelector('.paper-panel .textLayer span')")
        assert replay.locator(".paper-panel .paper-mark").count() == 0
        assert replay.locator(".paper-panel .paper-note").count() == 0
        replay.evaluate(f"() => window.benchcast.player.seek({t + 0.3}, {{ play: false }})")
        replay.wait_for_selector(".paper-panel .paper-mark")
        replay.wait_for_selector(".paper-panel .paper-note:has-text('The key claim.')")
    finally:
        for ctx in contexts:
            ctx.close()

    # Search: the phrase of page 3 opens the moment page 3 came on screen.
    views = [e for e in _events(bserver, sid, "paper.view") if e["data"]["page"] == 3]
    shown = views[0]["t"]
    hits: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not hits and time.monotonic() < deadline:
        res = bserver.http.get("/api/search", params={"q": f'"{PAGE3}"', "stream": sid})
        hits = [h for h in res.json()["hits"] if h["kind"] == "paper"]
        time.sleep(0.2)
    assert hits, "page 3's text was never found"
    assert abs(hits[0]["t"] - shown) < 0.01
    assert hits[0]["source"] == "Attention Is Cheap p. 3"

    # Export: Web Annotations that re-import to the highlight's anchor; Markdown notes.
    doc = bserver.http.get(f"/api/streams/{sid}/annotations.jsonld").json()
    (back,) = read_annotations(doc)
    want = {
        k: hl["data"][k] for k in ("paper", "page", "quote", "prefix", "suffix", "start", "end")
    }
    assert {k: back[k] for k in want} == want and back["note"] == hl["data"]["note"]
    md = bserver.http.get(f"/api/streams/{sid}/reading-notes.md").text
    assert SENTENCE in md and "The **key** claim." in md
    assert "alice: Which sentence supports this?" in md
    assert not page_errors, page_errors


def test_papers_opened_in_the_reader_never_run_their_scripts(
    bserver: BrowserServer, browser: Any, page_errors: list[str], tmp_path: Path
) -> None:
    scripted, scan = tmp_path / "scripted.pdf", tmp_path / "scan.pdf"
    scripted.write_bytes(javascript_pdf())
    scan.write_bytes(scanned_pdf())
    notes = tmp_path / "notes.txt"
    notes.write_text("not a paper\n")
    subprocess.run(
        [*BENCHCAST, "user", "add", "bo", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    stop = tmp_path / "stop"
    stream = bserver.publish(f"while [ ! -f {stop} ]; do sleep 0.2; done", title="Scripts")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    vctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        streamer, viewer = ctx.new_page(), vctx.new_page()
        for pg in (streamer, viewer):
            pg.on("pageerror", lambda exc: page_errors.append(str(exc)))
            pg.set_default_timeout(20_000)
        streamer.goto(f"{bserver.url}/login?next=/studio/{stream.channel}/paper")
        streamer.fill("input[name=name]", "bo")
        streamer.fill("input[name=password]", PASSWORD)
        streamer.click("button[type=submit]")
        streamer.wait_for_url("**/paper")
        streamer.evaluate("() => window.reader.ready")

        streamer.set_input_files("[data-reader-file]", str(notes))
        streamer.wait_for_selector("[data-reader-error]:has-text('notes.txt is not a PDF')")
        streamer.set_input_files("[data-reader-file]", str(scripted))
        streamer.wait_for_selector("[data-reader-error]:has-text('JavaScript; it is never run')")
        streamer.wait_for_selector("[data-reader-body] .textLayer:has-text('a script inside')")

        open_stream(viewer, bserver.url, stream.id)
        viewer.click('.views [data-tab="paper"]')
        viewer.wait_for_selector(".paper-panel .textLayer:has-text('a script inside')")
        for pg in (streamer, viewer):
            assert pg.evaluate("() => window.__pdfScriptRan === undefined")

        # The browser re-anchors as the server does, counting code points.
        cases = [
            ("a 🚀 b 🚀 c", {"quote": "🚀 c", "start": 4, "end": 7}),
            ("x 🚀 y", {"quote": "y", "start": 4, "end": 5}),
            ("moved: x 🚀 y", {"quote": "y", "start": 4, "end": 5}),
            (
                "the \U0001d4c1 cat. the \U0001d4c1 cat ran",
                {"quote": "cat", "suffix": " ran", "start": 0, "end": 0},
            ),
        ]
        got = viewer.evaluate(
            """async (cases) => {
                const m = await import("/static/js/paper-view.js");
                return cases.map(([text, a]) => m.reanchor(text, a));
            }""",
            cases,
        )
        assert got == [list(reanchor(text, **a) or ()) for text, a in cases]

        streamer.set_input_files("[data-reader-file]", str(scan))
        streamer.wait_for_selector("[data-reader-notice]:has-text('no text layer')")
        viewer.wait_for_selector(".paper-notice:has-text('search is unavailable for it')")
        viewer.wait_for_selector(".paper-panel .paper-where:has-text('p. 1 of 2')")
    finally:
        stop.write_text("")
        stream.wait(30)
        ctx.close()
        vctx.close()
    assert not page_errors, page_errors
