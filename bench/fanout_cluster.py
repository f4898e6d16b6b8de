"""Fan-out across server processes: one publisher, many viewers, PostgreSQL and Redis.

    python bench/fanout_cluster.py --processes 2 --bus redis --viewers 5000 --rate 20
    python bench/fanout_cluster.py --processes 2 --bus redis --viewers 10000 --rate 10
    python bench/fanout_cluster.py --quick          # smoke run: 200 viewers, 5 s

What runs (every process on 127.0.0.1):

- a fresh PostgreSQL database (``bc_bench_…`` on ``--postgres``, dropped at the end) and, for
  ``--bus redis``, a ``redis-server`` of the bench's own on a free port;
- ``--processes`` times ``benchcast serve --db … --bus …``;
- a publisher on process 0 sending one ~200-byte ``term.output`` event every 1/``--rate`` s,
  each carrying ``@T<time.time()>;`` so a viewer on the same clock knows when it was sent;
- ``--viewers`` viewers spread round-robin over the server processes, opened by
  ``--viewer-procs`` client processes on a minimal websocket client on uvloop (no
  permessage-deflate: this measures fan-out, not compression). ``--timed-viewers`` of them,
  spread over the connection order, read every frame as it arrives and time each event; the
  others read what their socket holds every 0.5 s and count the events. The server does the
  same for both (a write per frame per viewer), but a client process reading 100,000 frames
  a second one by one would take a core of this machine from the server it measures. For the
  same reason the client processes run under SCHED_BATCH: a browser on another machine cannot
  preempt the server each time a frame reaches it, and here a woken client otherwise does.
  Every TCP write here also pays for the receiving side's TCP processing (loopback runs it in
  the sender's system call): ~10 µs per frame on this machine against ~2 µs for the send alone.

Two latencies are printed. publish→viewer is from the publisher's send to the viewer's
receive: what a viewer experiences, including the store's durable commit (an fsync, whose
tail on a shared disk can alone exceed 100 ms). commit→viewer starts at the publisher's ack,
which the server sends once the store has committed: that is fan-out alone (the bus, the
frame batching of at most 50 ms, and the sends), which is what the targets are about.

``BENCH_DEBUG=1`` also prints each server's fan-out lag and append-time histograms, to tell
the database's share of the latency from the fan-out's.

Each run first measures the baseline: the same load on one process (``--processes 1 --bus
memory``), unless ``--skip-baseline``. The last line prints the figures: viewers held and the
percentiles, per setup.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import json
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import time
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import uvloop

HOST = "127.0.0.1"
EVENT_BYTES = 200
BULK_INTERVAL = 0.5  # viewers that are not timed read their sockets this often
_TS = re.compile(rb"@T(\d+\.\d+);")
_EVENTS = b'{"type":"events"'
BENCHCAST = [sys.executable, "-m", "benchcast"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# ── the viewer processes ──────────────────────────────────────────────────────────────────


class Viewer(asyncio.Protocol):
    """A websocket viewer that only parses frames and times the events in them."""

    def __init__(
        self,
        port: int,
        path: str,
        recv: dict[bytes, list[float]],
        window: list[float],
        timed: bool = True,
    ) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.recv = recv  # publish stamp → receive times, over this process's viewers
        self.window = window  # [w0, w1]: count events published inside it
        self.timed = timed  # reads as frames arrive and times each event; else in bulk
        self.buf = bytearray()
        self.open = False
        self.alive = False
        self.events = 0
        self.live = False  # has had an events frame: joined, caught up, following
        self.transport: asyncio.Transport | None = None
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they are one.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("closed"))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.hello.set_exception(ConnectionError(bytes(buf[:40]).decode("latin-1")))
                return
            del buf[: end + 4]
            self.open = self.alive = True
            if not self.hello.done():
                self.hello.set_result(None)
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, ln, h = buf[pos], buf[pos + 1] & 0x7F, 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln, h = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln, h = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if n - pos < h + ln:
                break
            payload = bytes(buf[pos + h : pos + h + ln])
            pos += h + ln
            op = b0 & 0x0F
            if op == 1 and payload.startswith(_EVENTS):
                self.live = True
                w0, w1 = self.window
                for s in _TS.findall(payload):
                    if w0 <= float(s) < w1:
                        self.events += 1
                        if self.timed:
                            self.recv.setdefault(s, []).append(now)
            elif op == 9 and self.transport is not None:  # ping → pong, masked with a zero key
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif op == 8 and self.transport is not None:
                self.transport.close()
        if pos:
            del buf[:pos]
        if not self.timed and self.open and self.transport is not None:
            self.transport.pause_reading()  # until the next bulk read


def _same(v: Viewer) -> Viewer:
    return v


async def viewers_main(ports: list[int], sid: str, n: int, offset: int, timed: int) -> None:
    """Open ``n`` viewers, report "ready", record between "start W0 W1" and "stop" on stdin.

    ``timed`` of them, spread evenly over the connection order (so over each server's pass
    too), read every frame as it arrives and time its events; the others read what their
    socket holds every ``BULK_INTERVAL`` s and only count events. The server does the same
    work for both: one write per frame per viewer, the kernel buffering it until read."""
    _raise_nofile()
    # Stand-ins for browsers on other machines: there they cannot take the CPU from the
    # server each time a frame arrives, so here they do not preempt it on wake-up either.
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    loop = asyncio.get_running_loop()
    recv: dict[bytes, list[float]] = {}
    window = [float("inf"), float("inf")]
    viewers: list[Viewer] = []
    sem = asyncio.Semaphore(200)

    async def one(i: int) -> None:
        port = ports[(offset + i) % len(ports)]
        async with sem:
            for _ in range(5):
                is_timed = (i * timed) // n != ((i + 1) * timed) // n
                v = Viewer(port, f"/ws/streams/{sid}", recv, window, is_timed)
                try:
                    await loop.create_connection(functools.partial(_same, v), HOST, port)
                    await asyncio.wait_for(v.hello, 30)
                    viewers.append(v)
                    return
                except (OSError, ConnectionError, TimeoutError):
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(one(i) for i in range(n)))
    print(json.dumps({"ready": len(viewers)}), flush=True)

    async def bulk_reads() -> None:
        # A tenth of them every twentieth of a second: bursts would skew the timed viewers.
        bulk = [v for v in viewers if not v.timed]
        slices = 10
        i = 0
        while True:
            await asyncio.sleep(BULK_INTERVAL / slices)
            for v in bulk[i::slices]:
                if v.alive and v.transport is not None:
                    v.transport.resume_reading()
            i = (i + 1) % slices

    bulk = asyncio.ensure_future(bulk_reads())
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().split()
        if not line or line[0] == "stop":
            break
        if line[0] == "start":
            window[0], window[1] = float(line[1]), float(line[2])
        elif line[0] == "warm":  # wait until every viewer follows the stream live
            deadline = time.monotonic() + 120
            while not all(v.live for v in viewers) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            print(json.dumps({"live": sum(v.live for v in viewers)}), flush=True)
    # Per event, 100 evenly spaced quantiles of its receive times keep the report small.
    stamps = {}
    for stamp, times in recv.items():
        times.sort()
        k = min(len(times), 100)
        stamps[stamp.decode()] = [times[i * len(times) // k] for i in range(k)]
    bulk.cancel()
    report = {
        "held": sum(v.alive for v in viewers),
        "timed": sum(v.timed for v in viewers),
        "events": sum(v.events for v in viewers),
        "stamps": stamps,
    }
    print(json.dumps(report), flush=True)


# ── the publisher ─────────────────────────────────────────────────────────────────────────


async def publish(
    url: str, key: str, sid: str | None, rate: float, until: float
) -> tuple[int, dict[str, float]]:
    """Publish until ``until``; return how many events, and each one's ack time by stamp.

    Like the real uplink, one message is in flight at a time and everything made meanwhile
    goes in the next one, so a slow commit makes bigger batches, not a backlog. An ack
    covers every event up to its pseq: their commit time, plus one hop.
    """
    import websockets

    sent = 0
    stamp_of: dict[int, str] = {}
    acked: dict[str, float] = {}
    pending: list[dict[str, Any]] = []
    ready = asyncio.Event()
    in_flight = 0
    async with websockets.connect(url.replace("http", "ws") + "/ws/publish", max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "hello", "key": key, "stream": sid, "title": "bench"}))
        welcome = json.loads(await ws.recv())
        pseq = int(welcome["acked"])

        async def receive() -> None:
            nonlocal in_flight
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "ack":
                    now = time.time()
                    for p in [p for p in stamp_of if p <= msg["pseq"]]:
                        acked[stamp_of.pop(p)] = now
                    if msg["pseq"] >= in_flight:
                        in_flight = 0
                        ready.set()

        async def send() -> None:
            nonlocal in_flight
            while True:
                await ready.wait()
                ready.clear()
                if pending and not in_flight:
                    batch = pending[:]
                    pending.clear()
                    in_flight = batch[-1]["pseq"]
                    await ws.send(json.dumps({"type": "events", "events": batch}))

        tasks = [asyncio.ensure_future(receive()), asyncio.ensure_future(send())]
        t0 = time.time()
        interval = 1.0 / rate
        i = 0
        while time.time() < until:
            now = f"{time.time():.6f}"
            text = (f"@T{now};" + "x" * EVENT_BYTES)[:EVENT_BYTES] + "\r\n"
            pseq += 1
            stamp_of[pseq] = now
            pending.append(
                {
                    "pseq": pseq,
                    "t": time.time() - t0,
                    "kind": "term.output",
                    "source": "term:1",
                    "data": {"text": text},
                }
            )
            ready.set()
            sent += 1
            i += 1
            await asyncio.sleep(max(0.0, t0 + i * interval - time.time()))
        await asyncio.sleep(1.0)  # the last acks
        for task in tasks:
            task.cancel()
    return sent, acked


async def warm_up(url: str, key: str, sid: str) -> None:
    """One event, so every viewer has joined, caught up and gone live before the window."""
    import websockets

    async with websockets.connect(url.replace("http", "ws") + "/ws/publish") as ws:
        await ws.send(json.dumps({"type": "hello", "key": key, "stream": sid, "title": "bench"}))
        pseq = int(json.loads(await ws.recv())["acked"]) + 1
        draft = {
            "pseq": pseq,
            "t": 0.0,
            "kind": "term.output",
            "source": "term:1",
            "data": {"text": "warm-up\r\n"},
        }
        await ws.send(json.dumps({"type": "events", "events": [draft]}))
        while json.loads(await ws.recv()).get("type") != "ack":
            pass


async def open_stream(url: str, key: str) -> str:
    import websockets

    async with websockets.connect(url.replace("http", "ws") + "/ws/publish") as ws:
        await ws.send(json.dumps({"type": "hello", "key": key, "stream": None, "title": "bench"}))
        return str(json.loads(await ws.recv())["stream"])


# ── the machine's floor: what a bare TCP write costs here ─────────────────────────────────


def write_floor(n: int, rounds: int = 20) -> float:
    """Microseconds of wall time per write when a bare loop writes one ~250-byte frame to
    each of ``n`` loopback sockets (a child process reads them), the least any server can
    spend per viewer per frame on this machine. Loopback TCP runs the receiver's side of
    every packet in the sender's system call, which a network card would take over."""
    frame = b"\x81\x7e\x00\xfa" + b"x" * 250
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(n)
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:  # the reader: reads everything until the writer closes
        try:
            import selectors

            sel = selectors.DefaultSelector()
            for _ in range(n):
                c = socket.create_connection((HOST, port))
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
            open_ = n
            while open_:
                for key, _ in sel.select(5):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if not sock.recv(1 << 16):
                        sel.unregister(sock)
                        sock.close()
                        open_ -= 1
        finally:
            os._exit(0)
    socks = [listener.accept()[0] for _ in range(n)]
    gap = 0.02
    started = time.perf_counter()
    for _ in range(rounds):
        for s in socks:
            s.send(frame)
        time.sleep(gap)
    per_write = (time.perf_counter() - started - rounds * gap) / (rounds * n)
    for s in socks:
        s.close()
    listener.close()
    os.waitpid(pid, 0)
    return per_write * 1e6


# ── orchestration ─────────────────────────────────────────────────────────────────────────


class Services:
    """A fresh PostgreSQL database and, when asked, a Redis of the bench's own."""

    def __init__(self, postgres: str, redis: bool) -> None:
        import psycopg

        self.admin = psycopg.connect(postgres, autocommit=True)
        self.name = "bc_bench_" + secrets.token_hex(4)
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.db = urlunsplit(urlsplit(postgres)._replace(path="/" + self.name))
        self.redis: subprocess.Popen[bytes] | None = None
        self.bus = "memory://"
        if redis:
            binary = shutil.which("redis-server")
            if binary is None:
                raise SystemExit("bench: redis-server is not installed")
            port = _free_port()
            self.redis = subprocess.Popen(
                [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            self.bus = f"redis://{HOST}:{port}/0"
            time.sleep(0.3)

    def close(self) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


def start_servers(n: int, db: str, bus: str) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    procs, ports = [], []
    for _ in range(n):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    *BENCHCAST,
                    "serve",
                    "--port",
                    str(port),
                    "--db",
                    db,
                    "--bus",
                    bus,
                    "--log-level",
                    "warning",
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        ports.append(port)
    import httpx

    for port in ports:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{HOST}:{port}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("bench: a server did not start")
            time.sleep(0.1)
    return procs, ports


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def run_setup(a: argparse.Namespace, processes: int, bus: str) -> dict[str, Any]:
    services = Services(a.postgres, redis=(bus == "redis"))
    procs: list[subprocess.Popen[bytes]] = []
    clients: list[asyncio.subprocess.Process] = []
    try:
        procs, ports = start_servers(processes, services.db, services.bus)
        base = f"http://{HOST}:{ports[0]}"
        key = (
            subprocess.run(
                [*BENCHCAST, "channel", "create", "bench", "--db", services.db],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        sid = await open_stream(base, key)
        per = [
            a.viewers // a.viewer_procs + (i < a.viewers % a.viewer_procs)
            for i in range(a.viewer_procs)
        ]
        offset = 0
        for n in per:
            clients.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--_viewers",
                    ",".join(map(str, ports)),
                    sid,
                    str(n),
                    str(offset),
                    str(min(n, a.timed_viewers * n // max(1, a.viewers) + 1)),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**24,
                )
            )
            offset += n
        ready = 0
        for c in clients:
            assert c.stdout is not None
            ready += json.loads(await c.stdout.readline())["ready"]
        print(f"  {processes} process(es), bus {bus}: {ready} viewers connected", flush=True)
        await warm_up(base, key, sid)
        live = 0
        for c in clients:
            assert c.stdin is not None and c.stdout is not None
            c.stdin.write(b"warm\n")
            await c.stdin.drain()
        for c in clients:
            assert c.stdout is not None
            live += json.loads(await c.stdout.readline())["live"]
        print(f"  {live} viewers following live", flush=True)
        warm, seconds = 1.0, a.seconds
        t_start = time.time()
        w0, w1 = t_start + warm, t_start + warm + seconds
        for c in clients:
            assert c.stdin is not None
            c.stdin.write(f"start {w0} {w1}\n".encode())
            await c.stdin.drain()
        cpu0 = cpu_seconds([p.pid for p in procs])
        ccpu0 = cpu_seconds([c.pid for c in clients])
        sent, acked = await publish(base, key, sid, a.rate, w1 + 0.05)
        cpu1 = cpu_seconds([p.pid for p in procs])
        ccpu1 = cpu_seconds([c.pid for c in clients])
        if os.environ.get("BENCH_DEBUG"):
            import httpx

            for port in ports:
                text = httpx.get(f"http://{HOST}:{port}/metrics").text
                print(
                    "\n".join(
                        x
                        for x in text.splitlines()
                        if "_bucket" in x or "fills" in x or "overflows_total" in x
                    ),
                    flush=True,
                )
        await asyncio.sleep(1.0)  # the last events in flight
        held, events, timed = 0, 0, 0
        e2e: list[float] = []  # publisher's send → viewer's receive
        fan: list[float] = []  # store's commit (the publisher's ack) → viewer's receive
        for c in clients:
            assert c.stdin is not None and c.stdout is not None
            c.stdin.write(b"stop\n")
            await c.stdin.drain()
            r = json.loads(await c.stdout.readline())
            held += r["held"]
            timed += r["timed"]
            events += r["events"]
            for stamp, times in r["stamps"].items():
                e2e.extend(t - float(stamp) for t in times)
                if stamp in acked:
                    fan.extend(max(0.0, t - acked[stamp]) for t in times)
        in_window = int(seconds * a.rate)
        return {
            "processes": processes,
            "bus": bus,
            "viewers": a.viewers,
            "held": held,
            "timed": timed,
            "rate": a.rate,
            "sent": sent,
            "delivered": events / max(1, in_window * held),
            "p50_ms": round(pct(e2e, 0.50) * 1000, 1),
            "p99_ms": round(pct(e2e, 0.99) * 1000, 1),
            "max_ms": round(max(e2e, default=float("nan")) * 1000, 1),
            "fanout_p50_ms": round(pct(fan, 0.50) * 1000, 1),
            "fanout_p99_ms": round(pct(fan, 0.99) * 1000, 1),
            "commit_p99_ms": round(
                pct([acked[s] - float(s) for s in acked if w0 <= float(s) < w1], 0.99) * 1000, 1
            ),
            "server_cpu": round((cpu1 - cpu0) / (time.time() - t_start), 2),
            "client_cpu": round((ccpu1 - ccpu0) / (time.time() - t_start), 2),
        }
    finally:
        for c in clients:
            if c.returncode is None:
                c.kill()
                await c.wait()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        services.close()


def line(r: dict[str, Any]) -> str:
    return (
        f"{r['processes']} proc/{r['bus']}: {r['held']}/{r['viewers']} viewers held "
        f"({r['timed']} timed) at "
        f"{r['rate']:g} ev/s, delivered {r['delivered']:.1%}; publish→viewer p50 "
        f"{r['p50_ms']} p99 {r['p99_ms']} max {r['max_ms']} ms (commit p99 "
        f"{r['commit_p99_ms']} ms); commit→viewer p50 {r['fanout_p50_ms']} p99 "
        f"{r['fanout_p99_ms']} ms; CPU cores: servers {r['server_cpu']}, "
        f"viewer clients {r['client_cpu']}"
    )


async def main_async(a: argparse.Namespace) -> int:
    _raise_nofile()
    print(
        f"fanout_cluster: {a.viewers} viewers, {a.rate:g} events/s, {a.seconds:g} s, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    floor = write_floor(min(a.viewers, 2500))
    print(
        f"  floor: a bare loop of TCP writes costs {floor:.1f} µs per frame per viewer here: "
        f"{a.viewers:,} viewers at {a.rate:g}/s need {floor * a.viewers * a.rate / 1e6:.2f} "
        "cores for the writes alone",
        flush=True,
    )
    results = []
    if not a.skip_baseline:
        results.append(await run_setup(a, 1, "memory"))
        print("  baseline " + line(results[-1]), flush=True)
    results.append(await run_setup(a, a.processes, a.bus))
    print("  " + line(results[-1]), flush=True)
    print(" | ".join(line(r) for r in results), flush=True)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, choices=[1, 2, 3, 4], default=2)
    p.add_argument("--bus", choices=["redis", "memory"], default="redis")
    p.add_argument("--viewers", type=int, default=5000)
    p.add_argument("--rate", type=float, default=20.0, help="events (frames) per second")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds")
    p.add_argument("--viewer-procs", type=int, default=2, help="client processes")
    p.add_argument(
        "--timed-viewers",
        type=int,
        default=1000,
        help="viewers that read every frame as it comes and time it (all of them: "
        "--timed-viewers = --viewers); the others read in bulk every 0.5 s",
    )
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCHCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--quick", action="store_true", help="smoke run: 200 viewers, 5 s")
    a = p.parse_args(argv)
    if a.quick:
        a.viewers, a.seconds = 200, 5.0
    if a.processes > 1 and a.bus == "memory":
        p.error("several processes need --bus redis")
    return a


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_viewers":
        ports = [int(x) for x in argv[1].split(",")]
        timed = int(argv[5])
        # uvloop, as the server runs: the viewers' own cost shares the machine with it.
        uvloop.run(viewers_main(ports, argv[2], int(argv[3]), int(argv[4]), timed))
        return 0
    return asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
