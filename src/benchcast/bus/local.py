"""The in-process bus (``memory://``): the embedded default, and a stand-in for tests.

``memory://`` alone is a bus with no other processes on it (one server, nothing to tell).
``memory://NAME`` joins every bus of that name in this Python process, so tests can run the
same contract against it as against Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from benchcast.bus.base import Appended, Bus, Handler, Message


@dataclass
class _Member:
    bus: LocalBus
    loop: asyncio.AbstractEventLoop
    handler: Handler
    streams: set[str] = field(default_factory=set)


_NAMED: dict[str, list[_Member]] = {}


class LocalBus(Bus):
    """Delivers each message to the other members of the same name, on their own loops."""

    def __init__(self, name: str = "", node: str | None = None) -> None:
        super().__init__(node)
        self.name = name
        self._member: _Member | None = None
        self._peers: list[_Member] = _NAMED.setdefault(name, []) if name else []

    async def start(self, handler: Handler, on_resync: Callable[[], None]) -> None:
        self._member = _Member(self, asyncio.get_running_loop(), handler)
        self._peers.append(self._member)

    async def close(self) -> None:
        if self._member in self._peers:
            self._peers.remove(self._member)
        if self.name and not self._peers:
            _NAMED.pop(self.name, None)

    def send(self, message: Message) -> None:
        for peer in self._peers:
            if peer is self._member:
                continue
            if isinstance(message, Appended) and message.stream not in peer.streams:
                continue
            # Thread-safe, so servers on threads of their own can share a bus in tests.
            peer.loop.call_soon_threadsafe(peer.handler, message)

    def watch(self, stream: str) -> None:
        if self._member is not None:
            self._member.streams.add(stream)

    def unwatch(self, stream: str) -> None:
        if self._member is not None:
            self._member.streams.discard(stream)
