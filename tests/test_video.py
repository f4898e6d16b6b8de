"""The external video a stream pairs with: what a streamer may type, what the `video` event
accepts (only ids of the shapes the official embeds take, and plain http(s) HLS URLs), how
the fold keeps the newest, and `benchcast live/stream --video` refusing bad input before
going on air."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from benchcast.events import Event, EventError, validate_payload
from benchcast.replay.fold import StreamFold
from benchcast.video import parse_video
from tests.conftest import ServerProcess, run_cli
from tests.helpers import archive, publish, publisher

UC = "UCabcdefghijklmnopqrstuv"


@pytest.mark.parametrize(
    ("typed", "provider", "ident"),
    [
        ("https://www.twitch.tv/ada_lab", "twitch", "ada_lab"),
        ("twitch.tv/ada_lab", "twitch", "ada_lab"),
        ("twitch:ada_lab", "twitch", "ada_lab"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42", "youtube", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/live/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/channel/" + UC, "youtube", UC),
    ],
)  # fmt: skip
def test_a_twitch_or_youtube_address_becomes_a_checked_id(
    typed: str, provider: str, ident: str
) -> None:
    assert parse_video(typed, 7.5) == {"provider": provider, "id": ident, "url": "", "offset": 7.5}


def test_an_m3u8_playlist_is_an_hls_stream_and_none_removes_the_video() -> None:
    url = "https://cdn.example.org/live/index.m3u8?token=abc"
    assert parse_video(url)["provider"] == "hls" and parse_video(url)["url"] == url
    with pytest.raises(EventError, match="give a Twitch channel"):
        parse_video("https://vimeo.com/123")
    assert parse_video("none") == {"provider": "none", "id": "", "url": "", "offset": 0.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"provider": "twitch", "id": "a b"}, "Twitch channel name"),
        ({"provider": "twitch", "id": "https://evil.example/"}, "Twitch channel name"),
        ({"provider": "youtube", "id": 'x" onload="alert(1)'}, "YouTube id"),
        ({"provider": "youtube", "id": "dQw4w9WgXcQ", "url": "https://x.org/"}, "give id, not url"),
        ({"provider": "hls", "url": "javascript:alert(1)"}, "http:// or https://"),
        ({"provider": "hls", "url": "https://me:pw@cdn.org/a.m3u8"}, "user name or password"),
        ({"provider": "hls", "url": "https://cdn.org/a\"><script>"}, "characters a URL may not"),
        ({"provider": "twitch", "id": "ada_lab", "offset": 601}, "less than or equal to 600"),
        ({"provider": "vimeo", "id": "123"}, "provider"),
    ],
)  # fmt: skip
def test_the_video_event_accepts_only_the_shapes_a_page_can_embed_safely(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(EventError, match=message):
        validate_payload("video", data)


def test_what_is_typed_wrong_is_refused_saying_what_is_accepted() -> None:
    with pytest.raises(EventError, match="give a Twitch channel"):
        parse_video("ftp://example.org/video")
    with pytest.raises(EventError, match="YouTube id"):
        parse_video("https://www.youtube.com/@somebody")


def test_the_fold_keeps_the_newest_video_and_forgets_it_on_none() -> None:
    fold = StreamFold()
    for seq, data in enumerate(
        [parse_video("twitch:ada_lab", 3), parse_video("https://youtu.be/dQw4w9WgXcQ", 5)], 1
    ):
        fold.apply(Event(seq=seq, t=float(seq), kind="video", source="stream", data=data))
    snap = fold.snapshot()
    assert snap["video"]["id"] == "dQw4w9WgXcQ" and snap["video"]["offset"] == 5.0
    assert StreamFold.restore(snap).snapshot()["video"] == snap["video"]
    fold.apply(Event(seq=3, t=3.0, kind="video", source="stream", data=parse_video("none")))
    assert fold.snapshot()["video"] is None


def test_a_bad_video_is_refused_before_anything_goes_on_air(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    res = run_cli(
        "stream", "--server", "http://127.0.0.1:9", "--key", "bck_x", "--data", str(tmp_path),
        "--video", "https://www.youtube.com/@somebody", "--", "touch", str(marker),
    )  # fmt: skip
    assert res.returncode != 0
    assert "benchcast: --video: " in res.stderr and "YouTube id" in res.stderr
    assert not marker.exists()
    res = run_cli("live", "--video-offset", "5", "--data", str(tmp_path), "--", "true")
    assert res.returncode != 0 and "--video-offset needs --video URL" in res.stderr


def test_the_studio_sets_the_video_from_what_the_streamer_typed(server: ServerProcess) -> None:
    key = server.create_channel("paired")
    ws, welcome = publisher(server.url, key, title="Live")
    sid = welcome["stream"]
    publish(ws, [{"pseq": 1, "t": 0.0, "kind": "note", "source": "notes", "data": {"text": "hi"}}])
    url = f"{server.url}/api/streams/{sid}/narrate"
    auth = {"Authorization": f"Bearer {key}"}
    typed = {"link": "https://www.twitch.tv/ada_lab", "offset": 6}
    res = httpx.post(url, json={"kind": "video", "data": typed}, headers=auth)
    assert res.status_code == 201, res.text
    bad = {"link": "https://www.youtube.com/@somebody", "offset": 6}
    res = httpx.post(url, json={"kind": "video", "data": bad}, headers=auth)
    assert res.status_code == 400 and "YouTube id" in res.json()["error"]
    videos = [e["data"] for e in archive(server.url, sid) if e["kind"] == "video"]
    assert videos == [{"provider": "twitch", "id": "ada_lab", "url": "", "offset": 6.0}]
    # The stream page starts its player with it (and so with its delay).
    page = httpx.get(f"{server.url}/s/{sid}").text
    assert '"video": {"id": "ada_lab", "offset": 6.0, "provider": "twitch", "url": ""}' in page
    ws.close()
