"""The external video a stream pairs with: what a streamer types (``--video URL``, the studio's
video box) turned into a ``video`` event's payload (events.Video).

Accepted, case aside:

    https://www.twitch.tv/NAME, twitch.tv/NAME, twitch:NAME          → Twitch channel NAME
    https://www.youtube.com/watch?v=ID, https://youtu.be/ID,
    https://www.youtube.com/live/ID, youtube:ID                       → YouTube video ID
    https://www.youtube.com/channel/UC…, youtube:UC…                  → YouTube channel (its live)
    an http(s) URL whose path ends in .m3u8 (an HLS playlist)          → HLS
    none, off, "" (empty)                                             → no video

Anything else is refused with a message that says what is accepted.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from benchcast.events import EventError, validate_payload

ACCEPTED = (
    "a Twitch channel (https://www.twitch.tv/NAME or twitch:NAME), a YouTube video or channel "
    "(https://www.youtube.com/watch?v=ID, https://youtu.be/ID, "
    "https://www.youtube.com/channel/UC…, youtube:ID), an HLS URL (https://…/index.m3u8), "
    "or none"
)


def parse_video(text: str, offset: float = 0.0) -> dict[str, Any]:
    """The ``video`` payload for what a streamer typed, with the panels' ``offset`` in seconds.

    Raises EventError saying what is accepted when ``text`` is none of it."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("", "none", "off"):
        return validate_payload("video", {"provider": "none", "offset": 0.0})
    data: dict[str, Any] | None = None
    if lowered.startswith(("twitch:", "youtube:")):
        provider, _, ident = text.partition(":")
        data = {"provider": provider.lower(), "id": ident.strip()}
    elif re.match(r"^https?://", lowered) or re.match(
        r"^(www\.|m\.)?(twitch\.tv|youtube\.com|youtu\.be)/", lowered
    ):
        data = _from_url(text if "://" in text else "https://" + text)
    if data is None:
        raise EventError(f"not a video this page can show: {text!r}; give {ACCEPTED}")
    data["offset"] = float(offset)
    return validate_payload("video", data)


def _from_url(url: str) -> dict[str, Any] | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = [p for p in parts.path.split("/") if p]
    if host == "twitch.tv":
        return {"provider": "twitch", "id": path[0] if path else ""}
    if host == "youtu.be":
        return {"provider": "youtube", "id": path[0] if path else ""}
    if host == "youtube.com":
        if path[:1] == ["watch"]:
            return {"provider": "youtube", "id": parse_qs(parts.query).get("v", [""])[0]}
        if len(path) >= 2 and path[0] in ("live", "embed", "channel", "shorts"):
            return {"provider": "youtube", "id": path[1]}
        return {"provider": "youtube", "id": ""}  # refused by the model, with its message
    if parts.path.lower().endswith(".m3u8"):
        return {"provider": "hls", "url": url}
    return None
