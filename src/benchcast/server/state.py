"""What one server process holds while it runs: the store, the bus, fan-out, keyframes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from benchcast.bus import Appended, Bus, Message, Notice
from benchcast.events import Event
from benchcast.server import wants
from benchcast.server.hub import Hub
from benchcast.server.keyframer import Keyframer
from benchcast.server.limits import SlidingWindow
from benchcast.server.metrics import Metrics
from benchcast.store.async_store import AsyncStore

log = logging.getLogger("benchcast.server")

CLOSE_REPLACED = 4409
#: The standard "service restart" close code: come back (to another process) shortly.
CLOSE_RESTART = 1012


async def say_and_close(ws: WebSocket, msg: dict[str, Any], code: int, reason: str) -> None:
    """Send one last message and close; the peer may already be gone."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.send_text(json.dumps(msg, separators=(",", ":")))
        await ws.close(code, reason[:120])


def reconnect_message(reason: str) -> dict[str, Any]:
    # Spread the reconnections of a whole process's viewers over a second.
    return {"type": "reconnect", "reason": reason, "after_ms": random.randint(0, 1000)}


@dataclass
class Publisher:
    """A publisher connected to this process, and the lease it holds (``Store.take_lease``)."""

    ws: WebSocket
    holder: str

    async def replaced(self) -> None:
        await say_and_close(
            self.ws,
            {
                "type": "error",
                "code": "replaced",
                "message": "another publisher connected to this stream",
            },
            CLOSE_REPLACED,
            "another publisher connected to this stream",
        )


@dataclass
class ServerState:
    store: AsyncStore
    bus: Bus
    hub: Hub
    keyframer: Keyframer
    metrics: Metrics
    publishers: dict[str, Publisher] = field(default_factory=dict)
    # Refused stream keys per client address: 10 a minute, then refuse without checking.
    auth_failures: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 60.0))
    events_in: int = 0
    rejected: int = 0
    redactions: int = 0
    #: Shutting down: not ready, and every connection is being told to go elsewhere.
    draining: bool = False
    #: Called with (stream id, "on" | "paused", the event's stream time) for every committed
    #: ``air`` event, whichever process ingested it (the media relay stops taking audio at
    #: once: server/media.py).
    air_listeners: list[Callable[[str, str, float], None]] = field(default_factory=list)
    #: Handlers of bus notices by topic, for modules beside the event log (server/media.py).
    notice_handlers: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @classmethod
    def create(cls, store: AsyncStore, bus: Bus, **keyframer_opts: Any) -> ServerState:
        metrics = Metrics()
        hub = Hub(store, bus, observe_lag=metrics.fanout_lag.observe)
        keyframer = Keyframer(store, **keyframer_opts)
        state = cls(store=store, bus=bus, hub=hub, keyframer=keyframer, metrics=metrics)
        metrics.watch(state)
        return state

    async def start(self) -> None:
        self.keyframer.start()
        self.hub.start()
        await self.bus.start(self.on_bus, self._resync)

    async def stop(self) -> None:
        await self.hub.stop()
        await self.bus.close()
        self.keyframer.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in the background, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def publish(self, stream_id: str, events: Sequence[Event], *, fold: bool = True) -> None:
        """Announce events the store has already committed: to this process's viewers, to the
        keyframer (``fold``; only events a publisher sent here, so keyframes are written by
        the process that ingested them), and to the other processes."""
        if not events:
            return
        at = time.time()
        first, last = events[0].seq, events[-1].seq
        wire = [e.to_json() for e in events]
        self.events_in += len(events)
        self.hub.on_local(stream_id, first, last, wire, at)
        if fold:
            self.keyframer.feed(stream_id, events)
        self.bus.appended(stream_id, first, last, wire, at)
        for e in events:
            if e.kind == "redacted":
                self.redactions += int(e.data.get("count", 0))
            elif e.kind == "stream.end":
                self.spawn(self.store.write(self.store.sync.end_stream, stream_id))
            elif e.kind == "air":
                self._air(stream_id, str(e.data.get("state", "on")), e.t)

    def _air(self, stream_id: str, air: str, t: float) -> None:
        for listener in self.air_listeners:
            listener(stream_id, air, t)

    def on_bus(self, msg: Message) -> None:
        """A message from another process."""
        if isinstance(msg, Appended):
            self.hub.on_remote(msg)
            if self.air_listeners and msg.body and '"air"' in msg.body:
                for wire in json.loads("[" + msg.body + "]"):
                    if wire.get("kind") == "air":
                        state = str(wire.get("data", {}).get("state", "on"))
                        self._air(msg.stream, state, float(wire.get("t", 0.0)))
        elif isinstance(msg, Notice):
            if msg.topic == "viewers":
                self.hub.on_remote_viewers(msg.node, dict(msg.data.get("counts", {})))
            elif msg.topic == "lease":
                self._lease_taken(str(msg.data.get("stream")), str(msg.data.get("holder")))
            elif msg.topic == wants.TOPIC:
                wants.deliver(self, msg.data)
            elif msg.topic in self.notice_handlers:
                self.notice_handlers[msg.topic](dict(msg.data))

    def _lease_taken(self, stream_id: str, holder: str) -> None:
        """Another process's publisher took this stream: close ours now, not at its next
        append (which the lease would refuse anyway)."""
        mine = self.publishers.get(stream_id)
        if mine is not None and mine.holder != holder:
            self.spawn(self._close_if_replaced(stream_id, mine))

    async def _close_if_replaced(self, stream_id: str, mine: Publisher) -> None:
        # The notice may be older than our own connection's lease: ask the store who holds it.
        holder = await self.store.read(self.store.sync.lease_holder, stream_id)
        if holder != mine.holder and self.publishers.get(stream_id) is mine:
            await mine.replaced()

    def _resync(self) -> None:
        self.spawn(self.hub.resync())

    async def drain(self, grace: float) -> None:
        """Go away politely: not ready any more, every viewer and publisher told to reconnect
        (a load balancer sends them to another process), then wait up to ``grace`` seconds
        for them to leave."""
        self.draining = True
        viewers = self.hub.retire_all()
        publishers = list(self.publishers.values())
        for p in publishers:
            self.spawn(
                say_and_close(
                    p.ws, reconnect_message("server shutting down"), CLOSE_RESTART, "shutdown"
                )
            )
        log.info(
            "draining: told %d viewers and %d publishers to reconnect elsewhere",
            viewers,
            len(publishers),
        )
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and (
            self.publishers or any(ch.viewers for ch in self.hub.channels.values())
        ):
            await asyncio.sleep(0.05)
