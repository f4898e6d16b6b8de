"""What every bus promises, and the two messages it carries.

A bus tells the *other* server processes what happened on this one; each process delivers its
own events to its own viewers directly. It carries hints, not the truth: an ``Appended`` says
"stream S has events up to seq N in the store", with their wire JSON when small, and a process
that misses one (or gets one without the events) reads them from the store. So a bus may drop
messages when it is down or falls behind, and must never block the caller.
"""

from __future__ import annotations

import abc
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Events whose wire JSON is longer than this travel as "seq N exists" alone; receivers read
#: them from the store (one read per process, not per viewer).
MAX_BODY = 8 * 1024


@dataclass(frozen=True, slots=True)
class Appended:
    """Stream ``stream`` has committed events ``first``..``last``.

    ``body`` is their wire JSON, comma-joined (``events_frame`` puts brackets around it), or
    None when they were too big to carry. ``at`` is the wall-clock time of the commit.
    """

    node: str
    stream: str
    first: int
    last: int
    at: float
    body: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something every process should hear: ``lease`` (a publisher took over a stream) or
    ``viewers`` (how many watch each stream there)."""

    node: str
    topic: str
    data: dict[str, Any]


Message = Appended | Notice
Handler = Callable[[Message], None]


def default_node() -> str:
    """A name for this process, unique among the processes sharing a bus (≤ 48 characters)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}"


class Bus(abc.ABC):
    """Fan-out between server processes. Every method is called on the server's event loop.

    ``start`` hands it the handler for messages from other processes; a process never hears
    its own. ``Appended`` messages reach only processes that ``watch`` the stream; ``Notice``
    messages reach every process. When messages may have been lost (the bus reconnected),
    ``on_resync`` is called so the server can compare what it has with the store.
    """

    def __init__(self, node: str | None = None) -> None:
        self.node = node or default_node()
        #: Messages this process could not send (bus down or behind); each costs latency only.
        self.dropped = 0

    @property
    def connected(self) -> bool:
        """Whether messages can flow now (readiness reports it)."""
        return True

    @abc.abstractmethod
    async def start(self, handler: Handler, on_resync: Callable[[], None]) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    def send(self, message: Message) -> None:
        """Hand a message to the other processes, or drop it (and count it); never blocks."""

    @abc.abstractmethod
    def watch(self, stream: str) -> None:
        """Start receiving ``Appended`` messages for ``stream`` (takes effect shortly)."""

    @abc.abstractmethod
    def unwatch(self, stream: str) -> None: ...

    def appended(self, stream: str, first: int, last: int, wire: Sequence[str], at: float) -> None:
        body = ",".join(wire)
        self.send(
            Appended(self.node, stream, first, last, at, body if len(body) <= MAX_BODY else None)
        )

    def notice(self, topic: str, data: dict[str, Any]) -> None:
        self.send(Notice(self.node, topic, data))
