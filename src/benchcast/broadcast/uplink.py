"""The uplink: sends the spool to the server over a websocket, and keeps doing so.

It is a state machine (DESIGN.md §2):

    CONNECTING ──welcome──► STREAMING ──drop──► RESUMING ──backoff──► CONNECTING
         │                      │                                      …
         └──────── refused / close() ─────────────────────────────► CLOSED

Resuming is a state, not special cases: every (re)connection says hello with the stream id
from the spool, learns the last pseq the server stored, forgets what was acknowledged, and
sends the rest. Backoff is exponential with full jitter, so a server restart is not met by
every publisher at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from benchcast.broadcast.spool import Spool

log = logging.getLogger("benchcast.uplink")

BATCH = 500
#: Characters of event JSON per message; with UTF-8 and JSON escapes this stays under the
#: server's 4 MiB message limit.
MAX_MESSAGE_CHARS = 1024 * 1024
MAX_IN_FLIGHT = 5000
BACKOFF_MIN = 0.25
BACKOFF_MAX = 15.0
#: Bytes of a blob per message (base64 makes it a third bigger; messages stay under 4 MiB).
BLOB_CHUNK = 1024 * 1024


class UplinkState(enum.Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RESUMING = "resuming"
    CLOSED = "closed"


_TRANSITIONS = {
    UplinkState.CONNECTING: {UplinkState.STREAMING, UplinkState.RESUMING, UplinkState.CLOSED},
    UplinkState.STREAMING: {UplinkState.RESUMING, UplinkState.CLOSED},
    UplinkState.RESUMING: {UplinkState.CONNECTING, UplinkState.CLOSED},
    UplinkState.CLOSED: set(),
}


class Refused(Exception):
    """The server refused this publisher for good (bad key, replaced, unknown stream)."""


@dataclass
class UplinkInfo:
    stream_id: str | None = None
    url: str | None = None
    refused: str | None = None
    acked: int = 0
    connects: int = 0
    errors: list[str] = field(default_factory=list)


def ws_url(server: str) -> str:
    base = server.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    elif not base.startswith(("ws://", "wss://")):
        base = "ws://" + base
    return base + "/ws/publish"


class Uplink:
    """Runs on its own thread with its own event loop; ``notify()`` says the spool grew."""

    def __init__(
        self,
        server: str,
        key: str,
        spool: Spool,
        *,
        title: str = "",
        tags: list[str] | None = None,
        on_message: Callable[[str], None] = lambda _m: None,
        on_request: Callable[[dict[str, Any]], None] = lambda _m: None,
        delay: float = 0.0,
    ) -> None:
        """``on_request`` gets what the server asks of the publisher (``want``), on this
        uplink's thread; it must not block. ``delay`` is the broadcast delay, stated in the
        hello so the studio holds the voice as long (docs/voice.md)."""
        self.server = server
        self.key = key
        self.spool = spool
        self.title = title
        self.tags = tags or []
        self.on_message = on_message
        self.on_request = on_request
        self.delay = delay
        #: The stream time of a pause or panic to tell the server out of band (``hold``), kept
        #: until the streamer resumes, and told again on every (re)connection meanwhile.
        self.hold_t: float | None = None
        self._hold_sent: float | None = None
        self.state = UplinkState.CONNECTING
        self.info = UplinkInfo(stream_id=spool.stream_id)
        self.welcomed = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._wake: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="benchcast-uplink", daemon=True)
        self._stop = False

    def _to(self, state: UplinkState) -> None:
        if state not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"uplink cannot go from {self.state.value} to {state.value}")
        self.state = state

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        if self._wake is None:
            return
        # The loop may have ended already (the server refused the stream): none to wake then.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake.set)

    def hold(self, t: float | None) -> None:
        """Tell the server now, ahead of the spool and the delay, that the streamer paused
        at stream time ``t`` (None: resumed; going back on air follows the delayed event)."""
        self.hold_t = t
        self.notify()

    def close(self, timeout: float = 5.0) -> None:
        self._stop = True
        self.notify()
        self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._run())
        finally:
            self._loop.close()

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        delay = BACKOFF_MIN
        while not self._stop:
            try:
                await self._session()
                delay = BACKOFF_MIN
            except Refused as err:
                self.info.refused = str(err)
                self.on_message(f"server refused this stream: {err}")
                self.welcomed.set()
                if self.state is not UplinkState.CLOSED:
                    self._to(UplinkState.CLOSED)
                return
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as err:
                self.info.errors.append(str(err))
                del self.info.errors[:-10]
            if self._stop:
                break
            if self.state is not UplinkState.RESUMING:
                self._to(UplinkState.RESUMING)
            # Full jitter: sleep anywhere in [0, delay], then widen the window.
            sleep = random.uniform(0, delay)
            delay = min(BACKOFF_MAX, delay * 2)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wait_stop(), sleep)
            if not self._stop:
                self._to(UplinkState.CONNECTING)
        if self.state is not UplinkState.CLOSED:
            self._to(UplinkState.CLOSED)

    async def _wait_stop(self) -> None:
        while not self._stop:
            assert self._wake is not None
            await self._wake.wait()
            self._wake.clear()

    async def _session(self) -> None:
        async with connect(
            ws_url(self.server),
            open_timeout=10,
            max_size=2**22,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=2,
        ) as ws:
            self.info.connects += 1
            await ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "key": self.key,
                        "stream": self.spool.stream_id,
                        "title": self.title,
                        "tags": self.tags,
                        "delay": self.delay,
                        "protocol": 1,
                    }
                )
            )
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if welcome.get("type") == "error":
                raise Refused(welcome.get("message", "refused"))
            if welcome.get("type") != "welcome":
                raise Refused(f"unexpected reply {welcome.get('type')!r}")
            if self.spool.stream_id is None:
                self.spool.set("stream", welcome["stream"])
            self.info.stream_id = welcome["stream"]
            self.info.url = self.server.rstrip("/") + welcome.get("url", "")
            acked = int(welcome.get("acked", 0))
            self.spool.ack(acked)
            self.info.acked = acked
            self._to(UplinkState.STREAMING)
            self.welcomed.set()
            sender = asyncio.ensure_future(self._send_loop(ws, acked))
            try:
                await self._receive_loop(ws)
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender

    async def _send_loop(self, ws: ClientConnection, sent: int) -> None:
        assert self._wake is not None
        blobs_sent: set[str] = set()
        self._hold_sent = None  # a new connection: a hold in force is told again
        while True:
            hold = self.hold_t
            if hold is not None and hold != self._hold_sent:
                # First, before any batch: the voice must stop before anything else is sent.
                await ws.send(json.dumps({"type": "hold", "air": "paused", "t": hold}))
                self._hold_sent = hold
            if sent - self.info.acked < MAX_IN_FLIGHT:
                batch = self.spool.pending(after=sent, limit=BATCH)
                # Blobs go before the events that refer to them. The spool gets a blob before
                # its event, so blobs read after the batch include every one the batch needs.
                await self._send_blobs(ws, blobs_sent)
                if batch:
                    # A message stays under the server's size limit (4 MiB): a burst of 64 KiB
                    # output events is sent as several messages, never one it would refuse.
                    wires: list[str] = []
                    size = 0
                    for item in batch:
                        wire = item.wire()
                        if wires and size + len(wire) > MAX_MESSAGE_CHARS:
                            break
                        wires.append(wire)
                        size += len(wire)
                        sent = item.pseq
                    await ws.send('{"type":"events","events":[' + ",".join(wires) + "]}")
                    continue
            if self._stop and self.info.acked >= self.spool.last_pseq:
                await ws.close()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)
            self._wake.clear()

    async def _send_blobs(self, ws: ClientConnection, done: set[str]) -> None:
        """Send the spool's blobs this connection has not sent, in chunks (docs/protocol.md)."""
        for digest, mime in self.spool.pending_blobs():
            data = self.spool.blob_data(digest) if digest not in done else None
            if data is None:
                continue
            for offset in range(0, max(len(data), 1), BLOB_CHUNK):
                chunk = base64.b64encode(data[offset : offset + BLOB_CHUNK]).decode()
                await ws.send(
                    json.dumps(
                        {
                            "type": "blob",
                            "hash": digest,
                            "mime": mime,
                            "size": len(data),
                            "offset": offset,
                            "data": chunk,
                        }
                    )
                )
            done.add(digest)

    async def _receive_loop(self, ws: ClientConnection) -> None:
        async for raw in ws:
            msg: dict[str, Any] = json.loads(raw)
            kind = msg.get("type")
            if kind == "ack":
                self.info.acked = int(msg["pseq"])
                self.spool.ack(self.info.acked)
                self.notify()
            elif kind == "blob.ack":
                self.spool.ack_blob(str(msg.get("hash")))
            elif kind == "blob.reject":
                # Resending it would be refused again; the events that refer to it still go.
                self.spool.ack_blob(str(msg.get("hash")))
                self.on_message(f"server refused blob {msg.get('hash')}: {msg.get('message')}")
            elif kind == "reject":
                self.on_message(f"server refused event {msg.get('pseq')}: {msg.get('message')}")
            elif kind == "want":
                self.on_request(msg)
            elif kind == "error":
                if msg.get("code") in ("auth", "replaced", "stream", "hello"):
                    raise Refused(msg.get("message", "refused"))
                self.on_message(f"server error: {msg.get('message')}")
