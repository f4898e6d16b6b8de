"""What one server process holds while it runs: the store, the bus, fan-out, keyframes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from benchcast.bus.local import LocalBus
from benchcast.events import Event
from benchcast.server.hub import Hub
from benchcast.server.keyframer import Keyframer
from benchcast.server.limits import SlidingWindow
from benchcast.store.async_store import AsyncStore


@dataclass
class ServerState:
    store: AsyncStore
    bus: LocalBus
    hub: Hub
    keyframer: Keyframer
    publishers: dict[str, WebSocket] = field(default_factory=dict)
    # Refused stream keys per client address: 10 a minute, then refuse without checking.
    auth_failures: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 60.0))
    events_in: int = 0
    rejected: int = 0
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @classmethod
    def create(cls, store: AsyncStore, **keyframer_opts: Any) -> ServerState:
        bus = LocalBus()
        hub = Hub(store)
        keyframer = Keyframer(store, **keyframer_opts)
        bus.subscribe_all(hub.on_events)
        bus.subscribe_all(keyframer.feed)
        return cls(store=store, bus=bus, hub=hub, keyframer=keyframer)

    def publish(self, stream_id: str, events: Sequence[Event]) -> None:
        """Announce events the store has already committed."""
        self.events_in += len(events)
        wire = [e.to_json() for e in events]
        self.bus.publish(stream_id, events, wire)
        if any(e.kind == "stream.end" for e in events):
            task = asyncio.get_running_loop().create_task(
                self.store.write(self.store.sync.end_stream, stream_id)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
