"""The archive over HTTP, against a real server: search, chapters and their edits, moments,
clips, exports, schedules with their iCal feed, Atom feeds, the directory, and what a private
stream keeps out of all of them. Feeds are read by the libraries readers use."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import icalendar
import pytest

from benchcast.replay.asciicast import read_asciicast
from benchcast.secrets.scanner import mask
from tests.conftest import ServerProcess, run_cli
from tests.helpers import archive, publish, publisher, wait_for
from tests.secrets.fake_secrets import FAKE

pytestmark = pytest.mark.timeout(120)


def session(
    url: str,
    key: str,
    title: str,
    specs: list[tuple[float, str, str, dict[str, Any]]],
    *,
    end: bool = True,
) -> str:
    """Publish a stream whose events carry these stream times; end it (which indexes it)."""
    ws, welcome = publisher(url, key, title=title)
    events = [
        {"pseq": i, "t": t, "kind": k, "source": s, "data": d}
        for i, (t, k, s, d) in enumerate(specs, 1)
    ]
    if end:
        events.append({"pseq": len(events) + 1, "t": specs[-1][0] + 1, "kind": "stream.end",
                       "source": "stream", "data": {"reason": "done"}})  # fmt: skip
    publish(ws, events)
    ws.close()
    sid: str = welcome["stream"]
    return sid


WORK: list[tuple[float, str, str, dict[str, Any]]] = [
    (
        0.0,
        "stream.start",
        "stream",
        {"title": "Loader bug", "tags": ["ml"], "activity": "debugging"},
    ),
    (0.1, "term.open", "term:1", {"cols": 80, "rows": 10, "title": "bash"}),
    (1.0, "now", "stream", {"goal": "fix the loader", "hypothesis": "shuffle is off"}),
    *[(2.0 + i, "term.output", "term:1", {"text": f"batch {i} ok\r\n"}) for i in range(15)],
    (30.0, "marker", "stream", {"label": "the culprit"}),
    (31.0, "term.output", "term:1", {"text": "\x1b[31mIndexError\x1b[0m: quokka out of range\r\n"}),
    (40.0, "note", "notes", {"text": "Found it: **quokka** index"}),
    (50.0, "run.start", "run:r1", {"run": "r1", "name": "after-fix"}),
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path_factory.mktemp("archive")).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ada(srv: ServerProcess) -> tuple[str, str]:
    key = srv.create_channel("ada")
    sid = session(srv.url, key, "Loader bug", WORK)
    wait_for(lambda: httpx.get(f"{srv.url}/api/search", params={"q": "quokka"}).json()["hits"])
    return key, sid


def test_search_finds_terminal_text_at_its_moment_and_links_there(
    srv: ServerProcess, ada: tuple[str, str]
) -> None:
    _, sid = ada
    body = httpx.get(f"{srv.url}/api/search", params={"q": "quokka", "kind": "term"}).json()
    [hit] = body["hits"]
    assert (hit["stream"], hit["t"], hit["activity"]) == (sid, 31.0, "debugging")
    assert hit["url"] == f"/s/{sid}?t=31.000"
    assert [s for s, m in hit["context"] if m] == ["quokka"]
    kinds = {
        h["kind"] for h in httpx.get(f"{srv.url}/api/search", params={"q": "quokka"}).json()["hits"]
    }
    assert kinds == {"term", "note"}
    page = httpx.get(f"{srv.url}/search", params={"q": "quokka"}).text
    assert f'href="/s/{sid}?t=31.000"' in page and "<mark>quokka</mark>" in page
    bad = httpx.get(f"{srv.url}/api/search", params={"q": "quokka", "from": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    res = run_cli("search", "quokka", "--kind", "term", "--data", str(srv.data))
    assert res.returncode == 0, res.stderr
    assert "0:31" in res.stdout and f"/s/{sid}?t=31.000" in res.stdout


def test_chapters_moments_and_the_streamers_edits(srv: ServerProcess, ada: tuple[str, str]) -> None:
    key, sid = ada
    moments = httpx.get(f"{srv.url}/api/streams/{sid}/moments").json()
    titles = [c["title"] for c in moments["chapters"]]
    assert titles == ["Debugging", "Goal: fix the loader", "the culprit", "Run after-fix started"]
    assert [n["t"] for n in moments["notes"]] == [40.0]
    assert [r["name"] for r in moments["runs"]] == ["after-fix"]
    seq = moments["chapters"][2]["seq"]
    url = f"{srv.url}/api/streams/{sid}/chapters/{seq}"
    assert httpx.post(url, json={"title": "x"}).status_code == 401
    res = httpx.post(url, json={"title": "The shuffle bug", "summary": "shuffle=False in eval"},
                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert res.status_code == 200, res.text
    chapters = httpx.get(f"{srv.url}/api/streams/{sid}/chapters").json()["chapters"]
    assert chapters[2]["title"] == "The shuffle bug"
    assert chapters[2]["summary"] == "shuffle=False in eval"
    missing = httpx.post(f"{srv.url}/api/streams/{sid}/chapters/9999", json={"title": "x"},
                         headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert missing.status_code == 404


def test_clips_link_to_a_range(srv: ServerProcess, ada: tuple[str, str]) -> None:
    _, sid = ada
    res = httpx.post(f"{srv.url}/api/streams/{sid}/clips", json={"start": 29.5, "end": 41})
    assert res.status_code == 201, res.text
    clip = res.json()
    assert (clip["start"], clip["end"], clip["title"]) == (29.5, 41.0, "Loader bug")
    page = httpx.get(srv.url + clip["url"], follow_redirects=False)
    assert page.status_code == 302
    assert page.headers["location"] == f"/s/{sid}?clip={clip['id']}&t=29.5"
    assert httpx.get(f"{srv.url}/api/clips/{clip['id']}").json()["end"] == 41.0
    bad = httpx.post(f"{srv.url}/api/streams/{sid}/clips", json={"start": 5, "end": 2})
    assert bad.status_code == 400


def test_exports_over_http(srv: ServerProcess, ada: tuple[str, str]) -> None:
    _, sid = ada
    v3 = httpx.get(f"{srv.url}/api/streams/{sid}/export", params={"format": "asciicast-v3"})
    assert v3.status_code == 200
    rec = read_asciicast(v3.text)
    assert rec.header.version == 3 and "quokka out of range" in rec.output()
    # Chapters the streamer made are markers, as last titled.
    assert [e.data for e in rec.events if e.code == "m"][:2] == [
        "Debugging",
        "Goal: fix the loader",
    ]
    jsonl = httpx.get(f"{srv.url}/api/streams/{sid}/export", params={"format": "jsonl"}).text
    assert len(jsonl.splitlines()) == len(WORK) + 1
    html = httpx.get(f"{srv.url}/api/streams/{sid}/export", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert 'id="benchcast-data"' in html.text and "quokka" in html.text
    assert "</script" not in html.text.split('id="benchcast-data">', 1)[1].split("</script>", 1)[0]


def test_schedules_appear_in_a_valid_icalendar_feed(
    srv: ServerProcess, ada: tuple[str, str]
) -> None:
    key, _ = ada
    res = run_cli("schedule", "add", "Reading group: Adam, again", "--at", "2031-05-01T15:00Z",
                  "--duration", "1h30m", "--tag", "ml", "--description", "We read; you ask.",
                  "--server", srv.url, "--key", key)  # fmt: skip
    assert res.returncode == 0, res.stderr
    item_id = res.stdout.strip()
    for path in ("/schedule.ics", "/c/ada/schedule.ics"):
        body = httpx.get(srv.url + path)
        assert body.headers["content-type"].startswith("text/calendar")
        cal = icalendar.Calendar.from_ical(body.content)
        [event] = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith(item_id)]
        assert str(event["SUMMARY"]) == "Reading group: Adam, again"
        assert event.decoded("DTSTART").isoformat() == "2031-05-01T15:00:00+00:00"
        assert (event.decoded("DTEND") - event.decoded("DTSTART")).total_seconds() == 5400
        assert "We read; you ask." in str(event["DESCRIPTION"])
    listed = run_cli("schedule", "list", "--server", srv.url, "--json")
    assert [i["title"] for i in json.loads(listed.stdout)] == ["Reading group: Adam, again"]
    home = httpx.get(srv.url + "/").text
    assert "Reading group: Adam, again" in home and "Upcoming" in home
    gone = run_cli("schedule", "remove", item_id, "--server", srv.url, "--key", key)
    assert gone.returncode == 0, gone.stderr
    assert "Reading group" not in httpx.get(srv.url + "/schedule.ics").text


def test_past_streams_appear_in_valid_atom_feeds(srv: ServerProcess, ada: tuple[str, str]) -> None:
    _, sid = ada
    for path in ("/feed.atom", "/c/ada/feed.atom"):
        res = httpx.get(srv.url + path)
        assert res.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(res.content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == "atom10"
        entry = next(e for e in feed.entries if e.link.endswith(f"/s/{sid}"))
        assert entry.title == "Loader bug" and entry.author == "ada"
        assert "0:01 Goal: fix the loader" in entry.summary  # its table of contents
    assert httpx.get(srv.url + "/c/nobody/feed.atom").status_code == 404


def test_channel_page_bio_and_the_directory(srv: ServerProcess, ada: tuple[str, str]) -> None:
    res = run_cli("channel", "bio", "ada", "Ada debugs loaders, live.", "--data", str(srv.data))
    assert res.returncode == 0, res.stderr
    page = httpx.get(srv.url + "/c/ada").text
    assert "Ada debugs loaders, live." in page and "/c/ada/schedule.ics" in page
    browse = httpx.get(srv.url + "/browse", params={"activity": "debugging"}).text
    assert "Loader bug" in browse
    assert "Loader bug" not in httpx.get(srv.url + "/browse", params={"activity": "writing"}).text


def test_a_private_stream_stays_out_of_search_feeds_and_the_directory(srv: ServerProcess) -> None:
    key = srv.create_channel("hush")
    sid = session(srv.url, key, "Hidden work", [(0.0, "note", "notes", {"text": "wombat plans"})])
    wait_for(lambda: httpx.get(f"{srv.url}/api/search", params={"q": "wombat"}).json()["hits"])
    res = httpx.post(f"{srv.url}/api/streams/{sid}/visibility", json={"visibility": "private"},
                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert res.status_code == 200, res.text
    time.sleep(0.1)
    assert httpx.get(f"{srv.url}/api/search", params={"q": "wombat"}).json()["hits"] == []
    assert "Hidden work" not in httpx.get(srv.url + "/feed.atom").text
    assert "Hidden work" not in httpx.get(srv.url + "/browse").text
    for path in ("chapters", "moments", "export?format=jsonl"):
        assert httpx.get(f"{srv.url}/api/streams/{sid}/{path}").status_code == 404


def test_the_studio_narrates_into_a_live_stream(srv: ServerProcess) -> None:
    key = srv.create_channel("narrator")
    ws, welcome = publisher(srv.url, key, title="Live")
    sid = welcome["stream"]
    publish(ws, [{"pseq": 1, "t": 0.0, "kind": "note", "source": "notes", "data": {"text": "hi"}}])
    url = f"{srv.url}/api/streams/{sid}/narrate"
    assert httpx.post(url, json={"kind": "note", "data": {"text": "x"}}).status_code == 401
    auth = {"Authorization": f"Bearer {key}"}
    for kind, data in (
        ("note", {"text": "Trying **bf16** now"}),
        ("marker", {"label": "bf16"}),
        ("activity", {"mode": "launching experiments"}),
        ("now", {"goal": "halve the memory"}),
    ):
        res = httpx.post(url, json={"kind": kind, "data": data}, headers=auth)
        assert res.status_code == 201, res.text
    bad = httpx.post(url, json={"kind": "chat.message", "data": {}}, headers=auth)
    assert bad.status_code == 400
    # Typed in the studio, it never passed the publisher's redactor: the server's rules apply.
    token = FAKE["huggingface-token"]
    for route in ("narrate", "events"):
        note = {"kind": "note", "source": "notes", "data": {"text": f"use {token} ({route})"}}
        res = httpx.post(f"{srv.url}/api/streams/{sid}/{route}", json=note, headers=auth)
        assert res.status_code == 201, res.text
    notes = [e["data"]["text"] for e in archive(srv.url, sid) if e["kind"] == "note"]
    hidden = mask(token, "huggingface-token")
    assert notes[-2:] == [f"use {hidden} (narrate)", f"use {hidden} (events)"]
    chapters = httpx.get(f"{srv.url}/api/streams/{sid}/chapters").json()["chapters"]
    assert [c["title"] for c in chapters] == [
        "bf16",
        "Launching experiments",
        "Goal: halve the memory",
    ]
    ws.close()


def test_what_the_streamer_types_on_the_server_passes_its_rules(srv: ServerProcess) -> None:
    """Chapter edits, clip titles, a channel's bio and scheduled streams are typed straight to
    the server, never through the publisher's redactor: the server masks what its rules find."""
    key = srv.create_channel("kit")
    sid = session(srv.url, key, "Loader bug", WORK)
    auth = {"Authorization": f"Bearer {key}"}
    token, other = FAKE["github-token"], FAKE["stripe-key"]
    seq = httpx.get(f"{srv.url}/api/streams/{sid}/chapters").json()["chapters"][0]["seq"]
    posts = [
        (f"/api/streams/{sid}/chapters/{seq}", {"title": f"rotated {token}", "summary": other}),
        (f"/api/streams/{sid}/clips", {"start": 1, "end": 5, "title": f"oops {token}"}),
        ("/api/channels/kit/profile", {"bio": f"ask me for {other}"}),
        ("/api/schedule", {"title": f"rotate {token}", "starts_at": "2031-05-01T15:00Z",
                           "tags": [other], "description": f"with {token}"}),
    ]  # fmt: skip
    for path, body in posts:
        res = httpx.post(srv.url + path, json=body, headers=auth)
        assert res.status_code in (200, 201), res.text
        assert token not in res.text and other not in res.text
        assert "[github-token]" in res.text or "[stripe-key]" in res.text
    shown = "".join(
        httpx.get(srv.url + path).text
        for path in (f"/api/streams/{sid}/chapters", "/c/kit", "/api/schedule?channel=kit")
    )
    assert "[github-token]" in shown and "[stripe-key]" in shown
    assert token not in shown and other not in shown
    stored = b"".join(p.read_bytes() for p in srv.data.glob("benchcast.db*"))
    assert token.encode() not in stored and other.encode() not in stored


def test_a_schedule_made_with_the_cli_hides_the_streamers_known_values(
    srv: ServerProcess, tmp_path: Path
) -> None:
    key = srv.create_channel("lee")
    value = "qX7" + secrets.token_urlsafe(18)  # no rule knows it: only as a known value
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
    res = run_cli("schedule", "add", f"Rotating {value}", "--at", "2031-05-01T15:00Z",
                  "--description", f"old one: {value}", "--server", srv.url, "--key", key,
                  env=dict(env, LAB_API_TOKEN=value), cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr
    listed = httpx.get(f"{srv.url}/api/schedule", params={"channel": "lee"}).json()["scheduled"]
    assert listed[0]["title"].startswith("Rotating ••") and value not in repr(listed)
    stored = b"".join(p.read_bytes() for p in srv.data.glob("benchcast.db*"))
    assert value.encode() not in stored
