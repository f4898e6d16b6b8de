"""`benchcast demo` as a newcomer meets it: the printed URL, opened in Chromium, shows the
demo's real terminal session in the xterm.js screen."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import BENCHCAST, open_stream, wait_text
from tests.helpers import wait_for


def test_the_demo_page_shows_the_demo_terminal_live(tmp_path: Path, page: Any) -> None:
    proc = subprocess.Popen(
        [*BENCHCAST, "demo", "--port", "0", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        home = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", home)
        # The newcomer opens the printed URL (once the first session is on) and follows the
        # live stream listed there.
        live = wait_for(lambda: httpx.get(home + "api/streams?live=1").json()["streams"])
        page.goto(home)
        link = page.locator(f"a[href='/s/{live[0]['id']}']").first
        link.wait_for(timeout=20_000)
        sid = str(link.get_attribute("href")).rsplit("/", 1)[-1]
        open_stream(page, home.rstrip("/"), sid)
        wait_text(page, "ada@bench", timeout=30_000)
        wait_text(page, "training on 400 points", timeout=45_000)
        assert page.locator("[data-live-badge]").is_visible()
        page.goto("about:blank")  # leave before the demo stops, as a viewer would
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
