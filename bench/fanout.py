"""Fan-out benchmark: one publisher, many viewers, a real server.

    python bench/fanout.py                 # N = 100, 1,000, 3,000, storm, session, hour-4 join
    python bench/fanout.py --quick         # smoke run: N = 50, 200, short phases
    python bench/fanout.py --viewers 1000 --seconds 20 --skip-baseline
    python bench/fanout.py --viewers 1000 --variants nodeflate,nodeflate+immediate
    python bench/fanout.py --processes 2 --bus redis --viewers 5000   # bench/fanout_cluster.py

What runs (every process on 127.0.0.1):

- the server: ``benchcast serve --port 0 --data DIR``, a fresh process for every fan-out phase
  (so one phase's backlog never leaks into the next), pinned alone to CPU 0 while everything
  else shares CPU 1 (``--no-pin`` leaves scheduling to the kernel);
- a publisher speaking the publisher protocol (hello → welcome, events → ack) that sends one
  ~200-byte ``term.output`` event every 50 ms, one event per message as the real uplink does
  at that rate; each event's text carries ``@T<time.time()>;`` so a viewer on the same clock
  knows when it was published. It stops at 5,000 unacknowledged events, as the uplink does,
  and does not reconnect: when the server drops it, the phase line says so;
- N viewers in one (``--viewer-procs``) separate process, each reading ``/ws/streams/ID``
  and counting every event published in the window. The default client is a small websocket
  client on asyncio (handshake, frame parsing, permessage-deflate via zlib, pong). Up to
  ``--live-viewers`` of them, spread over the connection order, read continuously and time
  every event; the others read their sockets every 0.5 s, in slices, so that one client
  process can hold 3,000 connections without measuring itself (the server does the same work
  for both kinds: the kernel buffers and acknowledges what a bulk viewer has not read yet).
  ``--client websockets`` uses the library's client instead (~1.5x the CPU per message,
  every viewer live). Viewers offer permessage-deflate as browsers do (``--no-deflate``).

Phases: a join at hour 4 of a synthetic 4-hour stream with keyframes (time to first screen);
a recorded-like terminal session (bytes/s per viewer); steady fan-out for each N; a connect
storm (1,000 join while 1,000 watch). The fan-out phases also run against a baseline, a
minimal broadcast server on the ``websockets`` library (no store, no batching: each published
event is serialized once and handed to ``websockets.broadcast``), and against ``--variants``,
the real server with one thing patched at start-up (src/ is untouched). Servers take turns
phase by phase. Every phase line also says what else loaded the machine: the CPU other
processes used, and how late a sleeping probe on each CPU woke. The last line is benchcast's
p99 over the baseline's p99 at the largest N where the baseline kept up.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

HOST = "127.0.0.1"
EVENT_BYTES = 200
RATE = 20.0
CONNECT_TIMEOUT = 60.0
GRACE = 2.0  # an event published in the window counts as delivered if it arrives this late
BULK_INTERVAL = 0.5  # bulk viewers read their sockets this often
_TS = re.compile(rb"@T(\d+\.\d+);")
_EVENTS = b'{"type":"events"'
_HELLO = b'{"type":"hello"'
_KEYFRAME = b'{"type":"keyframe"'


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _log(msg: str) -> None:
    print(msg, flush=True)


def _raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _new_loop_runner() -> Any:
    try:
        import uvloop

        return uvloop.run
    except ImportError:  # pragma: no cover
        return asyncio.run


# ── latency histograms (0.1 ms buckets) ───────────────────────────────────────────────────


def _hist(latencies: list[float]) -> dict[int, int]:
    return dict(Counter(max(0, int(x * 10_000)) for x in latencies))


def _merge(hists: list[dict[Any, int]], key: Any = int) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for h in hists:
        for k, v in h.items():
            out[key(k)] += v
    return out


def _pct(hist: Counter[int], q: float) -> float | None:
    """The q-quantile in milliseconds (bucket upper edge), or None when empty."""
    total = sum(hist.values())
    if not total:
        return None
    rank = q * total
    acc = 0
    for k in sorted(hist):
        acc += hist[k]
        if acc >= rank:
            return (k + 1) / 10.0
    return (max(hist) + 1) / 10.0


def _q(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# ── a small websocket client (RFC 6455 client side, text frames, permessage-deflate) ──────


def _why(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:80]


class Sink:
    """What one viewer process records.

    Events count when their publish stamp falls in [w0, w1); their latency is recorded on
    live viewers only. Bytes count while ``rec`` is on (receive time inside the window).
    """

    def __init__(self) -> None:
        self.rec = False
        self.w0 = self.w1 = float("inf")
        self.lat: list[float] = []
        self.failures: Counter[str] = Counter()


class RawViewer(asyncio.Protocol):
    def __init__(
        self, sink: Sink, port: int, path: str, deflate: bool, record: bool, live: bool = True
    ) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{HOST}:{port}\r\n{ext if deflate else ''}\r\n"
        ).encode()
        self.sink = sink
        self.record = record
        self.live = live
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.inflater: Any = None
        self.reset_inflater = False
        self.frag: list[bytes] | None = None
        self.frag_rsv1 = False
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.first_events: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.t0 = time.time()
        self.t_open = self.t_hello = self.t_keyframe = self.t_events = 0.0
        self.keyframe_bytes = 0
        self.first_events_n = 0
        self.closed_by_server = False
        # in-window counters
        self.events = 0
        self.frames = 0
        self.wire = 0
        self.payload = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, hence the ignores.
        self.transport = transport  # type: ignore[assignment]
        self.t0 = time.time()
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed_by_server = True
        for fut in (self.hello, self.first_events):
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed"))
                fut.exception()  # whoever awaits it still gets it; nobody else is told

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            if not head.startswith("HTTP/1.1 101"):
                if not self.hello.done():
                    self.hello.set_exception(ConnectionError(head.split("\r\n", 1)[0]))
                    self.hello.exception()
                assert self.transport is not None
                self.transport.close()
                return
            for line in head.split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "sec-websocket-extensions" and "permessage-deflate" in value:
                    self.inflater = zlib.decompressobj(-15)
                    self.reset_inflater = "server_no_context_takeover" in value
            self.open = True
            self.t_open = now
        elif self.sink.rec and self.record:
            self.wire += len(data)
        if not self.live and self.t_hello and self.transport is not None:
            self.transport.pause_reading()  # a bulk viewer: read again on the next sweep
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            b0 = buf[pos]
            ln = buf[pos + 1] & 0x7F
            h = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                h = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                h = 10
            if n - pos < h + ln:
                break
            payload = bytes(buf[pos + h : pos + h + ln])
            pos += h + ln
            self._frame(b0, payload, now)
        if pos:
            del buf[:pos]

    def _frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        fin = b0 & 0x80
        if opcode in (1, 2):
            if fin:
                self._message(bool(b0 & 0x40), payload, now)
            else:
                self.frag, self.frag_rsv1 = [payload], bool(b0 & 0x40)
        elif opcode == 0 and self.frag is not None:
            self.frag.append(payload)
            if fin:
                whole, self.frag = b"".join(self.frag), None
                self._message(self.frag_rsv1, whole, now)
        elif opcode == 9 and self.transport is not None:  # ping → pong (masked, zero key)
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        elif opcode == 8 and self.transport is not None:
            self.transport.close()

    def _message(self, compressed: bool, payload: bytes, now: float) -> None:
        if compressed:
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            if self.reset_inflater:
                self.inflater = zlib.decompressobj(-15)
        on = self.sink.rec and self.record
        if on:
            self.frames += 1
            self.payload += len(payload)
        if payload.startswith(_EVENTS):
            if self.record:
                sink = self.sink
                w0, w1, lat, live = sink.w0, sink.w1, sink.lat, self.live
                for s in _TS.findall(payload):
                    ts = float(s)
                    if w0 <= ts < w1:
                        self.events += 1
                        if live:
                            lat.append(now - ts)
            if not self.t_events:
                self.t_events = now
                self.first_events_n = payload.count(b'"seq":')
                if not self.first_events.done():
                    self.first_events.set_result(None)
        elif payload.startswith(_HELLO):
            self.t_hello = now
            if not self.hello.done():
                self.hello.set_result(None)
        elif payload.startswith(_KEYFRAME):
            self.t_keyframe = now
            self.keyframe_bytes = len(payload)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class LibViewer:
    """The same viewer on the ``websockets`` library's asyncio client (``--client websockets``).
    Every one of them reads continuously (no bulk viewers)."""

    def __init__(self, sink: Sink, port: int, path: str, deflate: bool, record: bool) -> None:
        self.raw = RawViewer(sink, port, path, deflate, record)
        self.uri = f"ws://{HOST}:{port}{path}"
        self.deflate = deflate
        self.task: asyncio.Task[None] | None = None
        self.ws: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    async def start(self) -> None:
        from websockets.asyncio.client import connect

        self.raw.t0 = time.time()
        self.ws = await connect(
            self.uri,
            compression="deflate" if self.deflate else None,
            ping_interval=None,
            max_size=None,
            open_timeout=CONNECT_TIMEOUT,
        )
        self.raw.t_open = time.time()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                msg = await self.ws.recv(decode=False)
                self.raw._message(False, msg, time.time())

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.ws is not None:
            self.ws.transport.close()


async def open_viewer(
    sink: Sink,
    port: int,
    path: str,
    deflate: bool,
    client: str,
    record: bool = True,
    live: bool = True,
) -> Any:
    loop = asyncio.get_running_loop()
    if client == "websockets":
        lv = LibViewer(sink, port, path, deflate, record)
        await lv.start()
        await asyncio.wait_for(lv.hello, CONNECT_TIMEOUT)
        return lv
    rv = RawViewer(sink, port, path, deflate, record, live)
    await asyncio.wait_for(loop.create_connection(lambda: rv, HOST, port), CONNECT_TIMEOUT)
    await asyncio.wait_for(rv.hello, CONNECT_TIMEOUT)
    return rv


async def open_many(
    sink: Sink, a: argparse.Namespace, live_every: int, bulk: list[Any]
) -> tuple[list[Any], int]:
    """Open ``a.n`` viewers; bulk (not live) ones join ``bulk`` as soon as they are open, so
    the sweeper has them read (and answer the server's pings) while the rest connect."""
    sem = asyncio.Semaphore(a.concurrency)
    failed = 0

    async def one(i: int) -> Any:
        nonlocal failed
        async with sem:
            try:
                live = i % live_every == 0
                v = await open_viewer(sink, a.port, a.path, a.deflate, a.client, True, live)
                if not live:
                    bulk.append(v)
                return v
            except Exception as err:
                failed += 1
                sink.failures[_why(err)] += 1
                return None

    tasks = [asyncio.ensure_future(one(i)) for i in range(a.n)]
    done, pending = await asyncio.wait(tasks, timeout=a.connect_deadline)
    for t in pending:
        t.cancel()
    got = [t.result() for t in done if not t.cancelled()]
    return [c for c in got if c is not None], failed + len(pending)


async def _sweep(bulk: list[RawViewer], interval: float, until: float) -> None:
    """Let each bulk viewer read what its socket holds once per ``interval``, a slice every
    10 ms, so the live viewers' reads are never held up behind thousands of others."""
    slices = max(1, int(interval / 0.01))
    k = 0
    while time.time() < until:
        for v in bulk[k % slices :: slices]:
            if v.transport is not None and not v.closed_by_server:
                v.transport.resume_reading()
        k += 1
        await asyncio.sleep(0.01)


# ── the viewer process ────────────────────────────────────────────────────────────────────


async def viewers_main(a: argparse.Namespace) -> None:
    sink = Sink()
    proc = psutil.Process()
    loop = asyncio.get_running_loop()
    t0 = time.time()
    live_every = 1 if a.client == "websockets" else max(1, -(-a.n // max(1, a.live_viewers)))
    bulk: list[Any] = []
    sweeper = loop.create_task(_sweep(bulk, BULK_INTERVAL, time.time() + 3600))
    conns, failed = await open_many(sink, a, live_every, bulk)
    _emit(
        {"event": "ready", "connected": len(conns), "failed": failed, "connect_s": time.time() - t0}
    )
    line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 600)
    go = json.loads(line)
    start, seconds = float(go["start"]), float(go["seconds"])
    sink.w0, sink.w1 = start, start + seconds
    await asyncio.sleep(max(0.0, start - time.time()))
    cpu0 = sum(proc.cpu_times()[:2])
    sink.rec = True
    t_start = time.time()
    lags: list[float] = []
    lagger = loop.create_task(_loop_lag(lags, t_start + seconds))
    joins: dict[str, Any] | None = None
    if a.join:
        await asyncio.sleep(1.0)
        joins = await _storm(sink, a)
    await asyncio.sleep(max(0.0, t_start + seconds - time.time()))
    sink.rec = False
    lagger.cancel()
    window = time.time() - t_start
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    # Events published in the window may still be on their way: wait a grace period.
    await asyncio.sleep(GRACE + BULK_INTERVAL)
    sweeper.cancel()
    closed = sum(1 for c in conns if c.closed_by_server)
    _emit(
        {
            "event": "result",
            "window_s": window,
            "client_cpu_s": cpu,
            "live": sum(1 for c in conns if c.live),
            "failures": dict(sink.failures),
            "lag_p99": _q(lags, 0.99),
            "lag_max": max(lags, default=0.0),
            "hist": _hist(sink.lat),
            "events": [c.events for c in conns],
            "frames": [c.frames for c in conns],
            "wire": [c.wire for c in conns],
            "payload": [c.payload for c in conns],
            "closed_by_server": closed,
            "joins": joins,
        }
    )
    for c in conns:
        c.close()
    await asyncio.sleep(0.2)


async def _loop_lag(out: list[float], until: float) -> None:
    """How late this process's event loop wakes from 10 ms sleeps (client-side noise)."""
    while time.time() < until:
        t = time.monotonic()
        await asyncio.sleep(0.01)
        out.append(time.monotonic() - t - 0.01)


async def _storm(sink: Sink, a: argparse.Namespace) -> dict[str, Any]:
    """Open ``a.join`` viewers at once; time each to hello and to its first events frame."""
    t0 = time.time()
    failed = 0

    async def one() -> Any:
        nonlocal failed
        try:
            v = await open_viewer(sink, a.port, a.path, a.deflate, a.client, record=False)
            await asyncio.wait_for(v.first_events, CONNECT_TIMEOUT)
            return v
        except Exception as err:
            failed += 1
            sink.failures["join " + _why(err)] += 1
            return None

    got = [v for v in await asyncio.gather(*(one() for _ in range(a.join))) if v is not None]
    hello = [v.t_hello - t0 for v in got]
    live = [v.t_events - t0 for v in got]
    first = [v.first_events_n for v in got]
    for v in got:
        v.close()
    return {
        "n": a.join,
        "failed": failed,
        "all_hello_s": max(hello, default=float("nan")),
        "all_live_s": max(live, default=float("nan")),
        "hello_p50_s": _q(hello, 0.5),
        "live_p50_s": _q(live, 0.5),
        "live_p99_s": _q(live, 0.99),
        "catchup_events_p50": _q([float(x) for x in first], 0.5),
    }


# ── the baseline server: a minimal broadcast server on the websockets library ────────────


async def baseline_main(a: argparse.Namespace) -> None:
    from websockets.asyncio.server import broadcast, serve

    viewers: set[Any] = set()
    seq = 0
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)

    def dumps(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

    async def handler(ws: Any) -> None:
        nonlocal seq
        path = ws.request.path
        if path.startswith("/ws/publish"):
            await ws.recv()
            await ws.send(dumps({"type": "welcome", "stream": "base", "acked": 0}))
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") != "events" or not msg["events"]:
                    continue
                wire = []
                for e in msg["events"]:
                    seq += 1
                    env = {"seq": seq, "t": e["t"], "kind": e["kind"], "source": e["source"]}
                    env["data"] = e["data"]
                    wire.append(dumps(env))
                broadcast(viewers, '{"type":"events","events":[' + ",".join(wire) + "]}")
                await ws.send(dumps({"type": "ack", "pseq": msg["events"][-1]["pseq"]}))
        elif path.startswith("/ws/streams/"):
            hello = {"type": "hello", "stream": {"id": "base"}, "viewers": len(viewers) + 1}
            await ws.send(dumps(hello))
            viewers.add(ws)
            try:
                await ws.wait_closed()
            finally:
                viewers.discard(ws)

    async with serve(
        handler, HOST, 0, ping_interval=20, ping_timeout=20, max_size=4 * 1024 * 1024, backlog=2048
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"http://{HOST}:{port}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop, a.max_seconds)


# ── server variants: the real server with one thing changed, to see what it is worth ─────

VARIANTS_HELP = (
    "'+'-joined changes: nodeflate (no permessage-deflate), immediate (no frame cap: "
    "frame every append at once), switch (sys.setswitchinterval(0.0005)), asgi (uvicorn's "
    "plain websockets protocol: no raw socket, so every viewer gets a queue and a task and "
    "each frame goes through ASGI send, as before the one-pass writer)"
)


def variant_main(variant: str, argv: list[str]) -> int:
    """Run ``benchcast`` with the variant's patches applied (bench only; src is untouched)."""
    import uvicorn

    import benchcast.server.hub as hub
    import benchcast.server.run as run
    from benchcast.cli import main as cli_main

    for part in variant.split("+"):
        if part == "nodeflate":

            class _Config(uvicorn.Config):
                def __init__(self, *args: Any, **kw: Any) -> None:
                    kw["ws_per_message_deflate"] = False
                    super().__init__(*args, **kw)

            run.uvicorn.Config = _Config
        elif part == "asgi":

            class _AsgiConfig(run.uvicorn.Config):  # type: ignore[misc]
                def __init__(self, *args: Any, **kw: Any) -> None:
                    kw["ws"] = "websockets-sansio"
                    super().__init__(*args, **kw)

            run.uvicorn.Config = _AsgiConfig
        elif part == "immediate":
            hub.FRAME_BURST = 1e9  # no frame cap at all
        elif part == "switch":
            sys.setswitchinterval(0.0005)
        elif part != "as-is":
            raise SystemExit(f"unknown variant part {part!r}: {VARIANTS_HELP}")
    return int(cli_main(argv) or 0)


# ── the publisher ─────────────────────────────────────────────────────────────────────────


def _filler(i: int) -> str:
    loss = 2.5 * 0.9995**i + 0.01 * ((i * 7919) % 13)
    return (
        f"\x1b[2m[train]\x1b[0m epoch {i // 1000:3d} step {i:7d} | loss {loss:.4f} | "
        f"lr {3e-4 * 0.9999**i:.3e} | grad {0.5 + (i % 17) / 40:.3f} | "
        f"\x1b[32m{180 + i % 23:.1f} tok/s\x1b[0m | mem 14.2 GB | "
    )


def bench_text(i: int) -> tuple[str, float]:
    """A ~200-byte line of training log carrying its publish time; and that time."""
    body = _filler(i)
    now = time.time()
    stamp = f"@T{now:.6f};"
    pad = EVENT_BYTES - len(body) - len(stamp) - 2
    return body + ("." * max(0, pad)) + stamp + "\r\n", float(f"{now:.6f}")


@dataclass
class Publisher:
    port: int
    key: str
    title: str
    ws: Any = None
    stream: str = ""
    pseq: int = 0
    t0: float = 0.0
    sent_at: dict[int, float] = field(default_factory=dict)
    ack_lat: list[float] = field(default_factory=list)
    stopping: bool = False
    task: asyncio.Task[None] | None = None
    reader: asyncio.Task[None] | None = None
    sent: int = 0
    max_behind: float = 0.0
    stamps: list[float] = field(default_factory=list)
    dropped: str = ""

    def published(self, w0: float, w1: float) -> int:
        return sum(1 for x in self.stamps if w0 <= x < w1)

    async def connect(self) -> str:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            f"ws://{HOST}:{self.port}/ws/publish", open_timeout=15, ping_interval=None
        )
        await self.ws.send(
            json.dumps({"type": "hello", "key": self.key, "stream": None, "title": self.title})
        )
        welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 15))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"publisher refused: {welcome}")
        self.stream = welcome["stream"]
        self.t0 = time.time()
        self.reader = asyncio.get_running_loop().create_task(self._acks())
        await self.send("stream.start", "stream", {"title": self.title, "tags": ["bench"]})
        await self.send("term.open", "term:1", {"cols": 120, "rows": 36, "title": "bench"})
        return self.stream

    async def send(self, kind: str, source: str, data: dict[str, Any]) -> None:
        self.pseq += 1
        ev = {"pseq": self.pseq, "t": time.time() - self.t0, "kind": kind, "source": source}
        ev["data"] = data
        self.sent_at[self.pseq] = time.time()
        await self.ws.send(json.dumps({"type": "events", "events": [ev]}))
        self.sent += 1

    async def _acks(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                msg = json.loads(raw)
                if msg.get("type") == "ack":
                    now = time.time()
                    for p in [p for p in self.sent_at if p <= msg["pseq"]]:
                        self.ack_lat.append(now - self.sent_at.pop(p))
        self._note_closed()

    def _note_closed(self) -> None:
        """Remember why the server closed this publisher (this bench does not reconnect)."""
        if not self.stopping and not self.dropped:
            code = getattr(self.ws, "close_code", None)
            reason = getattr(self.ws, "close_reason", None) or ""
            self.dropped = f"after {time.time() - self.t0:.0f} s, close code {code} {reason!r}"

    def start_steady(self, max_seconds: float) -> None:
        self.task = asyncio.get_running_loop().create_task(self._steady(max_seconds))

    async def _steady(self, max_seconds: float) -> None:
        start = time.monotonic()
        for i in range(int(max_seconds * RATE)):
            if self.stopping:
                return
            due = start + i / RATE
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.max_behind = max(self.max_behind, -delay)
            if len(self.sent_at) >= 5000:  # unacknowledged: stop, as the real uplink does
                continue
            text, stamp = bench_text(i)
            try:
                await self.send("term.output", "term:1", {"text": text})
            except Exception:
                self._note_closed()
                return
            self.stamps.append(stamp)

    async def play(self, script: list[tuple[float, str]], start: float) -> None:
        """Send (offset, text) pairs at wall time start + offset."""
        for offset, text in script:
            delay = start + offset - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.send("term.output", "term:1", {"text": text})

    async def close(self) -> None:
        self.stopping = True
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 5)
        await asyncio.sleep(0.3)
        if self.reader is not None:
            self.reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 3)


# ── a realistic terminal session (for bytes/s per viewer) ────────────────────────────────

PROMPT = "\x1b[1;32mana@gpu-box\x1b[0m:\x1b[1;34m~/proj/tiny-lm\x1b[0m$ "


def session_script(seconds: float) -> list[tuple[float, str]]:
    """A recorded-like session, repeated to fill ``seconds``: prompts, typing at 5 chars/s,
    a pip-install burst with progress bars, a training loop logging every 0.5 s."""
    out: list[tuple[float, str]] = []
    t = 0.0
    rnd = random.Random(4)

    def emit(dt: float, text: str) -> None:
        nonlocal t
        t += dt
        out.append((t, text))

    def typed(cmd: str) -> None:
        emit(0.4, PROMPT)
        for ch in cmd:
            emit(0.2, ch)
        emit(0.3, "\r\n")

    step = 0
    while t < seconds:
        typed("pip install -r requirements.txt")
        for pkg, size in (("torch-2.3.1", 779.1), ("numpy-1.26.4", 18.2), ("tqdm-4.66.4", 0.1)):
            emit(0.15, f"Collecting {pkg.split('-')[0]}=={pkg.split('-')[1]}\r\n")
            emit(0.05, f"  Downloading {pkg}-cp311-cp311-manylinux_2_17_x86_64.whl ({size} MB)\r\n")
            for k in range(1, 11):
                bar = "\x1b[38;5;197m" + "━" * (4 * k) + "\x1b[0m" + " " * (40 - 4 * k)
                emit(
                    0.1, f"\r     {bar} {size * k / 10:.1f}/{size} MB 61.2 MB/s eta 0:00:0{10 - k}"
                )
            emit(0.0, "\r\n")
        emit(0.3, "Installing collected packages: tqdm, numpy, torch\r\n")
        emit(0.8, "Successfully installed numpy-1.26.4 torch-2.3.1 tqdm-4.66.4\r\n")
        typed("python train.py --config configs/base.yaml")
        emit(0.5, "\x1b[33mloading dataset\x1b[0m tinystories (2.1M docs)\r\n")
        for _ in range(30):
            step += 10
            loss = 4.0 * 0.995**step + rnd.random() * 0.05
            emit(
                0.5,
                f"step {step:6d} | loss {loss:.4f} | lr 3.0e-04 | "
                f"{41000 + rnd.randint(0, 900)} tok/s | mem 12.4 GB\r\n",
            )
        emit(0.2, "^C\r\nTraceback (most recent call last):\r\n  ...\r\nKeyboardInterrupt\r\n")
    return [(o, s) for o, s in out if o <= seconds]


# ── the hour-4 stream ─────────────────────────────────────────────────────────────────────


def build_long_stream(data: Path, channel_name: str, hours: float) -> dict[str, Any]:
    """A synthetic stream of ``hours`` hours, 1 term.output event per second, with keyframes
    folded every 30 s of stream time the way the server's keyframer writes them."""
    from benchcast.events import Draft, validate_payload
    from benchcast.replay.fold import StreamFold
    from benchcast.server.keyframer import KEYFRAME_SECONDS
    from benchcast.store.database import Store, sqlite_url

    t0 = time.time()
    store = Store(sqlite_url(data))
    try:
        channel = store.channel(channel_name)
        assert channel is not None
        total = int(hours * 3600)
        stream = store.create_stream(channel, "hour-4 synthetic", ["bench"], time.time() - total)
        fold = StreamFold()
        last_kf_t = 0.0
        keyframes = 0
        start = validate_payload("stream.start", {"title": "hour-4 synthetic", "tags": ["bench"]})
        drafts = [
            Draft(t=0.0, kind="stream.start", source="stream", data=start),
            Draft(t=0.0, kind="term.open", source="term:1", data={"cols": 120, "rows": 36}),
        ]
        i = 0
        # Stop 20 s past the last keyframe so a join has events to catch up after it.
        end = total + 20
        while i < end:
            while len(drafts) < 600 and i < end:
                i += 1
                if i % 600 == 0:
                    text = (
                        "\r\n" + PROMPT + "nvidia-smi --query-gpu=utilization.gpu --format=csv\r\n"
                    )
                elif i % 97 == 0:
                    text = "\r" + "\x1b[36m" + "█" * (i % 60) + "\x1b[0m" + f" {i % 100}%"
                else:
                    text = _filler(i) + "\r\n"
                drafts.append(
                    Draft(t=float(i), kind="term.output", source="term:1", data={"text": text})
                )
            events = store.append(stream.id, drafts)
            drafts = []
            for ev in events:
                fold.apply(ev)
                if fold.t - last_kf_t >= KEYFRAME_SECONDS and fold.t <= total:
                    store.put_keyframe(stream.id, fold.seq, fold.t, fold.snapshot())
                    last_kf_t = fold.t
                    keyframes += 1
        last = store.stream(stream.id)
        assert last is not None
        return {
            "stream": stream.id,
            "events": last.last_seq,
            "keyframes": keyframes,
            "hours": hours,
            "build_s": time.time() - t0,
        }
    finally:
        store.close()


STALL_PROBE = """
import json, os, sys, time
cpu, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
if cpu >= 0:
    os.sched_setaffinity(0, {cpu})
time.sleep(max(0.0, start - time.time()))
lags = []
while time.time() < end:
    t = time.monotonic()
    time.sleep(0.01)
    lags.append(time.monotonic() - t - 0.01)
lags.sort()
print(json.dumps({"p99": lags[int(0.99 * len(lags))], "max": lags[-1]}))
"""


async def stall_probe(cpu: int, start: float, end: float) -> asyncio.subprocess.Process:
    """A process that sleeps 10 ms at a time on ``cpu`` and reports how late it woke: what
    this machine's scheduling (or its hypervisor's) does to everyone's latency."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STALL_PROBE,
        str(cpu),
        str(start),
        str(end),
        stdout=asyncio.subprocess.PIPE,
    )


async def probe_result(p: asyncio.subprocess.Process) -> dict[str, float]:
    out, _ = await asyncio.wait_for(p.communicate(), 30)
    try:
        return dict(json.loads(out))
    except ValueError:
        return {}


def _busy() -> float:
    """CPU seconds all CPUs of the machine have spent busy."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0))


def _own_cpu() -> float:
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def prefault(mib: int) -> float:
    """Touch ``mib`` MiB of fresh memory, then free it."""
    t0 = time.time()
    for _ in range(max(1, mib // 256)):
        b = bytearray(256 * 2**20)
        for j in range(0, len(b), 4096):
            b[j] = 1
        del b
    return time.time() - t0


# ── the orchestrator ──────────────────────────────────────────────────────────────────────


class ServerProc:
    def __init__(self, name: str, cmd: list[str], log: Path, pin: set[int] | None) -> None:
        self.name = name
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)

        def pre() -> None:
            if pin:
                os.sched_setaffinity(0, pin)

        self.popen = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self.log, preexec_fn=pre, cwd=Path.cwd()
        )
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"{name} did not start: {line!r}\n{self.tail()}")
        self.url = line
        self.port = int(line.rsplit(":", 1)[1])
        self.ps = psutil.Process(self.popen.pid)
        self.rss_peak = 0

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def rss(self) -> int:
        r = int(self.ps.memory_info().rss)
        self.rss_peak = max(self.rss_peak, r)
        return r

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-3000:]
        return ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.log.close()


def _health(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/-/health", timeout=5) as r:
            return dict(json.loads(r.read()))
    except Exception:
        return {}


@dataclass
class Phase:
    server: str
    label: str
    n: int
    join: int
    seconds: float
    connect_s: float = 0.0
    live: int = 0
    expected: int = 0
    missing: int = 0
    connected: int = 0
    failed: int = 0
    hist: Counter[int] = field(default_factory=Counter)
    window_s: float = 0.0
    events: list[int] = field(default_factory=list)
    wire: list[int] = field(default_factory=list)
    payload: list[int] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    rss_mb: float = 0.0
    rss_peak_mb: float = 0.0
    closed: int = 0
    lag_p99: float = 0.0
    lag_max: float = 0.0
    other_cpu: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    publisher_blocked: bool = False
    quiet: str = ""
    ack_p50: float = float("nan")
    ack_p99: float = float("nan")
    pub_behind: float = 0.0
    pub_dropped: str = ""
    stalls: dict[int, dict[str, float]] = field(default_factory=dict)
    cutbacks: int = 0
    joins: dict[str, Any] | None = None

    def p(self, q: float) -> float:
        """Latency quantile in ms over the live viewers; an event that never arrived within
        the grace period counts as infinitely late."""
        total = sum(self.hist.values()) + self.missing
        if not total:
            stopped = self.publisher_blocked or self.pub_dropped
            return float("inf") if stopped else float("nan")
        if q * total > total - self.missing:
            return float("inf")
        v = _pct(self.hist, q * total / (total - self.missing))
        return float("nan") if v is None else v

    @property
    def rates(self) -> list[float]:
        return sorted(e / self.seconds for e in self.events) if self.seconds else []

    def line(self) -> str:
        r = self.rates
        rate = f"{_q(r, 0.5):.1f}/s (min {r[0]:.1f})" if r else "n/a"
        s = (
            f"[{self.server}] {self.label}: {self.connected} connected in {self.connect_s:.1f} s"
            f"{f' ({self.failed} failed)' if self.failed else ''}; latency p50 {self.p(0.5):.1f}"
            f" ms, p99 {self.p(0.99):.1f} ms, max {self.p(1.0):.1f} ms (timed on {self.live}"
            f" viewers); delivered {rate} per viewer of {self.expected / self.seconds:.1f}/s "
            f"published; server CPU {100 * self.server_cpu:.0f}% of a core, RSS "
            f"{self.rss_mb:.0f} MB"
            f" (peak {self.rss_peak_mb:.0f}); viewer-process CPU {100 * self.client_cpu:.0f}%, "
            f"its loop woke late by p99 {1000 * self.lag_p99:.1f} ms, max "
            f"{1000 * self.lag_max:.1f} ms"
        )
        s += f"; other processes on the machine used {100 * self.other_cpu:.0f}% of a core"
        if self.quiet:
            s += f" ({self.quiet})"
        if self.stalls:
            s += "; sleep probe woke late by " + ", ".join(
                f"{'CPU ' + str(c) if c >= 0 else 'any CPU'} p99 {1000 * v.get('p99', 0):.1f} "
                f"max {1000 * v.get('max', 0):.1f} ms"
                for c, v in sorted(self.stalls.items())
            )
        if self.ack_p50 == self.ack_p50:
            s += (
                f"; publisher acks (stored) p50 {1000 * self.ack_p50:.1f} ms, p99 "
                f"{1000 * self.ack_p99:.1f} ms"
            )
            if self.pub_behind > 0.02:
                s += f", its send loop up to {1000 * self.pub_behind:.0f} ms late"
        if self.failures:
            s += "; failed: " + ", ".join(f"{n}x {w}" for w, n in self.failures.most_common(3))
        if self.pub_dropped:
            s += f"; the server closed the publisher's connection {self.pub_dropped}"
        if self.publisher_blocked:
            s += "; the publisher stopped: 5,000 events unacknowledged (the uplink's limit)"
        if self.missing:
            s += f"; {self.missing} events not delivered to live viewers within {GRACE:g} s"
        if self.cutbacks:
            s += f"; cut back to store {self.cutbacks}x"
        if self.closed:
            s += f"; {self.closed} closed by server"
        if self.joins:
            j = self.joins
            s += (
                f"\n    storm: {j['n'] - j['failed']}/{j['n']} joined; all got hello in "
                f"{j['all_hello_s']:.2f} s, all had their first events frame in "
                f"{j['all_live_s']:.2f} s (per join p50 {j['live_p50_s']:.2f} s, p99 "
                f"{j['live_p99_s']:.2f} s; catch-up frame p50 {j['catchup_events_p50']:.0f} events)"
            )
        return s


class Bench:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.tmp = Path(tempfile.mkdtemp(prefix="benchcast-fanout-"))
        self.pin_server: set[int] | None = None
        self.pin_load: set[int] | None = None
        cpus = sorted(os.sched_getaffinity(0))
        if a.pin and len(cpus) >= 2:
            self.pin_server, self.pin_load = {cpus[0]}, set(cpus[1:])
            os.sched_setaffinity(0, self.pin_load)
        self.cpus = cpus
        self.phases: list[Phase] = []
        self.interrupted = False

    def cores_line(self) -> str:
        model = ""
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        procs = f"{self.a.viewer_procs} viewer process{'es' if self.a.viewer_procs > 1 else ''}"
        if self.pin_server:
            share = (
                f"server pinned alone to CPU {min(self.pin_server)}; publisher, orchestrator and "
                f"{procs} share CPU{'s' if len(self.pin_load or ()) > 1 else ''} "
                f"{','.join(map(str, sorted(self.pin_load or ())))}"
            )
        else:
            share = f"no pinning: server, publisher and {procs} share all CPUs"
        return f"{len(self.cpus)} CPUs ({model or 'unknown'}); {share}"

    def _viewer_cmd(self, port: int, path: str, n: int, join: int, client: str) -> list[str]:
        a = self.a
        cmd = [sys.executable, __file__, "--role", "viewers", "--port", str(port), "--path", path]
        cmd += ["--n", str(n), "--join", str(join), "--client", client]
        cmd += ["--concurrency", str(a.concurrency), "--live-viewers", str(a.live_viewers)]
        cmd += ["--connect-deadline", str(a.connect_deadline)]
        cmd += ["--deflate" if a.deflate else "--no-deflate"]
        return cmd

    async def phase(
        self,
        server: ServerProc,
        label: str,
        path: str,
        n: int,
        join: int = 0,
        seconds: float | None = None,
        publisher: Publisher | None = None,
        script: list[tuple[float, str]] | None = None,
        client: str | None = None,
    ) -> Phase:
        a = self.a
        seconds = a.seconds if seconds is None else seconds
        ph = Phase(server.name, label, n, join, seconds)
        k = max(1, min(a.viewer_procs, n))
        procs = []
        for i in range(k):
            share_n = n // k + (1 if i < n % k else 0)
            share_j = join // k + (1 if i < join % k else 0)
            procs.append(
                await asyncio.create_subprocess_exec(
                    *self._viewer_cmd(server.port, path, share_n, share_j, client or a.client),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=64 * 1024 * 1024,
                )
            )
        try:
            readies = []
            for p in procs:
                assert p.stdout is not None
                raw = await asyncio.wait_for(p.stdout.readline(), CONNECT_TIMEOUT * 3)
                readies.append(json.loads(raw))
            ph.connected = sum(r["connected"] for r in readies)
            ph.failed = sum(r["failed"] for r in readies)
            ph.connect_s = max(r["connect_s"] for r in readies)
            start = time.time() + a.warmup
            probe_cpus = sorted(self.pin_server or ()) + sorted(self.pin_load or ()) or [-1]
            probes = {c: await stall_probe(c, start, start + seconds) for c in probe_cpus[:2]}
            for p in procs:
                assert p.stdin is not None
                p.stdin.write((json.dumps({"start": start, "seconds": seconds}) + "\n").encode())
                await p.stdin.drain()
            await asyncio.sleep(max(0.0, start - time.time()))
            h0 = await asyncio.to_thread(_health, server.port) if server.name == "benchcast" else {}
            cpu0, w0 = server.cpu(), time.time()
            busy0, self0 = _busy(), _own_cpu()
            server.rss_peak = 0
            play = None
            if publisher is not None and script is not None:
                play = asyncio.get_running_loop().create_task(publisher.play(script, start))
            results: list[dict[str, Any]] = []
            cpu1, w1 = cpu0, w0
            busy1, self1 = busy0, self0
            pending = {asyncio.ensure_future(p.stdout.readline()) for p in procs if p.stdout}
            deadline = time.time() + seconds + CONNECT_TIMEOUT * 2
            while pending and time.time() < deadline:
                done, pending = await asyncio.wait(pending, timeout=0.25)
                server.rss()
                for d in done:
                    results.append(json.loads(d.result()))
                    if len(results) == 1:
                        cpu1, w1 = server.cpu(), time.time()
                        busy1, self1 = _busy(), _own_cpu()
            for d in pending:
                d.cancel()
            if len(results) != len(procs):
                raise RuntimeError(f"viewer processes did not report in time ({label})")
            if play is not None:
                play.cancel()
            for c, pr in probes.items():
                ph.stalls[c] = await probe_result(pr)
            ph.server_cpu = (cpu1 - cpu0) / max(1e-9, w1 - w0)
            client_s = sum(r["client_cpu_s"] for r in results)
            ph.other_cpu = max(
                0.0, (busy1 - busy0) - (cpu1 - cpu0) - (self1 - self0) - client_s
            ) / max(1e-9, w1 - w0)
            ph.rss_mb = server.rss() / 2**20
            ph.rss_peak_mb = server.rss_peak / 2**20
            ph.window_s = max(r["window_s"] for r in results)
            ph.client_cpu = sum(r["client_cpu_s"] for r in results) / ph.window_s
            ph.hist = _merge([r["hist"] for r in results])
            ph.live = sum(r["live"] for r in results)
            ph.failures = _merge([r["failures"] for r in results], str)
            ph.lag_p99 = max(r["lag_p99"] for r in results)
            ph.lag_max = max(r["lag_max"] for r in results)
            if publisher is not None and script is None:
                ph.expected = publisher.published(start, start + seconds)
                ph.publisher_blocked = len(publisher.sent_at) >= 5000
                ph.missing = max(0, ph.expected * ph.live - sum(ph.hist.values()))
            for r in results:
                ph.events += r["events"]
                ph.wire += r["wire"]
                ph.payload += r["payload"]
                ph.closed += r["closed_by_server"]
            js = [r["joins"] for r in results if r["joins"]]
            if js:
                ph.joins = {
                    "n": sum(j["n"] for j in js),
                    "failed": sum(j["failed"] for j in js),
                    **{k: max(j[k] for j in js) for k in js[0] if k not in ("n", "failed")},
                }
            if server.name == "benchcast":
                h1 = await asyncio.to_thread(_health, server.port)
                ph.cutbacks = int(h1.get("overflows", 0)) - int(h0.get("overflows", 0))
        finally:
            for p in procs:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.wait(), 15)
                if p.returncode is None:
                    p.kill()
                    await p.wait()
        if not server.alive():
            raise RuntimeError(f"{server.name} died:\n{server.tail()}")
        await asyncio.sleep(1.0)  # let the server settle the disconnects
        self.phases.append(ph)
        return ph

    async def fanout_phases(self, servers: list[tuple[str, list[str], str]]) -> None:
        """The steady phases and the storm, each on a freshly started server with a stream of
        its own, so one phase's backlog never leaks into the next. The servers take turns
        phase by phase, so a change in the machine's other load hits them alike."""
        a = self.a
        specs = [(f"N={n}", n, 0, a.seconds) for n in a.viewers]
        if a.storm:
            w, j = a.storm
            specs.append((f"storm ({j} join while {w} watch)", w, j, max(a.seconds, 5.0)))
        for label, n, join, seconds in specs:
            for name, cmd, key in servers:
                if self.interrupted:
                    return
                quiet = await self.wait_quiet()
                server = ServerProc(name, cmd, self.tmp / f"{name}.log", self.pin_server)
                pub = Publisher(server.port, key, f"fan-out bench {label}")
                try:
                    sid = await pub.connect()
                    pub.start_steady(max_seconds=3600)
                    ph = await self.phase(
                        server, label, f"/ws/streams/{sid}", n, join, seconds, publisher=pub
                    )
                finally:
                    await pub.close()
                    server.stop()
                ph.quiet = quiet
                ack = sorted(pub.ack_lat)
                ph.ack_p50, ph.ack_p99 = _q(ack, 0.5), _q(ack, 0.99)
                ph.pub_behind = pub.max_behind
                ph.pub_dropped = pub.dropped
                _log(ph.line())

    async def wait_quiet(self) -> str:
        """Wait (at most --quiet-wait s) until other processes use under --quiet-cpu of a
        core: this bench shares its machine with whatever else runs there."""
        a = self.a
        deadline = time.time() + a.quiet_wait
        waited = 0.0
        while True:
            b0, o0 = _busy(), _own_cpu()
            await asyncio.sleep(1.0)
            other = max(0.0, (_busy() - b0) - (_own_cpu() - o0))
            if other <= a.quiet_cpu / 100 or time.time() >= deadline or self.interrupted:
                break
            waited += 1.0
        if not waited:
            return ""
        if other <= a.quiet_cpu / 100:
            return f"waited {waited:.0f} s for them to calm down"
        return f"still {100 * other:.0f}% after waiting {waited:.0f} s"

    async def session_phase(self, server: ServerProc, key: str) -> None:
        a = self.a
        pub = Publisher(server.port, key, "realistic session")
        sid = await pub.connect()
        script = session_script(a.session_seconds)
        try:
            ph = await self.phase(
                server,
                "session",
                f"/ws/streams/{sid}",
                a.session_viewers,
                seconds=a.session_seconds + 1.0,
                publisher=pub,
                script=script,
                client="raw",  # the only one that sees the bytes on the wire
            )
        finally:
            await pub.close()
        text_bytes = sum(len(s.encode()) for _, s in script)
        wire = sorted(8 * w / ph.window_s / 1000 for w in ph.wire)
        raw = sorted(8 * w / ph.window_s / 1000 for w in ph.payload)
        _log(
            f"[benchcast] realistic session ({a.session_seconds:.0f} s: prompts, typing at 5 "
            f"chars/s, pip burst, training log every 0.5 s; {len(script)} events, "
            f"{8 * text_bytes / a.session_seconds / 1000:.1f} kbit/s of terminal text): "
            f"per viewer {_q(wire, 0.5):.1f} kbit/s on the wire (max {wire[-1]:.1f}), "
            f"{_q(raw, 0.5):.1f} kbit/s of websocket messages before compression"
            f" [{'permessage-deflate offered' if a.deflate else 'no compression offered'}]"
        )
        self.session_kbit = _q(wire, 0.5)

    async def hour4_phase(self, server: ServerProc, info: dict[str, Any]) -> None:
        a = self.a
        sink = Sink()
        path = f"/ws/streams/{info['stream']}"
        # The first websocket a fresh server accepts pays one-off costs (imports, caches):
        # spend them on another stream, so the joins below measure a join.
        with contextlib.suppress(Exception):
            w = await open_viewer(sink, server.port, "/ws/streams/warmup", a.deflate, "raw")
            w.close()
        rows = []
        for _ in range(a.joins):
            v = await open_viewer(sink, server.port, path, a.deflate, "raw", record=False)
            await asyncio.wait_for(v.first_events, CONNECT_TIMEOUT)
            rows.append(
                (
                    v.t_open - v.t0,
                    v.t_hello - v.t0,
                    v.t_keyframe - v.t0 if v.t_keyframe else float("nan"),
                    v.t_events - v.t0,
                    v.keyframe_bytes,
                    v.first_events_n,
                )
            )
            v.close()
            await asyncio.sleep(0.05)
        cold = rows[0]
        warm = sorted(r[3] for r in rows[1:]) or [cold[3]]
        _log(
            f"[benchcast] join at hour {info['hours']:g} ({info['events']} events, "
            f"{info['keyframes']} keyframes, built in {info['build_s']:.1f} s): time to first "
            f"screen {1000 * cold[3]:.1f} ms cold (handshake {1000 * cold[0]:.1f}, hello "
            f"{1000 * cold[1]:.1f}, keyframe {1000 * cold[2]:.1f} ms), then p50 "
            f"{1000 * _q(warm, 0.5):.1f} ms, max {1000 * warm[-1]:.1f} ms over {len(warm)} joins;"
            f" keyframe {cold[4] / 1024:.1f} KiB, catch-up {cold[5]} events"
        )
        self.ttfs_ms = 1000 * max(cold[3], warm[-1])

    def _interrupt(self, main: asyncio.Task[Any]) -> None:
        self.interrupted = True
        main.cancel()

    async def run(self) -> int:
        a = self.a
        main = asyncio.current_task()
        assert main is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, self._interrupt, main)
        self.session_kbit = float("nan")
        self.ttfs_ms = float("nan")
        nofile = _raise_nofile()
        _log(f"benchcast fan-out bench — {self.cores_line()}")
        if a.prefault:
            took = prefault(a.prefault)
            _log(
                f"pre-touched {a.prefault} MiB of memory in {took:.1f} s (a VM that backs its "
                "memory lazily stalls every CPU on first touches, for up to ~0.4 s)"
            )
        _log(
            f"viewers: {a.client} client, "
            f"{'permessage-deflate offered' if a.deflate else 'no compression'}; publisher "
            f"{RATE:.0f} events/s of {EVENT_BYTES} bytes; phases {a.seconds:g} s after "
            f"{a.warmup:g} s warm-up; fd limit {nofile}"
        )
        data = self.tmp / "data"
        bc = [sys.executable, "-m", "benchcast"]
        out = subprocess.run(
            [*bc, "channel", "create", "bench", "--data", str(data)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        key = out.stdout.strip().splitlines()[-1]
        info = build_long_stream(data, "bench", a.hours)
        serve_args = ["serve", "--port", "0", "--data", str(data), "--log-level", a.log_level]
        servers: list[tuple[str, list[str], str]] = []
        if "benchcast" in a.servers:
            launcher = [sys.executable, a.server_launcher] if a.server_launcher else bc
            cmd = [*launcher, *serve_args]
            server = ServerProc("benchcast", cmd, self.tmp / "server.log", self.pin_server)
            _log("server: benchcast serve (uvicorn, SQLite), a fresh process for each phase")
            try:
                await self.hour4_phase(server, info)
                await self.session_phase(server, key)
            finally:
                server.stop()
            servers.append(("benchcast", cmd, key))
        for variant in a.variants:
            cmd = [sys.executable, __file__, "--role", "server", "--variant", variant]
            servers.append((variant, [*cmd, *serve_args], key))
        if "baseline" in a.servers:
            cmd = [sys.executable, __file__, "--role", "baseline-server", "--max-seconds", "1800"]
            servers.append(("baseline", cmd, "any"))
            _log(f"baseline: websockets {_ws_version()} asyncio server + broadcast, no store")
        await self.fanout_phases(servers)
        self.summary()
        return 0

    def summary(self) -> None:
        a = self.a
        _log("")
        _log(
            f"{'server':<20} {'phase':<30} {'conn s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'max ms':>7} {'ev/s min':>8} {'srv CPU':>7} {'RSS MB':>7} {'cli CPU':>7}"
        )
        for ph in self.phases:
            if ph.label == "session":
                continue
            r = ph.rates
            _log(
                f"{ph.server:<20} {ph.label:<30} {ph.connect_s:>7.1f} {ph.p(0.5):>7.1f} "
                f"{ph.p(0.99):>7.1f} {ph.p(1.0):>7.1f} {(r[0] if r else float('nan')):>8.1f} "
                f"{100 * ph.server_cpu:>6.0f}% {ph.rss_peak_mb:>7.0f} {100 * ph.client_cpu:>6.0f}%"
            )
        ours = {p.n: p for p in self.phases if p.server == "benchcast" and not p.join}
        base = {p.n: p for p in self.phases if p.server == "baseline" and not p.join}
        storm = next((p for p in self.phases if p.server == "benchcast" and p.join), None)

        def verdict(ok: bool) -> str:
            return "ok" if ok else "MISSED"

        _log("")
        if 1000 in ours:
            p99 = ours[1000].p(0.99)
            _log(f"target 1,000 viewers p99 ≤ 30 ms: {p99:.1f} ms — {verdict(p99 <= 30)}")
        if 3000 in ours:
            ph = ours[3000]
            full = bool(ph.rates) and ph.rates[0] >= 0.95 * RATE
            _log(
                f"target 3,000 viewers at full rate, p99 ≤ 75 ms: p99 {ph.p(0.99):.1f} ms, "
                f"slowest viewer {ph.rates[0] if ph.rates else 0:.1f} ev/s — "
                f"{verdict(full and ph.p(0.99) <= 75)}"
            )
        if storm and storm.joins:
            s = storm.joins["all_live_s"]
            _log(
                f"target {storm.join:,} joins in ≤ 5 s: {s:.2f} s to all live "
                f"({storm.joins['all_hello_s']:.2f} s to all hello) — {verdict(s <= 5)}"
            )
        _log(
            f"target session ≤ 20 kbit/s per viewer: {self.session_kbit:.1f} kbit/s — "
            f"{verdict(self.session_kbit <= 20)}"
        )
        _log(
            f"target hour-{a.hours:g} join ≤ 100 ms to first screen: {self.ttfs_ms:.1f} ms "
            f"(worst) — {verdict(self.ttfs_ms <= 100)}"
        )
        # The largest N at which the baseline kept up (a finite p99) is the one compared.
        both = sorted(n for n in ours if n in base and base[n].p(0.99) < float("inf"))
        if both:
            top = both[-1]
            o, b = ours[top].p(0.99), base[top].p(0.99)
            _log(
                f"ratio p99 benchcast / websockets baseline at N={top}: {o / b:.2f} "
                f"({o:.1f} ms vs {b:.1f} ms)"
            )
        elif base:
            _log("ratio p99 benchcast / websockets baseline: n/a (the baseline kept up at no N)")
        else:
            _log("ratio p99 benchcast / websockets baseline: n/a (baseline skipped)")


def _ws_version() -> str:
    import websockets

    return str(getattr(websockets, "__version__", "?"))


def _ints(s: str) -> list[int]:
    return [int(x) for x in s.replace("_", "").split(",") if x]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", type=_ints, default=[100, 1000, 3000], help="N per phase")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds after connecting, unmeasured")
    p.add_argument("--quick", action="store_true", help="smoke run: N=50,200, short phases")
    p.add_argument(
        "--servers",
        type=lambda x: x.split(","),
        default=["benchcast", "baseline"],
        help="which of benchcast,baseline to run",
    )
    p.add_argument("--skip-baseline", dest="servers", action="store_const", const=["benchcast"])
    p.add_argument(
        "--variants",
        type=lambda x: [v for v in x.split(",") if v],
        default=[],
        help=f"also run the fan-out phases on patched servers, e.g. nodeflate,nodeflate+immediate:"
        f" {VARIANTS_HELP}",
    )
    p.add_argument(
        "--storm", type=_ints, default=[1000, 1000], help="WATCH,JOIN for the connect storm"
    )
    p.add_argument("--no-storm", dest="storm", action="store_const", const=None)
    p.add_argument("--session-seconds", type=float, default=40.0)
    p.add_argument("--session-viewers", type=int, default=10)
    p.add_argument("--hours", type=float, default=4.0, help="length of the synthetic stream")
    p.add_argument("--joins", type=int, default=10, help="sequential joins at hour 4")
    p.add_argument("--client", choices=["raw", "websockets"], default="raw")
    p.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--viewer-procs", type=int, default=1)
    p.add_argument(
        "--live-viewers",
        type=int,
        default=300,
        help="viewers per process that read continuously and time every event; the others "
        f"read their sockets every {BULK_INTERVAL} s (raw client only)",
    )
    p.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    p.add_argument(
        "--connect-deadline",
        type=float,
        default=120.0,
        help="seconds a phase may spend connecting its viewers; the rest count as failed",
    )
    p.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--log-level", default="warning", help="the server's log level")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=15.0,
        help="before each phase, wait up to this many seconds for other load to drop",
    )
    p.add_argument(
        "--quiet-cpu",
        type=float,
        default=20.0,
        help="percent of a core other processes may use for the machine to count as quiet",
    )
    p.add_argument(
        "--prefault", type=int, default=3072, help="MiB of memory to touch first (0: none)"
    )
    p.add_argument(
        "--server-launcher",
        help="a Python file run as `python FILE serve --port 0 --data DIR …` instead of "
        "`python -m benchcast` (to profile or patch the server)",
    )
    # internal roles
    p.add_argument(
        "--role", choices=["main", "viewers", "baseline-server", "server"], default="main"
    )
    p.add_argument("--variant", default="as-is")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--path", default="")
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--join", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=1800.0)
    a, rest = p.parse_known_args(argv)
    if a.role == "server":
        a.rest = rest
    elif rest:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    if a.quick:
        a.viewers = [50, 200]
        a.seconds = min(a.seconds, 3.0)
        a.warmup = min(a.warmup, 1.0)
        a.storm = [200, 200] if a.storm else None
        a.session_seconds = min(a.session_seconds, 8.0)
        a.hours = min(a.hours, 0.5)
        a.joins = min(a.joins, 3)
        a.quiet_wait = min(a.quiet_wait, 5.0)
    if a.storm is not None and len(a.storm) != 2:
        p.error("--storm takes WATCH,JOIN")
    return a


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(arg.split("=", 1)[0] in ("--processes", "--bus") for arg in argv):
        # Several server processes on a shared bus: the cluster bench (bench/fanout_cluster.py)
        # measures that; this entry point takes the same flags so one command covers both.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import fanout_cluster

        return int(fanout_cluster.main(argv))
    a = parse(argv)
    runner = _new_loop_runner()
    if a.role == "viewers":
        _raise_nofile()
        runner(viewers_main(a))
        return 0
    if a.role == "server":
        return variant_main(a.variant, a.rest)
    if a.role == "baseline-server":
        _raise_nofile()
        runner(baseline_main(a))
        return 0
    bench = Bench(a)
    try:
        return int(runner(bench.run()))
    except (asyncio.CancelledError, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        import shutil

        shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
