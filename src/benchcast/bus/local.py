"""The in-process bus: subscribers are callbacks run on the publishing event loop."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from benchcast.events import Event

Subscriber = Callable[[str, Sequence[Event], Sequence[str]], None]


class LocalBus:
    """Delivers each batch of new events, with their wire JSON, to every subscriber."""

    def __init__(self) -> None:
        self._subs: dict[str, list[Subscriber]] = defaultdict(list)
        self._all: list[Subscriber] = []

    def subscribe_all(self, fn: Subscriber) -> None:
        self._all.append(fn)

    def publish(self, stream_id: str, events: Sequence[Event], wire: Sequence[str]) -> None:
        for fn in self._all:
            fn(stream_id, events, wire)
