"""The Redis bus (``redis://host:port/db``): pub/sub between any number of server processes.

Each stream has a channel (``PREFIX:stream:ID``) that only processes with viewers of it
subscribe to; notices go on ``PREFIX:all``. ``?prefix=NAME`` in the URL (default
``benchcast``) lets several deployments, or tests, share one Redis.

Redis pub/sub delivers at most once and forgets what it could not deliver, which is all the
bus promises: sends go through a bounded queue and are dropped (and counted) when Redis is
down or behind; the subscriber reconnects on its own with backoff, and after every reconnect
asks the server to compare its streams with the store (``on_resync``), since anything sent
meanwhile is lost. Needs ``pip install 'benchcast[redis]'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from benchcast.bus.base import Appended, Bus, Handler, Message, Notice

log = logging.getLogger("benchcast.bus.redis")

#: Messages waiting to be sent; past this, new ones are dropped (they are only hints).
MAX_QUEUE = 10_000
#: Messages sent to Redis in one pipeline round trip.
MAX_PIPELINE = 500
BACKOFF_MIN = 0.1
BACKOFF_MAX = 2.0


def _split_url(url: str) -> tuple[str, str]:
    """The URL for redis-py, and the channel prefix taken out of its query string."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    prefix = next((v for k, v in query if k == "prefix"), "benchcast")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def encode(message: Message) -> bytes:
    """One message as bytes: a tag letter, newline-separated header fields, then the body.

    The events' JSON goes through as it is, so no process decodes and re-encodes it.
    """
    if isinstance(message, Appended):
        m = message
        head = f"{m.node}\n{m.stream}\n{m.first}\n{m.last}\n{m.at!r}\n"
        if m.body is None:
            return b"a" + head.encode()
        return b"A" + head.encode() + m.body.encode()
    return b"N" + f"{message.node}\n{message.topic}\n".encode() + json.dumps(message.data).encode()


def decode(raw: bytes) -> Message:
    tag, text = raw[:1], raw[1:].decode()
    if tag in (b"A", b"a"):
        node, stream, first, last, at, body = text.split("\n", 5)
        return Appended(
            node, stream, int(first), int(last), float(at), body if tag == b"A" else None
        )
    if tag == b"N":
        node, topic, data = text.split("\n", 2)
        return Notice(node, topic, json.loads(data))
    raise ValueError(f"unknown bus message tag {tag!r}")


class RedisBus(Bus):
    def __init__(self, url: str, node: str | None = None) -> None:
        super().__init__(node)
        self._url, self.prefix = _split_url(url)
        self._all = f"{self.prefix}:all"
        self._streams: set[str] = set()
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(MAX_QUEUE)
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._handler: Handler | None = None
        self._on_resync: Callable[[], None] = lambda: None
        self._connected = False
        self._closing = False

    def _channel(self, stream: str) -> str:
        return f"{self.prefix}:stream:{stream}"

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self, handler: Handler, on_resync: Callable[[], None]) -> None:
        self._handler = handler
        self._on_resync = on_resync
        # No retries inside redis-py: a failure must surface here, where the reconnect and the
        # resync live. Keepalive notices a Redis that vanished without closing the socket.
        self._client = aioredis.Redis.from_url(
            self._url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2,
            socket_keepalive=True,
        )
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._send_loop(), name="benchcast-bus-send"),
            loop.create_task(self._receive_loop(), name="benchcast-bus-receive"),
        ]

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()

    def send(self, message: Message) -> None:
        channel = self._channel(message.stream) if isinstance(message, Appended) else self._all
        try:
            self._queue.put_nowait((channel, encode(message)))
        except asyncio.QueueFull:
            self.dropped += 1

    def watch(self, stream: str) -> None:
        if stream in self._streams:
            return
        self._streams.add(stream)
        self._command("subscribe", self._channel(stream))

    def unwatch(self, stream: str) -> None:
        if stream not in self._streams:
            return
        self._streams.discard(stream)
        self._command("unsubscribe", self._channel(stream))

    def _command(self, name: str, channel: str) -> None:
        """Subscribe or unsubscribe now if connected; a reconnect subscribes to the whole set."""
        pubsub = self._pubsub
        if pubsub is None:
            return

        async def run() -> None:
            with contextlib.suppress(RedisError, OSError):
                await getattr(pubsub, name)(channel)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _send_loop(self) -> None:
        assert self._client is not None
        failing = False
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_PIPELINE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, data in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
                if failing:
                    log.info("bus: sending to Redis again")
                    failing = False
            except (RedisError, OSError) as err:
                self.dropped += len(batch)
                if not failing:
                    log.warning("bus: cannot send to Redis (%s); dropping announcements", err)
                    failing = True
                await asyncio.sleep(BACKOFF_MIN)

    async def _receive_loop(self) -> None:
        assert self._client is not None
        delay = BACKOFF_MIN
        while not self._closing:
            pubsub = self._client.pubsub()
            try:
                self._pubsub = pubsub
                await pubsub.subscribe(self._all, *[self._channel(s) for s in self._streams])
                self._connected = True
                delay = BACKOFF_MIN
                log.info("bus: subscribed to Redis as %s", self.node)
                # Whatever was sent while we were away is lost: compare with the store.
                self._on_resync()
                async for item in pubsub.listen():
                    if item["type"] == "message":
                        self._deliver(item["data"])
            except (RedisError, OSError) as err:
                if self._connected:
                    log.warning("bus: lost Redis (%s); reconnecting", err)
            finally:
                self._connected = False
                self._pubsub = None
                with contextlib.suppress(RedisError, OSError, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(BACKOFF_MAX, delay * 2)

    def _deliver(self, raw: bytes) -> None:
        try:
            message = decode(raw)
        except (ValueError, UnicodeDecodeError):
            log.warning("bus: ignored a malformed message (%d bytes)", len(raw))
            return
        if message.node == self.node or self._handler is None:
            return
        try:
            self._handler(message)
        except Exception:  # one bad message must not stop the subscriber
            log.exception("bus: handling a message failed")
