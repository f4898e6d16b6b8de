"""The external video a stream pairs with, as folded from ``video`` events: the newest one,
so a viewer's page knows which player to show and how long its panels wait (the offset).

Keyframe state gains ``video`` once one is set: the payload of the newest ``video`` event
(events.Video), or null after ``{"provider": "none"}``.
"""

from __future__ import annotations

from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part


class VideoPart:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.video: dict[str, Any] | None = dict(state) if state else None

    def snapshot(self) -> dict[str, Any] | None:
        return dict(self.video) if self.video else None


def current(data: dict[str, Any]) -> dict[str, Any] | None:
    """What a ``video`` payload leaves shown: itself, or nothing for provider ``none``."""
    return None if data.get("provider") == "none" else dict(data)


def _watch(f: StreamFold, ev: Event) -> None:
    if ev.kind == "video":
        cast(VideoPart, f.part("video")).video = current(ev.data)


register_part("video", VideoPart)
register_every(_watch)
