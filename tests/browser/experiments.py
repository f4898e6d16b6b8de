"""Streams of experiments for browser tests and screenshots: a real training script and a real
IPython shell, each inside ``benchcast stream``, against the browser tests' real server."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .conftest import BENCHCAST, BrowserServer, Stream, _clean_env

TRAIN = Path(__file__).with_name("train_script.py")


def stream_on(
    srv: BrowserServer, channel: tuple[str, str], argv: list[str], *, title: str, cwd: Path
) -> Stream:
    """``benchcast stream -- ARGV`` on an existing channel; returns once the server has the new
    stream (the channel's newest)."""
    name, key = channel
    before = {
        s["id"] for s in srv.http.get("/api/streams", params={"channel": name}).json()["streams"]
    }
    env = _clean_env()
    env["MPLBACKEND"] = "Agg"
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    proc = subprocess.Popen(
        [*BENCHCAST, "stream", "--server", srv.url, "--key", key,
         "--data", str(cwd / f"pub-{len(before)}"), "--title", title, "--", *argv],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, cwd=cwd,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        streams = srv.http.get("/api/streams", params={"channel": name}).json()["streams"]
        new = [s for s in streams if s["id"] not in before and s["events"] > 0]
        if new:
            return Stream(new[0]["id"], name, proc)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the publisher's stream never appeared")


def training(
    srv: BrowserServer, channel: tuple[str, str], control: Path, *, quick: int = 0
) -> Stream:
    """The training script streamed on `channel`: live (two runs, steered by files in
    `control`: `next`, then `stop`) or, with `quick`, one run of that many steps."""
    control.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(TRAIN), str(control)] + (["--quick", str(quick)] if quick else [])
    title = "Regression sweep (yesterday)" if quick else "Regression sweep"
    return stream_on(srv, channel, argv, title=title, cwd=control)


NOTEBOOK_CELLS = [
    "%load_ext benchcast",
    "%matplotlib inline",
    "import numpy as np, matplotlib.pyplot as plt",
    # A block of several lines: the blank line after it ends the cell.
    "with plt.style.context('default'):\n"
    "    x = np.linspace(0, 6, 200)\n"
    "    print('sampling', len(x), 'points')\n"
    "    plt.figure(figsize=(5, 3)); plt.plot(x, np.sin(x) * np.exp(-x / 4))\n"
    "    plt.title('damped sine')\n",
    "from IPython.display import HTML, display",
    "display(HTML('<table><tr><th>lr</th><th>loss</th></tr><tr><td>0.01</td><td>0.31</td></tr></table>'"
    ' \'<img src=x onerror="document.title=1"><a href="javascript:alert(1)">link</a>\'))',
    "sum(range(10))",
    "1 / 0",
]


def ipython(srv: BrowserServer, control: Path, cells: list[str], *, hold: float = 0) -> Stream:
    """A real IPython shell fed `cells` on stdin, inside ``benchcast stream``, streaming its
    cells as notebook "analysis.ipynb"; with `hold`, a last cell sleeps that long so the stream
    stays live."""
    control.mkdir(parents=True, exist_ok=True)
    ip = str(Path(sys.executable).parent / "ipython")
    lines = [*cells] + ([f"import time; time.sleep({hold})"] if hold else [])
    feed = " ".join(shlex.quote(c) for c in lines)
    script = (
        "export BENCHCAST_NOTEBOOK=analysis.ipynb MPLBACKEND=Agg; "
        f"printf '%s\\n' {feed} | "
        f"{ip} --simple-prompt --colors=NoColor --no-banner --no-confirm-exit"
    )
    return stream_on(srv, srv.channel(), ["bash", "-c", script], title="Analysis", cwd=control)


def runs_api(page: Any, expr: str, arg: Any = None) -> Any:
    """Evaluate `expr` with `r` bound to the page's runs panel."""
    return page.evaluate(f"(arg) => {{ const r = window.benchcast.runs; return {expr}; }}", arg)
