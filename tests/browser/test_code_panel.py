"""The code panel in Chromium: a real file edited on disk during a real stream, viewers who
follow it, line comments made through the audience API that move with the edits, and replay
showing each file as it was.

The reference for "what should the file read" is the server's own fold over the stored events.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchcast.events import Event
from benchcast.replay.fold import StreamFold

from .conftest import VIEWPORT, BrowserServer, open_stream

pytestmark = pytest.mark.timeout(120)

PATH = "src/train.py"
TRAIN = "".join(
    [
        '"""Training loop for the dataloader study."""\n',
        "import torch\n",
        "\n",
        "\n",
        "def batches(data, size):\n",
        "    for i in range(0, len(data), size):\n",
        "        yield data[i : i + size]\n",
        "\n",
        "\n",
        "def train(model, data, epochs=3):\n",
        "    for epoch in range(epochs):\n",
        "        loss = step(model, data)\n",
        "        print(epoch, loss)\n",
        "    return model\n",
    ]
)


# Rendered, so it must be sanitized: nothing a file says may run in a viewer's page.
README = """# Dataloader study

Why is the **loader** slow?

<script>window.pwned = 1</script>
<div id="hostile" onclick="window.pwned = 1" onmouseover="window.pwned = 1">hover</div>
<svg onload="window.pwned = 1"></svg>

A [link](javascript:window.pwned=1) in a paragraph.
"""


def file_text(page: Any) -> str:
    """The file as the panel draws it: every line's code, joined."""
    text: str = page.evaluate(
        """() => [...document.querySelectorAll('[data-code-body] .code-lines .ln .ln-code')]
                 .map((n) => n.textContent).join('\\n')"""
    )
    return text


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines))


def fold_at(bserver: BrowserServer, stream_id: str, t: float) -> dict[str, Any]:
    fold = StreamFold()
    for e in bserver.events(stream_id):
        if e["t"] > t:
            break
        fold.apply(Event(**e))
    code: dict[str, Any] = fold.snapshot()["code"]
    return code


def comment(url: str, stream_id: str, line: int, text: str) -> str:
    """A viewer's bug report on a line, through the audience API as a browser would send it."""
    with httpx.Client(base_url=url, timeout=10) as client:
        csrf = client.get("/api/session").json()["csrf"]
        headers = {"X-CSRF-Token": csrf}
        client.post("/api/session/guest", json={"name": "bo"}, headers=headers).raise_for_status()
        res = client.post(
            f"/api/streams/{stream_id}/comments",
            json={
                "kind": "bug",
                "text": "off by one here?",
                "anchor": {"file": PATH, "line": line, "text": text},
            },
            headers=headers,
        )
        assert res.status_code in (200, 201), res.text
        cid: str = res.json()["id"]
        return cid


def test_followers_see_edits_lit_and_comments_follow_their_lines(
    bserver: BrowserServer, browser: Any, page: Any, tmp_path: Path
) -> None:
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "README.md").write_text(README)
    train = proj / PATH
    train.write_text(TRAIN)
    stream = bserver.publish("sleep 45", title="Code on stream", watch=proj)
    lines = TRAIN.splitlines(keepends=True)
    # A first save sends the file whole; the viewers join after it.
    lines[12] = "        print(epoch, float(loss))\n"
    rewrite(train, lines)
    bserver_events = lambda: bserver.events(stream.id)  # noqa: E731
    deadline = time.monotonic() + 10
    while not any(e["kind"] == "file.snapshot" for e in bserver_events()):
        assert time.monotonic() < deadline, "the first save never reached the server"
        time.sleep(0.05)

    open_stream(page, bserver.url, stream.id)
    page.click('[data-tab="code"]')
    page.wait_for_selector('[data-code-path]:has-text("src/train.py")')
    assert page.evaluate("() => window.benchcast.code.following")

    # An edit on disk: a follower sees the new line, lit, within a second.
    lines.insert(9, "# shuffled each epoch\n")
    started = time.monotonic()
    rewrite(train, lines)
    page.wait_for_selector('.ln.is-changed[data-line="10"]', timeout=5000)
    assert time.monotonic() - started < 1.0
    assert page.locator('.ln[data-line="10"] .ln-code').inner_text() == "# shuffled each epoch"

    # A second viewer, and a comment made on line 12.
    second = browser.new_context(viewport=VIEWPORT).new_page()
    open_stream(second, bserver.url, stream.id)
    second.click('[data-tab="code"]')
    second.wait_for_selector('[data-code-path]:has-text("src/train.py")')
    loop = "    for epoch in range(epochs):"
    assert second.locator('.ln[data-line="12"] .ln-code').inner_text() == loop
    cid = comment(bserver.url, stream.id, 12, loop)
    marker = f'.code-comment[data-comment="{cid}"]'
    second.wait_for_selector('.ln[data-line="12"] .ln-comment')
    second.wait_for_selector(f'{marker}[data-line="12"]')
    assert "off by one here?" in second.locator(marker).inner_text()

    # Three lines inserted above it: the comment goes down with its line, to 15.
    for _ in range(3):
        lines.insert(3, "import numpy as np\n")
    rewrite(train, lines)
    second.wait_for_selector(f'{marker}[data-line="15"]')
    second.wait_for_selector('.ln[data-line="15"] .ln-comment')
    assert second.locator('.ln[data-line="15"] .ln-code').inner_text() == loop
    assert second.locator('.ln[data-line="12"] .ln-comment').count() == 0

    # Its line deleted: the comment stays, marked outdated.
    del lines[14]
    rewrite(train, lines)
    second.wait_for_selector(f"{marker}.is-outdated")
    assert second.locator(".code-outdated").is_visible()
    assert file_text(second) == "".join(lines).rstrip("\n")

    # What both viewers draw is what the server's fold holds.
    code = fold_at(bserver, stream.id, float("inf"))
    assert code["files"][PATH]["text"] == "".join(lines)
    assert code["comments"][cid]["outdated"] is True
    page.wait_for_selector(f"{marker}.is-outdated")
    assert file_text(page) == "".join(lines).rstrip("\n")
    page.screenshot(path=str(tmp_path / "code-panel.png"))
    second.context.close()

    # The tree: a click there stops following; the Follow button starts again.
    page.click('.tree-row[data-path="README.md"]')
    assert not page.evaluate("() => window.benchcast.code.following")
    page.wait_for_selector('[data-code-path]:has-text("README.md")')
    page.wait_for_selector(".code-rendered strong:has-text('loader')")
    page.hover("#hostile")
    page.click("#hostile")
    assert page.evaluate("() => window.pwned") is None
    rendered = page.inner_html(".code-rendered")
    assert "<script" not in rendered and "onclick" not in rendered and "<svg" not in rendered
    assert "href" not in page.inner_html(".code-rendered p:has-text('in a paragraph')")
    page.click("[data-code-follow]")
    page.wait_for_selector('[data-code-path]:has-text("src/train.py")')
    assert page.evaluate("() => window.benchcast.code.following")
    stream.proc.kill()
    stream.proc.wait()


def test_replay_shows_each_file_as_it_was_at_that_time(
    bserver: BrowserServer, page: Any, tmp_path: Path
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "notes.md").write_text("untouched\n")
    script = (
        "sleep 0.5; printf 'v = 1\\n' > model.py; sleep 2; "
        "printf 'v = 1\\nw = 2\\n' > model.py; sleep 2; "
        "printf '# three\\nv = 1\\nw = 2\\n' > model.py; sleep 1.5"
    )
    stream = bserver.publish(script, title="Replay code", watch=proj)
    stream.wait()
    events = bserver.events(stream.id)
    versions = [(e["t"], e["data"]) for e in events if e["kind"] in ("file.snapshot", "file.patch")]
    assert len(versions) == 3
    # Halfway between the second and third versions: the second.
    t = (versions[1][0] + versions[2][0]) / 2
    expected = fold_at(bserver, stream.id, t)["files"]["model.py"]["text"]
    assert expected == "v = 1\nw = 2\n"

    open_stream(page, bserver.url, stream.id, f"?t={t:.2f}")
    page.click('[data-tab="code"]')
    page.wait_for_selector('[data-code-path]:has-text("model.py")')
    assert page.evaluate("() => window.benchcast.code.state.text('model.py')") == expected
    assert file_text(page) == expected.rstrip("\n")

    # Seek to the end and back: the files follow the clock.
    page.evaluate("() => window.benchcast.player.seek(1e9)")
    page.wait_for_function(
        "() => window.benchcast.code.state.text('model.py') === '# three\\nv = 1\\nw = 2\\n'"
    )
    page.evaluate(f"() => window.benchcast.player.seek({versions[0][0] + 0.3})")
    page.wait_for_function("() => window.benchcast.code.state.text('model.py') === 'v = 1\\n'")
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-code-body] .ln .ln-code')]
                 .map((n) => n.textContent).join('\\n') === 'v = 1'"""
    )

    # What changed since the file was first sent, at the end of the stream.
    page.evaluate("() => window.benchcast.player.seek(1e9)")
    page.wait_for_function("() => window.benchcast.code.state.text('model.py').startsWith('#')")
    page.select_option("[data-code-mode]", "start")
    page.wait_for_selector(".code-diff-head")
    assert page.locator(".code-diff-head").inner_text().startswith("2 added, 0 removed")
    added = page.locator(".code-diff .ln.is-added .ln-code").all_inner_texts()
    assert added == ["# three", "w = 2"]
    page.select_option("[data-code-mode]", "file")

    # A permalink opens that file at that line and moment, without following the streamer.
    page.click('.ln[data-line="2"] .ln-no')
    link = page.evaluate("() => window.benchcast.code.permalink()")
    assert link.endswith("#code=model.py:2")
    page.goto(link)
    page.wait_for_function("() => window.benchcast !== undefined")
    page.evaluate("() => window.benchcast.ready")
    page.wait_for_selector('.code .ln.is-selected[data-line="2"]')
    assert page.evaluate("() => window.benchcast.layout.main.current") == "code"
    assert not page.evaluate("() => window.benchcast.code.following")
