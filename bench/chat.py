"""Chat flood benchmark: 200 guests x 10 messages/s for 20 s against a real server, while a few
legitimate viewers chat at a human pace.

    python bench/chat.py                          # 200 guests, 10 msg/s each, 20 s
    python bench/chat.py --guests 50 --seconds 5  # a quick run

What runs (every process on this machine, on loopback):

- the server: ``benchcast serve --port 0 --data DIR``, with a publisher connected (the stream
  is live);
- each flooding guest gets a guest session from its own loopback address (127.0.x.y: the
  per-address limits see 200 people, as a real flood from many would look), opens the viewer
  websocket with its cookie and sends ``chat`` actions over it at the given rate;
- five legitimate viewers (addresses of their own) post a message every 3 s through the JSON
  API, as the web page does;
- one observer watches the stream and timestamps every chat message it receives.

Latency is the time from a message being sent to the observer receiving it. The baseline is
measured in the same run: the legitimate viewers alone, for 5 s, before the flood. Printed:
attempts, accepted and refused messages, the most any one guest got through (the limit is 20
in 30 s), whether every legitimate message arrived, and p50/p99 latency — the last line
compares the legitimate viewers' p99 under the flood with the quiet baseline (target ≤ 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

BENCHCAST = [sys.executable, "-m", "benchcast"]
LEGIT = 5
LEGIT_EVERY = 3.0
QUIET = 5.0


@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)  # token → when sent
    seen_at: dict[str, float] = field(default_factory=dict)  # token → when the observer saw it
    done: Counter[int] = field(default_factory=Counter)  # guest → accepted
    refused: Counter[int] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)


def address(i: int) -> str:
    return f"127.0.{10 + i // 250}.{1 + i % 250}"


def start_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
    proc = subprocess.Popen(
        [*BENCHCAST, "serve", "--port", "0", "--data", str(data), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    for _ in range(200):
        try:
            if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not start")


async def guest(url: str, ip: str, name: str) -> tuple[httpx.AsyncClient, str]:
    http = httpx.AsyncClient(
        base_url=url, transport=httpx.AsyncHTTPTransport(local_address=ip), timeout=30
    )
    csrf = (await http.get("/api/session")).json()["csrf"]
    res = await http.post("/api/session/guest", json={"name": name}, headers={"X-CSRF-Token": csrf})
    res.raise_for_status()
    return http, csrf


async def flooder_setup(i: int, url: str, sid: str) -> tuple[httpx.AsyncClient, ClientConnection]:
    ip = address(i)
    http, _ = await guest(url, ip, f"flood {i}")
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    ws_url = url.replace("http://", "ws://") + f"/ws/streams/{sid}"
    ws = await connect(
        ws_url, additional_headers={"Cookie": cookie}, local_addr=(ip, 0), max_size=2**24
    )
    return http, ws


async def flooder(
    i: int,
    conn: tuple[httpx.AsyncClient, ClientConnection],
    rate: float,
    until: float,
    tally: Tally,
) -> None:
    http, ws = conn
    reader = asyncio.create_task(_replies(ws, i, tally))
    n = 0
    start = time.monotonic()
    while time.monotonic() < until:
        token = f"f{i}.{n}"
        tally.sent_at[token] = time.time()
        msg = {"type": "act", "ref": n, "action": "chat", "body": {"text": f"{token} spam"}}
        await ws.send(json.dumps(msg))
        n += 1
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
    await asyncio.sleep(2.0)
    reader.cancel()
    await ws.close()
    await http.aclose()


async def _replies(ws: ClientConnection, i: int, tally: Tally) -> None:
    async for frame in ws:
        text = frame if isinstance(frame, str) else frame.decode()
        if text.startswith('{"type":"done"'):
            tally.done[i] += 1
        elif text.startswith('{"type":"refused"'):
            tally.refused[i] += 1
            tally.statuses[json.loads(text)["status"]] += 1


async def legit(
    i: int, conn: tuple[httpx.AsyncClient, str], sid: str, until: float, tally: Tally
) -> None:
    http, csrf = conn
    n = 0
    await asyncio.sleep(i * LEGIT_EVERY / LEGIT)
    while time.monotonic() < until:
        token = f"L{i}.{n}"
        tally.sent_at[token] = time.time()
        res = await http.post(
            f"/api/streams/{sid}/chat",
            json={"text": f"{token} a real question"},
            headers={"X-CSRF-Token": csrf},
        )
        if res.status_code != 201:
            print(f"legit viewer {i}: {res.status_code} {res.text}", flush=True)
        n += 1
        await asyncio.sleep(LEGIT_EVERY)
    await http.aclose()


async def observer(url: str, sid: str, tally: Tally, stop: asyncio.Event) -> None:
    ws_url = url.replace("http://", "ws://") + f"/ws/streams/{sid}"
    async with connect(ws_url, max_size=2**24) as ws:
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.time()
            msg = json.loads(frame)
            if msg.get("type") != "events":
                continue
            for ev in msg["events"]:
                if ev["kind"] == "chat.message":
                    tally.seen_at.setdefault(ev["data"]["text"].split(" ", 1)[0], now)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def latencies(tally: Tally, prefix: str, since: float, until: float) -> tuple[list[float], int]:
    sent = {
        t: at for t, at in tally.sent_at.items() if t.startswith(prefix) and since <= at < until
    }
    lags = [tally.seen_at[t] - at for t, at in sent.items() if t in tally.seen_at]
    return lags, len(sent)


async def run(a: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="benchcast-chat-"))
    proc, url = start_server(data)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHCAST_")}
        key = subprocess.run(
            [*BENCHCAST, "channel", "create", "bench", "--data", str(data)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        pub = await connect(url.replace("http://", "ws://") + "/ws/publish")
        await pub.send(json.dumps({"type": "hello", "key": key, "stream": None, "title": "flood"}))
        sid = json.loads(await pub.recv())["stream"]
        tally = Tally()
        stop = asyncio.Event()
        watch = asyncio.create_task(observer(url, sid, tally, stop))
        print(f"server {url}, stream {sid}: connecting {a.guests} guests", flush=True)
        conns = await asyncio.gather(*(flooder_setup(i, url, sid) for i in range(a.guests)))
        legit_conns = [await guest(url, address(1000 + i), f"viewer {i}") for i in range(LEGIT)]
        t_quiet = time.time()
        flood_until = time.monotonic() + QUIET + a.seconds
        legits = [
            asyncio.create_task(legit(i, c, sid, flood_until, tally))
            for i, c in enumerate(legit_conns)
        ]
        print(f"{QUIET:g} s quiet, then the flood", flush=True)
        await asyncio.sleep(QUIET)
        t_flood = time.time()
        floods = [
            asyncio.create_task(flooder(i, c, a.rate, flood_until, tally))
            for i, c in enumerate(conns)
        ]
        await asyncio.gather(*floods, *legits)
        await asyncio.sleep(2.0)
        stop.set()
        await watch
        await pub.close()

        quiet, quiet_sent = latencies(tally, "L", t_quiet, t_flood)
        under, under_sent = latencies(tally, "L", t_flood, time.time())
        flood_lags, _ = latencies(tally, "f", 0, time.time())
        attempts = sum(1 for t in tally.sent_at if t.startswith("f"))
        accepted = sum(tally.done.values())
        most = max(tally.done.values(), default=0)
        legit_ok = len(quiet) == quiet_sent and len(under) == under_sent
        health = httpx.get(url + "/-/ready", timeout=5).status_code
        print(
            f"flood: {a.guests} guests x {a.rate:g} msg/s x {a.seconds:g} s: {attempts} sent, "
            f"{accepted} accepted, {sum(tally.refused.values())} refused "
            f"({dict(tally.statuses)}); most from one guest: {most} (limit 20 in 30 s: "
            f"{'holds' if most <= 20 else 'BROKEN'})",
            flush=True,
        )
        print(
            f"legitimate viewers: {len(quiet) + len(under)}/{quiet_sent + under_sent} messages "
            f"arrived; server ready after the flood: {health == 200}",
            flush=True,
        )
        print(
            f"latency, accepted flood messages: p50 {pct(flood_lags, 0.5) * 1000:.0f} ms, "
            f"p99 {pct(flood_lags, 0.99) * 1000:.0f} ms",
            flush=True,
        )
        p99, base = pct(under, 0.99), pct(quiet, 0.99)
        ok = legit_ok and most <= 20 and p99 <= 1.0 and health == 200
        print(
            f"chat p99 latency under the flood {p99 * 1000:.0f} ms vs quiet baseline "
            f"{base * 1000:.0f} ms (x{p99 / base if base else float('nan'):.1f}); "
            f"target <= 1000 ms: {'ok' if ok else 'MISSED'}",
            flush=True,
        )
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait(15)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--guests", type=int, default=200, help="flooding guests")
    p.add_argument("--rate", type=float, default=10.0, help="messages per second per guest")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the flood")
    a = p.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(run(a))


if __name__ == "__main__":
    sys.exit(main())
