"""Fixtures for browser tests: a real server, real publishers, and Chromium via Playwright.

Everything a viewer's page talks to is real: the server runs in a subprocess (uvicorn,
SQLite, websockets), streams come from ``benchcast stream`` running a command in a pty, and
the page runs in Debian's Chromium (Playwright's own browser download does not work here).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchcast.events import Event
from benchcast.replay.fold import StreamFold

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1280, "height": 800}
SERVE = Path(__file__).with_name("serve.py")
BENCHCAST = [sys.executable, "-m", "benchcast"]
_names = itertools.count(1)


@dataclass
class Stream:
    """A stream being published by ``benchcast stream`` in a subprocess."""

    id: str
    channel: str
    proc: subprocess.Popen[bytes]

    def wait(self, timeout: float = 60) -> None:
        """Wait for the streamed command, and so the stream, to end."""
        self.proc.wait(timeout)


class BrowserServer:
    """A server subprocess (see serve.py) and helpers to publish streams to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "server"
        self.log = root / "server.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(SERVE), str(self.data)],
                stdout=subprocess.PIPE,
                stderr=log,
                env=_clean_env(),
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"test server did not start: {self.log.read_text()}")
        self.url = line
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        if hasattr(self, "http"):
            self.http.close()

    def channel(self) -> tuple[str, str]:
        """A fresh channel: (name, stream key)."""
        name = f"lab-{next(_names)}"
        res = subprocess.run(
            [*BENCHCAST, "channel", "create", name, "--data", str(self.data)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=_clean_env(),
        )
        assert res.returncode == 0, f"channel create failed: {res.stderr}"
        return name, res.stdout.strip().splitlines()[-1]

    def publish(
        self,
        script: str,
        *,
        title: str = "test stream",
        tags: tuple[str, ...] = (),
        watch: Path | None = None,
    ) -> Stream:
        """Stream ``bash -c script`` on a fresh channel; return once the server has it.
        With ``watch``, that folder is on the code panel (and the script runs in it)."""
        name, key = self.channel()
        tag_args = [arg for tag in tags for arg in ("--tag", tag)]
        if watch is not None:
            tag_args += ["--watch", str(watch)]
        proc = subprocess.Popen(
            [
                *BENCHCAST,
                "stream",
                "--server",
                self.url,
                "--key",
                key,
                "--data",
                str(self.root / f"pub-{name}"),
                "--title",
                title,
                *tag_args,
                "--",
                "bash",
                "-c",
                script,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_clean_env(),
            cwd=watch,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            streams = self.http.get("/api/streams", params={"channel": name}).json()["streams"]
            if streams and streams[0]["events"] > 0:
                return Stream(streams[0]["id"], name, proc)
            time.sleep(0.05)
        proc.kill()
        raise RuntimeError("the publisher's stream never appeared")

    def events(self, stream_id: str) -> list[dict[str, Any]]:
        """Every stored event of a stream, through the JSON API."""
        out: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self.http.get(
                f"/api/streams/{stream_id}/events", params={"since": since, "limit": 5000}
            ).json()["events"]
            out.extend(page)
            if len(page) < 5000:
                return out
            since = page[-1]["seq"]

    def screen_at(self, stream_id: str, *, t: float | None = None, seq: int | None = None) -> str:
        """What a full replay from the first event shows at stream time t (or after seq)."""
        fold = StreamFold()
        for e in self.events(stream_id):
            if (t is not None and e["t"] > t) or (seq is not None and e["seq"] > seq):
                break
            fold.apply(Event(**e))
        term = fold.terms.get("term:1")
        return normalize("\n".join(term.text())) if term else ""


def normalize(screen: str) -> str:
    """A screen's text compared line by line: trailing spaces and blank last lines dropped."""
    return "\n".join(line.rstrip() for line in screen.split("\n")).rstrip("\n")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
    env["PS1"] = "$ "
    return env


@pytest.fixture(scope="module")
def bserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserServer]:
    srv = BrowserServer(tmp_path_factory.mktemp("browser"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and tests elsewhere that call asyncio.run() must not see it.
    with playwright_sync.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Errors the page reported; a test that provokes some on purpose clears the list."""
    return []


@pytest.fixture
def page(browser: Any, page_errors: list[str]) -> Iterator[Any]:
    """A fresh 1280 by 800 page; fails the test on any uncaught error or console error."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    errors = page_errors
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


def open_stream(page: Any, url: str, stream_id: str, query: str = "") -> None:
    """Load a stream page and wait until its player has shown its first picture."""
    page.goto(f"{url}/s/{stream_id}{query}")
    page.wait_for_function("() => window.benchcast !== undefined")
    page.evaluate("() => window.benchcast.ready")


def wait_screen(page: Any, expected: str, timeout: float = 20_000) -> None:
    """Wait until the first terminal shows exactly ``expected`` (after normalize())."""
    js = """(exp) => {
        const s = window.benchcast.screenText().split("\\n").map((l) => l.trimEnd());
        return s.join("\\n").replace(/\\n+$/, "") === exp;
    }"""
    try:
        page.wait_for_function(js, arg=expected, timeout=timeout)
    except playwright_sync.TimeoutError:
        actual = normalize(page.evaluate("() => window.benchcast.screenText()"))
        raise AssertionError(
            f"screen never matched.\n--- expected\n{expected}\n--- actual\n{actual}"
        ) from None


def wait_text(page: Any, text: str, timeout: float = 20_000) -> None:
    """Wait until the first terminal's screen contains ``text``."""
    page.wait_for_function(
        "(t) => window.benchcast.screenText().includes(t)", arg=text, timeout=timeout
    )
