"""Hostile input in every text field the audience writes — chat, display names, questions,
comments and their anchors, poll questions and options, links — shown to a viewer and to the
streamer's studio in Chromium: nothing runs, nothing is injected.

The corpus (tests/xss.py) is posted through the API first, then each page is opened once.
A payload that ran would set ``window.__xss`` or open a dialog; one that injected markup
would leave an element with ``data-xss``, an event-handler attribute, a script, a frame or a
link that is not plain http(s).
"""

from __future__ import annotations

import hashlib
import subprocess
from typing import Any

import httpx
import pytest

from ..helpers import publish, publisher
from ..xss import PAYLOADS
from .conftest import BENCHCAST, BrowserServer, _clean_env, open_stream

pytestmark = pytest.mark.timeout(180)

PASSWORD = "correct horse battery"
CODE = "".join(f"line {i}\n" for i in range(1, 11))
CONTENT = (
    ".msg-text, .msg-reply, .q-text, .r-text, .anchor-chip, .anchor-quote, .who, .poll, "
    ".chat-pinned, .code-comment, .inbox-body"
)
PROBE = """(content) => {
  const bad = [];
  const show = (el) => el.outerHTML.slice(0, 80);
  if (window.__xss !== undefined) bad.push("window.__xss was set");
  for (const el of document.querySelectorAll("[data-xss]")) bad.push("injected: " + show(el));
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) if (a.name.startsWith("on")) bad.push("handler: " + show(el));
  }
  for (const s of document.scripts) {
    const ours = s.src && new URL(s.src).pathname.startsWith("/static/");
    if (!ours && s.type !== "application/json") bad.push("script: " + show(s));
  }
  const foreign = "script, iframe, object, embed, img, svg, math, style, link, meta, base, "
    + "form, input, textarea, video, audio, template";
  for (const box of document.querySelectorAll(content)) {
    for (const el of box.querySelectorAll(foreign)) bad.push("element: " + show(el));
    for (const a of box.querySelectorAll("a[href]")) {
      const url = new URL(a.href, location.href);
      const local = url.origin === location.origin;
      if (!local && !/^https?:$/.test(url.protocol)) bad.push("link: " + a.href);
      if (!local && !(a.rel || "").includes("noopener")) bad.push("rel: " + show(a));
    }
  }
  return bad;
}"""


def _say(client: httpx.Client, sid: str, path: str, body: dict[str, Any]) -> None:
    res = client.post(f"/api/streams/{sid}{path}", json=body)
    assert res.status_code in (201, 400), (path, body, res.text)


def test_no_payload_runs_or_injects_anything(bserver: BrowserServer, browser: Any) -> None:
    channel, key = bserver.channel()
    subprocess.run(
        [*BENCHCAST, "user", "add", "ada", "--role", "admin", "--password-stdin",
         "--data", str(bserver.data)],
        input=PASSWORD + "\n", text=True, check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    pub, welcome = publisher(bserver.url, key, title="hostile audience")
    sid = welcome["stream"]
    digest = hashlib.sha256(CODE.encode()).hexdigest()
    snapshot = {"path": "train.py", "text": CODE, "language": "python", "hash": digest}
    focus = {"path": "train.py", "line": 1}
    size = {"cols": 80, "rows": 24}
    publish(
        pub,
        [
            {"pseq": 1, "t": 0, "kind": "term.open", "source": "term:1", "data": size},
            {"pseq": 2, "t": 0, "kind": "file.snapshot", "source": "files", "data": snapshot},
            {"pseq": 3, "t": 0, "kind": "file.focus", "source": "files", "data": focus},
        ],
    )  # fmt: skip

    # Text fields, as the streamer (whom no rate limit holds back).
    s = httpx.Client(base_url=bserver.url, headers={"Authorization": f"Bearer {key}"}, timeout=20)
    for i, p in enumerate(PAYLOADS):
        _say(s, sid, "/chat", {"text": p})
        _say(s, sid, "/questions", {"text": p})
        anchors = [
            {"file": "train.py", "line": 1 + i % 10, "text": p},
            {"term": "term:1", "seq": 1, "text": p},
            {"paper": p[:200], "page": 1, "quote": p[:2000]},
        ]
        _say(s, sid, "/comments", {"kind": "bug", "text": p, "anchor": anchors[i % 3]})
    for i in range(0, len(PAYLOADS), 10):
        options = [o[:100] for o in PAYLOADS[i + 1 : i + 5]]
        _say(s, sid, "/polls", {"question": PAYLOADS[i][:300], "options": options})
    s.close()
    # Display names, as guests from a few loopback addresses (each says one line).
    accepted = 0
    for n, p in enumerate(PAYLOADS):
        transport = httpx.HTTPTransport(local_address=f"127.0.9.{1 + n // 15}")
        with httpx.Client(base_url=bserver.url, transport=transport) as g:
            csrf = g.get("/api/session").json()["csrf"]
            res = g.post("/api/session/guest", json={"name": p}, headers={"X-CSRF-Token": csrf})
            assert res.status_code in (200, 400, 409), res.text
            if res.status_code == 200:
                accepted += 1
                g.post(
                    f"/api/streams/{sid}/chat", json={"text": "hi"}, headers={"X-CSRF-Token": csrf}
                )

    dialogs: list[str] = []
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_stream(page, bserver.url, sid)
    page.wait_for_function("() => document.querySelectorAll('.chat-log .msg').length >= 100")
    # Shown, as text: the payloads are there to read, not to run.
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.msg-text')].map(e => e.textContent)"
    )
    assert "<script>window.__xss=1</script>" in shown
    found = page.evaluate(PROBE, CONTENT)
    for tab in ("questions", "reports"):
        page.click(f'.side-tabs [data-tab="{tab}"]')
        page.wait_for_selector(f".{'q' if tab == 'questions' else 'r'}[data-id]")
        found += page.evaluate(PROBE, CONTENT)
    page.click('.views [data-tab="code"]')
    page.wait_for_selector(".code-body .ln.has-comment")
    found += page.evaluate(PROBE, CONTENT)

    page.goto(f"{bserver.url}/login?next=/studio/{channel}")
    page.fill("input[name=name]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-list=chat] .inbox-item').length >= 50"
    )
    page.wait_for_selector("[data-list=bugs] .inbox-item")
    found += page.evaluate(PROBE, CONTENT)
    ctx.close()
    pub.close()
    assert not dialogs, dialogs
    assert not found, found[:10]
    assert not errors, errors
