"""Media benchmark: the streamer's voice from the studio's socket to viewers, on loopback.

    python bench/media.py                  # 20 s of voice to 1, 10 and 100 viewers
    python bench/media.py --quick          # 8 s to 1 and 10 viewers
    python bench/media.py --viewers 1,50 --seconds 30
    python bench/media.py --quick --browser   # and glass-to-glass in Chromium

What runs (every process on 127.0.0.1):

- the server: ``benchcast serve --port 0 --data DIR`` (SQLite, in-process bus), a channel
  made with ``benchcast channel create``, and a stream opened with the publisher protocol;
- a voice: a WebM/Opus recording at 32 kbit/s (what the studio page records) made by ffmpeg
  from a speech-like test signal, sent on ``/ws/streams/{id}/media/publish`` (with the
  stream key) in 250 ms slices at real-time pace, as MediaRecorder hands them over;
- N viewers on ``/ws/streams/{id}/media`` (the ``websockets`` client), all joined before
  the voice starts. A slice counts as delivered to a viewer when the viewer has received
  every byte of the stream up to the slice's end (the server re-cuts at clusters, so bytes,
  not frames, are matched); its latency is then minus when the slice was sent.

The baseline, in the same run: a bare websocket relay on the ``websockets`` library, in a
process of its own as the server is, which hands every binary message from the sender to
every viewer (``websockets.broadcast``) and stores nothing. Same sender, same viewers, same
measure.

Printed per N: chunk-to-viewer latency p50 / p99 (ms) for benchcast and the baseline, and
bytes/s per viewer (everything the viewer's socket delivered: media, init, control
messages). The last line is benchcast's p99 over the baseline's at the largest N. The end
to end (glass-to-glass) delay adds the slice length (at most 250 ms, in the studio) and the
viewer's playback margin (js/media.js, LIVE_TARGET 300 ms) to these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import broadcast, serve

from benchcast.webm import Splitter

HOST = "127.0.0.1"
SLICE = 0.25


def voice(seconds: float, out: Path) -> bytes:
    """A WebM/Opus recording, voice-like (a warbling tone with pauses), ``seconds`` long."""
    expr = "0.4*sin(2*PI*(180+60*sin(2*PI*3*t))*t)*(0.5+0.5*sin(2*PI*0.7*t))"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=48000:d={seconds}",
         "-c:a", "libopus", "-b:a", "32k", "-application", "voip", "-live", "1",
         "-cluster_time_limit", "1000", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def slices(data: bytes) -> list[bytes]:
    """The recording in 250 ms slices cut between blocks, as MediaRecorder hands them over
    (the first holds the init segment)."""
    s = Splitter()
    s.buf += data
    s._parse()  # the block offsets and timecodes (webm.py)
    cuts = [0]
    for off, tc in s.blocks:
        if tc >= len(cuts) * SLICE * 1000:
            cuts.append(off)
    # A cut just before a block's cluster header belongs before that header.
    starts = {c[0] for c in s.cuts}
    cuts = sorted(
        {max((c for c in starts if c <= off and off - c < 32), default=off) for off in cuts}
    )
    cuts.append(len(data))
    return [data[a:b] for a, b in itertools.pairwise(cuts) if b > a]


class Viewer:
    def __init__(self) -> None:
        self.got = 0  # media bytes of the stream received (init and pieces)
        self.wire = 0  # every byte delivered, control messages included
        self.arrivals: list[tuple[int, float]] = []  # (cumulative bytes, when)
        self.init_seen = False

    async def run(self, url: str, benchcast: bool, ready: asyncio.Event) -> None:
        async with connect(url, max_size=2**24) as ws:
            ready.set()
            async for msg in ws:
                now = time.monotonic()
                self.wire += len(msg)
                if isinstance(msg, str):
                    continue
                data = msg[1:] if benchcast else msg
                self.got += len(data)
                self.arrivals.append((self.got, now))


async def relay_baseline() -> None:
    """The bare relay (its own process, as the server is): /pub sends, everyone else
    receives. Prints its URL, then serves until killed."""
    viewers: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/pub":
            async for msg in ws:
                broadcast(viewers, msg)
            return
        viewers.add(ws)
        try:
            await ws.wait_closed()
        finally:
            viewers.discard(ws)

    async with serve(handler, HOST, 0, max_size=2**24) as server:
        print(f"ws://{HOST}:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


def latencies(sent: list[tuple[int, float]], viewers: list[Viewer]) -> list[float]:
    out = []
    for v in viewers:
        i = 0
        for end, at in sent:
            while i < len(v.arrivals) and v.arrivals[i][0] < end:
                i += 1
            if i == len(v.arrivals):
                break  # never delivered (counted as missing below)
            out.append((v.arrivals[i][1] - at) * 1000)
    return out


async def run_phase(
    name: str,
    pub_url: str,
    view_url: str,
    headers: dict[str, str],
    parts: list[bytes],
    n: int,
    benchcast: bool,
) -> dict[str, Any]:
    viewers = [Viewer() for _ in range(n)]
    readies = [asyncio.Event() for _ in viewers]
    tasks = [
        asyncio.ensure_future(v.run(view_url, benchcast, r))
        for v, r in zip(viewers, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    await asyncio.sleep(0.3)
    sent: list[tuple[int, float]] = []
    total = 0
    async with connect(pub_url, additional_headers=headers, max_size=2**24) as pub:
        if benchcast:
            hello = json.loads(await pub.recv())
            assert hello["air"] == "on", hello
            await pub.send(
                json.dumps({"type": "start", "track": "audio", "mime": "audio/webm;codecs=opus"})
            )
            json.loads(await pub.recv())  # started
        t_start = time.monotonic()
        for i, part in enumerate(parts):
            await asyncio.sleep(max(0.0, t_start + (i + 1) * SLICE - time.monotonic()))
            total += len(part)
            sent.append((total, time.monotonic()))
            await pub.send((b"\x00" + part) if benchcast else part)
        duration = time.monotonic() - t_start
        await asyncio.sleep(1.0)  # let the last slices arrive
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted(latencies(sent, viewers))
    expected = len(sent) * n
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [float("nan")] * 99
    return {
        "name": name,
        "n": n,
        "p50": statistics.median(lat) if lat else float("nan"),
        "p99": q[98],
        "delivered": len(lat) / expected if expected else 0.0,
        "bps": statistics.mean(v.wire for v in viewers) / duration,
        "media_bps": total / duration,
    }


async def glass_to_glass(url: str, data: Path, seconds: float) -> None:
    """With ``--browser``: Chromium's fake microphone in the studio page, a viewer's page
    playing it live, and, every 100 ms for ``seconds``, how far the viewer's playback is
    behind the moment (stream time now minus the media element's currentTime, which is the
    stream time the sound was captured at). Prints p50 / p99 against the 1.5 s target."""
    from playwright.async_api import async_playwright

    password = "bench password 1"
    made = subprocess.run(
        [sys.executable, "-m", "benchcast", "channel", "create", "glass", "--data", str(data)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = made.stdout.strip().splitlines()[-1]
    subprocess.run(
        [sys.executable, "-m", "benchcast", "user", "add", "bench", "--role", "admin",
         "--password-stdin", "--data", str(data)],
        input=password + "\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    pub, sid = await open_stream(url, key, "glass to glass")
    with urllib.request.urlopen(f"{url}/api/streams/{sid}") as res:
        started = json.loads(res.read())["started_at"]
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        studio = await (await b.new_context(permissions=["microphone"])).new_page()
        await studio.goto(f"{url}/login?next=/studio/glass")
        await studio.fill("input[name=name]", "bench")
        await studio.fill("input[name=password]", password)
        await studio.click("button[type=submit]")
        await studio.wait_for_url("**/studio/glass")
        await studio.click("[data-capture-start]")
        viewer = await (await b.new_context()).new_page()
        await viewer.goto(f"{url}/s/{sid}")
        await viewer.wait_for_function(
            "() => window.benchcast?.media?.state().appended > 0", timeout=30000
        )
        await asyncio.sleep(2)  # settle at the live edge
        behind = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s = await viewer.evaluate(
                "(t0) => { const m = window.benchcast.media.state();"
                " return [Date.now() / 1000 - t0 - m.currentTime, m.paused]; }",
                started,
            )
            if not s[1]:
                behind.append(s[0] * 1000)
            await asyncio.sleep(0.1)
        await b.close()
    await pub.close()
    behind.sort()
    q = statistics.quantiles(behind, n=100)
    print(
        f"glass-to-glass in Chromium (capture to playback, fake microphone): "
        f"p50 {statistics.median(behind):.0f} ms, p99 {q[98]:.0f} ms over {len(behind)} "
        f"samples; target 1500 ms ({statistics.median(behind) / 1500:.2f}x of it)",
        flush=True,
    )


def start_server(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``benchcast serve`` on a free port; its log goes to ``data``/../server.log."""
    log = open(data.parent / "server.log", "wb")  # noqa: SIM115 (the child keeps it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchcast", "serve", "--port", "0", "--data", str(data),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=log,
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().decode().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise RuntimeError(f"the server did not start: {url!r}")
    return proc, url


async def open_stream(url: str, key: str, title: str) -> tuple[Any, str]:
    ws = await connect(url.replace("http://", "ws://") + "/ws/publish")
    await ws.send(
        json.dumps({"type": "hello", "key": key, "stream": None, "title": title, "tags": []})
    )
    welcome = json.loads(await ws.recv())
    return ws, str(welcome["stream"])


async def main_async(a: argparse.Namespace) -> None:
    counts = [int(x) for x in a.viewers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = voice(a.seconds, root / "voice.webm")
        parts = slices(data)
        print(
            f"voice: {len(data)} bytes WebM/Opus, {a.seconds:.0f} s, {len(parts)} slices of "
            f"{SLICE * 1000:.0f} ms ({len(data) / a.seconds / 1024:.1f} KiB/s)",
            flush=True,
        )
        proc, url = start_server(root / "server")
        relay = subprocess.Popen(
            [sys.executable, __file__, "--relay"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            assert relay.stdout is not None
            base = relay.stdout.readline().decode().strip()
            made = subprocess.run(
                [sys.executable, "-m", "benchcast", "channel", "create", "voice", "--data",
                 str(root / "server")],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            key = made.stdout.strip().splitlines()[-1]
            ws_url = url.replace("http://", "ws://")
            results = []
            for n in counts:
                pub, sid = await open_stream(url, key, f"voice to {n}")
                ours = await run_phase(
                    "benchcast", f"{ws_url}/ws/streams/{sid}/media/publish",
                    f"{ws_url}/ws/streams/{sid}/media", {"Authorization": f"Bearer {key}"},
                    parts, n, True,
                )  # fmt: skip
                await pub.close()
                theirs = await run_phase(
                    "baseline", f"{base}/pub", f"{base}/view", {}, parts, n, False
                )
                results.append((ours, theirs))
                if ours["delivered"] < 1.0:
                    tail = (root / "server.log").read_text(errors="replace")[-2000:]
                    print(f"not everything was delivered; the server's log ends:\n{tail}")
                for r in (ours, theirs):
                    print(
                        f"N={n:<4} {r['name']:<9} latency p50 {r['p50']:6.1f} ms  "
                        f"p99 {r['p99']:6.1f} ms  delivered {r['delivered']:6.1%}  "
                        f"{r['bps'] / 1024:5.2f} KiB/s per viewer "
                        f"(media {r['media_bps'] / 1024:.2f} KiB/s)",
                        flush=True,
                    )
            if a.browser:
                await glass_to_glass(url, root / "server", a.seconds)
            ours, theirs = results[-1]
            print(
                f"voice-only, N={ours['n']}: chunk-to-viewer p50 {ours['p50']:.1f} ms, "
                f"p99 {ours['p99']:.1f} ms, {ours['bps']:.0f} bytes/s per viewer; "
                f"p99 ratio vs bare relay {ours['p99'] / theirs['p99']:.2f}x",
                flush=True,
            )
        finally:
            relay.terminate()
            relay.wait(15)
            proc.terminate()
            proc.wait(15)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=20.0, help="length of the voice (s)")
    p.add_argument("--viewers", default="1,10,100", help="viewer counts, comma-separated")
    p.add_argument("--quick", action="store_true", help="8 s to 1 and 10 viewers")
    p.add_argument("--browser", action="store_true", help="also measure glass-to-glass in Chromium")
    p.add_argument("--relay", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.relay:
        asyncio.run(relay_baseline())
        return
    if a.quick:
        a.seconds, a.viewers = 8.0, "1,10"
    asyncio.run(main_async(a))


if __name__ == "__main__":
    assert websockets.version.version >= "13"
    main()
