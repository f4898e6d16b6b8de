"""Make docs/screenshot.png: a live stream page (1280x800) showing a real, coloured terminal.

Not a test: run it by hand after changing the design, and look at the result.

    .venv/bin/python -m tests.browser.make_screenshot [--home /tmp/home.png]

It starts the same real server the browser tests use, streams a short scripted session with
``benchcast stream`` inside a 100x30 pty, opens the stream page in Chromium while the
stream is live, and saves the picture.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from .conftest import BENCHCAST, CHROMIUM, CHROMIUM_ARGS, VIEWPORT, BrowserServer, _clean_env

ROOT = Path(__file__).resolve().parents[2]
COLS, ROWS = 100, 30

SESSION = r"""
prompt() { printf '\033[1;32mada@bench\033[0m:\033[1;34m~/tinylm\033[0m$ %s\n' "$1"; }
prompt 'ls --color=always -l --group-directories-first'
mkdir -p tinylm/{configs,data,runs} && cd tinylm
touch train.py model.py README.md && chmod +x train.py
ls --color=always -l --group-directories-first | tail -n +2
prompt 'python train.py --config configs/small.toml --lr 3e-4'
python3 - <<'PY'
import math, random, sys, time
random.seed(7)
B, G, Y, R, C, D, M, Z = (f"\033[{c}m" for c in ("1", "32", "33", "31", "36", "2", "35", "0"))
print(f"{D}[config]{Z} layers=6 d_model=384 heads=6 ctx=256 batch=64 {D}params={Z}{B}10.8M{Z}")
print(f"{D}[data]{Z}   tinystories: 2.1M train / 21.9k val sequences {G}✓ cached{Z}")
print(f"{Y}warning:{Z} torch.compile skipped (no triton); running eager")
print()
print(f"{B}{'step':>6}  {'train loss':>10}  {'val loss':>9}  {'lr':>8}  {'tok/s':>7}  progress{Z}")
best = 9.9
for i, step in enumerate(range(0, 2001, 200)):
    loss = 1.35 + 3.2 * math.exp(-step / 520) + random.uniform(-0.03, 0.03)
    val = loss + 0.04 + random.uniform(0, 0.03)
    lr = 3e-4 * min(1, (step + 1) / 400) * (0.5 + 0.5 * math.cos(math.pi * step / 2000))
    colour = G if val < best else R
    best = min(best, val)
    bar = f"{C}" + "█" * (i * 2) + f"{Z}{D}" + "░" * (20 - i * 2) + Z
    tps = 41200 + random.randint(-900, 900)
    print(f"{step:>6}  {loss:>10.4f}  {colour}{val:>9.4f}{Z}  {lr:>8.2e}  {C}{tps:>7,}{Z}  {bar}")
    sys.stdout.flush()
    time.sleep(0.05)
print()
print(f"{G}✓{Z} saved {B}runs/small-lr3e-4/ckpt_2000.pt{Z} {D}(41.3 MB){Z}")
print(f"{M}sample:{Z} Once upon a time, a little robot found a seed in the garden and")
PY
printf '\033[1;32mada@bench\033[0m:\033[1;34m~/tinylm\033[0m$ '
sleep 30
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--home", help="also save the home page here")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="benchcast-shot-"))
    srv = BrowserServer(root)
    name, key = srv.channel()
    # A script file rather than `bash -c …`, so the terminal's title reads "bash tinylm.sh".
    (root / "tinylm.sh").write_text(SESSION)
    # The publisher takes the terminal size from its own terminal: give it a pty of ours.
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    pub = subprocess.Popen(
        [
            *BENCHCAST,
            "stream",
            "--server",
            srv.url,
            "--key",
            key,
            "--data",
            str(root / "pub"),
            "--title",
            "Training a tiny language model from scratch",
            "--tag",
            "ml",
            "--tag",
            "language models",
            "--tag",
            "reimplementation",
            "--",
            "bash",
            "tinylm.sh",
        ],
        cwd=root,
        stdin=slave,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=_clean_env(),
    )
    os.close(slave)
    # What the publisher echoes to its own terminal must be read, or it would block.
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport=VIEWPORT)
            while not srv.http.get("/api/streams", params={"channel": name}).json()["streams"]:
                page.wait_for_timeout(50)
            sid = srv.http.get("/api/streams", params={"channel": name}).json()["streams"][0]["id"]
            # Two more viewers, so the count reads like a real stream's.
            extra = [browser.new_page() for _ in range(2)]
            for p in extra:
                p.goto(f"{srv.url}/s/{sid}")
            page.goto(f"{srv.url}/s/{sid}")
            page.wait_for_function(
                "() => window.benchcast && window.benchcast.screenText().includes('sample:')"
                " && window.benchcast.state().viewers >= 3",
                timeout=30_000,
            )
            page.wait_for_timeout(2500)  # let the clock show some time on air
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out)
            print(f"saved {args.out}", file=sys.stderr)
            if args.home:
                page.goto(srv.url + "/")
                page.screenshot(path=args.home)
                print(f"saved {args.home}", file=sys.stderr)
            browser.close()
    finally:
        pub.terminate()
        pub.wait(15)
        os.close(master)
        srv.stop()


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


if __name__ == "__main__":
    main()
