"""The audience in Chromium: the streamer and two viewers on one live stream.

A chat message reaches everyone; a question upvoted by both viewers is marked answered in the
studio, and the archive links it to that moment; a bug report on a code line shows in the code
panel's gutter, in the studio inbox and in ``benchcast inbox``; marked fixed there, its status
changes on the viewers' pages.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from ..helpers import publish, publisher
from .conftest import BENCHCAST, VIEWPORT, BrowserServer, _clean_env, open_stream

pytestmark = pytest.mark.timeout(150)

PASSWORD = "correct horse battery"
CODE = "import torch\n\nfor step in range(100):\n    loss = model(batch)\n    loss.backward()\n"


def _events(code: str) -> list[dict[str, Any]]:
    digest = hashlib.sha256(code.encode()).hexdigest()
    raw = [
        ("stream.start", "stream", {"title": "Training tinylm", "tags": []}),
        ("term.open", "term:1", {"cols": 80, "rows": 24, "title": "bash"}),
        ("term.output", "term:1", {"text": "$ python train.py\r\nstep 1 loss 2.31\r\n"}),
        ("file.tree", "files", {"entries": [{"path": "train.py", "size": len(code)}]}),
        ("file.snapshot", "files",
         {"path": "train.py", "text": code, "language": "python", "hash": digest}),
        ("file.focus", "files", {"path": "train.py", "line": 3}),
    ]  # fmt: skip
    return [
        {"pseq": i + 1, "t": i * 0.1, "kind": k, "source": s, "data": d}
        for i, (k, s, d) in enumerate(raw)
    ]


@pytest.fixture
def contexts(browser: Any, page_errors: list[str]) -> Iterator[list[Any]]:
    made: list[Any] = []

    def new() -> Any:
        ctx = browser.new_context(viewport=VIEWPORT)
        pg = ctx.new_page()
        pg.on("pageerror", lambda exc: page_errors.append(str(exc)))
        pg.on("console", lambda m: page_errors.append(m.text) if m.type == "error" else None)
        pg.set_default_timeout(20_000)
        made.append(ctx)
        return pg

    yield [new() for _ in range(3)]
    for ctx in made:
        ctx.close()
    assert not page_errors, page_errors


def _side(page: Any, tab: str) -> None:
    page.click(f'.side-tabs [data-tab="{tab}"]')


def _join(page: Any, name: str) -> None:
    page.fill(".chat-panel .gate-name", name)
    page.click(".chat-panel .gate button")
    page.wait_for_selector(".chat-panel textarea")


def test_streamer_and_two_viewers(bserver: BrowserServer, contexts: list[Any]) -> None:
    streamer, alice, bob = contexts
    channel, key = bserver.channel()
    subprocess.run(
        [*BENCHCAST, "user", "add", "ada", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    pub, welcome = publisher(bserver.url, key, title="Training tinylm")
    sid = welcome["stream"]
    publish(pub, _events(CODE))

    streamer.goto(f"{bserver.url}/login?next=/studio/{channel}")
    streamer.fill("input[name=name]", "ada")
    streamer.fill("input[name=password]", PASSWORD)
    streamer.click("button[type=submit]")
    streamer.wait_for_url(f"**/studio/{channel}")
    for viewer, name in ((alice, "alice"), (bob, "bob")):
        open_stream(viewer, bserver.url, sid)
        _join(viewer, name)

    # Chat: alice speaks, bob and the studio hear.
    alice.fill(".chat-panel textarea", "hello from **alice**")
    alice.keyboard.press("Enter")
    bob.wait_for_selector(".chat-log .msg:has-text('hello from alice') strong")
    streamer.wait_for_selector("[data-list=chat] .inbox-item:has-text('hello from alice')")

    # A question, upvoted by both viewers, answered from the studio.
    _side(alice, "questions")
    alice.fill(".questions-panel textarea", "Why not cosine decay?")
    alice.click(".questions-panel button[type=submit]")
    for viewer in (alice, bob):
        _side(viewer, "questions")
        viewer.click(".q:has-text('Why not cosine decay?') .q-vote")
    alice.wait_for_selector(".q .q-count:text-is('2')")
    item = "[data-list=questions] .inbox-item:has-text('Why not cosine decay?')"
    streamer.wait_for_selector(f"{item} .inbox-votes:text-is('2')")
    streamer.click(f"{item} button:has-text('Mark answered')")
    link = bob.wait_for_selector(".q.is-answered .q-answered")
    answered = [e for e in bserver.events(sid) if e["kind"] == "question.answered"]
    assert len(answered) == 1
    assert link.get_attribute("href") == f"?t={int(answered[0]['t'])}"

    # A bug report on a code line: the code panel's gutter, the studio, `benchcast inbox`.
    _side(bob, "reports")
    bob.evaluate(
        """() => document.dispatchEvent(new CustomEvent("benchcast:report", {detail: {
            anchor: {file: "train.py", line: 4, text: "loss = model(batch)"}, kind: "bug"}}))"""
    )
    bob.fill(".reports-panel textarea", "loss is never zeroed: add optimizer.zero_grad()")
    bob.click(".reports-panel button[type=submit]")
    alice.click('.views [data-tab="code"]')
    alice.wait_for_selector('.code-body .ln[data-line="4"].has-comment')
    bug = "[data-list=bugs] .inbox-item:has-text('optimizer.zero_grad')"
    streamer.wait_for_selector(bug)
    assert "train.py:4" in streamer.inner_text(bug)
    res = subprocess.run(
        [*BENCHCAST, "inbox", "--server", bserver.url, "--key", key, "--once"],
        capture_output=True, text=True, timeout=30, env={**_clean_env(), "COLUMNS": "200"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "optimizer.zero_grad" in res.stdout and "train.py:4" in res.stdout

    # Marked fixed in the studio: the status changes on the viewers' pages.
    streamer.click(f"{bug} button:has-text('mark fixed')")
    bob.wait_for_selector(".reports-panel .r-status[data-status=fixed]")
    alice.wait_for_selector(".code-comment.status-fixed")
    streamer.wait_for_selector(bug, state="detached")
    pub.close()
