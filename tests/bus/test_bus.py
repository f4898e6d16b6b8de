"""The bus contract, against the in-process bus and against Redis: announcements reach the
other processes watching a stream and never the sender, big ones travel without their events,
notices reach everyone, and a bus that loses Redis drops rather than blocks, reconnects by
itself and asks for a resync."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from benchcast.bus import MAX_BODY, Appended, Bus, Message, Notice, bus_from_url
from tests.services import RedisProcess, shared_redis_url

BACKENDS = ["memory", "redis"]


@pytest.fixture(params=BACKENDS)
def bus_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return f"memory://test-{secrets.token_hex(4)}"
    return shared_redis_url()


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    proc = RedisProcess().start()
    yield proc
    proc.stop()


class Node:
    """One bus member and what it heard."""

    def __init__(self, url: str, name: str) -> None:
        self.bus: Bus = bus_from_url(url, node=name)
        self.heard: list[Message] = []
        self.resyncs = 0

    async def start(self) -> Node:
        await self.bus.start(self.heard.append, self._resync)
        return self

    def _resync(self) -> None:
        self.resyncs += 1

    def appended(self) -> list[Appended]:
        return [m for m in self.heard if isinstance(m, Appended)]


async def until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 60))


def wire(seq: int, text: str = "x") -> str:
    return (
        f'{{"seq":{seq},"t":0.0,"kind":"term.output","source":"term:1","data":{{"text":"{text}"}}}}'
    )


async def _nodes(url: str, *names: str) -> list[Node]:
    nodes = [await Node(url, n).start() for n in names]
    # Redis subscriptions take effect a moment after they are asked for.
    await until(lambda: all(n.bus.connected for n in nodes))
    return nodes


def test_announcements_reach_the_other_watchers_and_never_the_sender(bus_url: str) -> None:
    async def go() -> None:
        a, b, c = await _nodes(bus_url, "a", "b", "c")
        b.bus.watch("s1")
        a.bus.watch("s1")
        await asyncio.sleep(0.2)
        a.bus.appended("s1", 1, 2, [wire(1), wire(2)], 123.5)
        a.bus.appended("s2", 1, 1, [wire(1)], 123.5)  # nobody watches s2
        await until(lambda: b.appended())
        await asyncio.sleep(0.2)
        assert b.appended() == [Appended("a", "s1", 1, 2, 123.5, f"{wire(1)},{wire(2)}")]
        assert a.heard == [] and c.appended() == []
        b.bus.unwatch("s1")
        await asyncio.sleep(0.2)
        a.bus.appended("s1", 3, 3, [wire(3)], 124.0)
        await asyncio.sleep(0.3)
        assert len(b.appended()) == 1
        for n in (a, b, c):
            await n.bus.close()

    run(go)


def test_announcements_keep_their_order(bus_url: str) -> None:
    async def go() -> None:
        a, b = await _nodes(bus_url, "a", "b")
        b.bus.watch("s")
        await asyncio.sleep(0.2)
        for seq in range(1, 501):
            a.bus.appended("s", seq, seq, [wire(seq)], 0.0)
        await until(lambda: len(b.appended()) == 500)
        assert [m.first for m in b.appended()] == list(range(1, 501))
        await a.bus.close()
        await b.bus.close()

    run(go)


def test_big_batches_travel_as_seq_numbers_alone(bus_url: str) -> None:
    async def go() -> None:
        a, b = await _nodes(bus_url, "a", "b")
        b.bus.watch("s")
        await asyncio.sleep(0.2)
        a.bus.appended("s", 1, 1, [wire(1, "y" * (MAX_BODY + 1))], 0.0)
        await until(lambda: b.appended())
        assert b.appended()[0].body is None and b.appended()[0].last == 1
        await a.bus.close()
        await b.bus.close()

    run(go)


def test_notices_reach_every_other_process(bus_url: str) -> None:
    async def go() -> None:
        a, b, c = await _nodes(bus_url, "a", "b", "c")
        a.bus.notice("lease", {"stream": "s", "holder": "a/1"})
        await until(lambda: b.heard and c.heard)
        assert b.heard == c.heard == [Notice("a", "lease", {"stream": "s", "holder": "a/1"})]
        assert a.heard == []
        for n in (a, b, c):
            await n.bus.close()

    run(go)


def test_a_bus_that_loses_redis_drops_without_blocking_then_reconnects_and_resyncs(
    own_redis: RedisProcess,
) -> None:
    url = own_redis.url + "?prefix=t"

    async def go() -> None:
        a, b = await _nodes(url, "a", "b")
        b.bus.watch("s")
        await asyncio.sleep(0.2)
        a.bus.appended("s", 1, 1, [wire(1)], 0.0)
        await until(lambda: b.appended())
        resyncs = b.resyncs
        own_redis.stop()
        await until(lambda: not b.bus.connected)
        started = time.monotonic()
        for seq in range(2, 30_000):
            a.bus.appended("s", seq, seq, [wire(seq)], 0.0)
        assert time.monotonic() - started < 2.0  # sending never waits on Redis
        await until(lambda: a.bus.dropped > 0)
        own_redis.start()
        await until(lambda: b.bus.connected and a.bus.connected, timeout=15)
        assert b.resyncs > resyncs  # told to compare with the store: messages were lost
        await asyncio.sleep(0.3)
        a.bus.appended("s", 40_000, 40_000, [wire(40_000)], 0.0)
        await until(lambda: b.appended()[-1].first == 40_000, timeout=15)
        await a.bus.close()
        await b.bus.close()

    run(go)


def test_unknown_bus_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="memory:// or redis://"):
        bus_from_url("kafka://nope")
