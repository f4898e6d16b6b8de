"""The home and channel pages list streams, live and past, rendered by the server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import BrowserServer

pytestmark = pytest.mark.timeout(60)


def test_home_lists_live_and_past_streams(bserver: BrowserServer, page: Any) -> None:
    past = bserver.publish("echo done", title="Finished analysis", tags=("stats",))
    past.wait()
    live = bserver.publish("echo hi; sleep 6", title="Debugging the loader", tags=("data",))

    page.goto(bserver.url + "/")
    card = page.locator(".card", has_text="Debugging the loader")
    assert card.locator(".badge.live").is_visible()
    assert card.locator(".tag", has_text="data").is_visible()
    assert card.locator("a.channel").inner_text() == live.channel

    row = page.locator(".stream-row", has_text="Finished analysis")
    assert row.is_visible()
    assert row.locator(".badge.live").count() == 0
    assert row.locator(".duration").inner_text().startswith("0:0")
    row.locator("a.row-title").click()
    page.wait_for_url(f"**/s/{past.id}")
    page.wait_for_function("() => window.benchcast !== undefined")
    assert page.locator("[data-past-badge]").is_visible()

    page.goto(f"{bserver.url}/c/{live.channel}")
    assert page.locator("h1").inner_text() == live.channel
    assert page.locator(".stream-row", has_text="Debugging the loader").is_visible()
    live.wait()


def test_unknown_pages_say_so(bserver: BrowserServer, page: Any, page_errors: list[str]) -> None:
    res = page.goto(bserver.url + "/s/nosuchstream")
    assert res is not None and res.status == 404
    assert "No such stream" in page.locator(".error").inner_text()
    res = page.goto(bserver.url + "/c/nobody")
    assert res is not None and res.status == 404
    assert all("404" in e for e in page_errors)
    page_errors.clear()  # the browser logs each 404 document as an error
