"""``benchcast demo``: a server and a scripted, real terminal session streaming to it.

The session is real: a shell in a pty, commands typed into it at a human pace, a tiny
experiment (logistic regression in plain Python) that really trains and prints its loss. Only
the typing is scripted. Each round is a new stream, so a newcomer who opens the page late
still finds one live.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from benchcast.broadcast.session import Broadcast, say
from benchcast.store.database import Store

TRAIN_PY = '''\
"""Logistic regression on a toy problem, in plain Python: is a point above the line?"""
import math, random, sys, time

lr = float(sys.argv[sys.argv.index("--lr") + 1]) if "--lr" in sys.argv else 0.1
random.seed(0)
data = [(x, y, 1.0 if y > 0.5 * x + 0.1 else 0.0)
        for x, y in ((random.uniform(-1, 1), random.uniform(-1, 1)) for _ in range(400))]
w1 = w2 = b = 0.0
print(f"training on {len(data)} points, lr={lr}")
for epoch in range(1, 13):
    loss = 0.0
    for x, y, label in data:
        p = 1 / (1 + math.exp(-(w1 * x + w2 * y + b)))
        loss -= label * math.log(p + 1e-9) + (1 - label) * math.log(1 - p + 1e-9)
        g = p - label
        w1, w2, b = w1 - lr * g * x, w2 - lr * g * y, b - lr * g
    acc = sum((w1 * x + w2 * y + b > 0) == (label > 0.5) for x, y, label in data) / len(data)
    bar = "#" * int(acc * 30)
    print(f"epoch {epoch:2d}  loss {loss / len(data):.4f}  acc {acc:.3f}  {bar}")
    time.sleep(0.4)
print(f"done: w=({w1:.2f}, {w2:.2f}) b={b:.2f}")
'''

README = """# toy-logreg

Can a two-weight logistic regression find the line y = 0.5x + 0.1?
Hypothesis: yes, within 10 epochs at lr=0.1; faster with a larger lr.
"""

SCRIPT = [
    ("ls -la", 1.0),
    ("cat README.md", 1.5),
    ("head -12 train.py", 2.0),
    ("python3 train.py", 1.0),
    ("# loss is still falling at epoch 12. try a larger learning rate:", 0.8),
    ("python3 train.py --lr 0.5", 1.0),
    ("echo 'lr=0.5 converges in ~4 epochs; next: check it on held-out points'", 1.0),
    ("exit", 0.0),
]


def _type_script(fd: int, script: list[tuple[str, float]], stop: threading.Event) -> None:
    """Type each command a character at a time, wait for it to run, then the next."""
    time.sleep(1.2)
    for command, pause in script:
        for ch in command:
            if stop.is_set():
                return
            os.write(fd, ch.encode())
            time.sleep(random.uniform(0.03, 0.09))
        os.write(fd, b"\r")
        # Long enough for train.py's 12 epochs (~5 s) before the next command is typed.
        time.sleep(pause + (5.5 if command.startswith("python3") else 0.4))
    os.close(fd)


def demo_project(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(TRAIN_PY)
    (folder / "README.md").write_text(README)


def run_round(server: str, key: str, data_dir: Path, project: Path) -> str | None:
    """Stream one scripted session; return the stream's URL."""
    bc = Broadcast(
        server=server,
        key=key,
        data_dir=data_dir,
        title="Demo: does a tiny logistic regression find the line?",
        tags=["demo", "ml"],
    )
    bc.start()
    if bc.uplink.info.url:
        say(f"live now: {bc.uplink.info.url}")
    read_fd, write_fd = os.pipe()
    stop = threading.Event()
    typist = threading.Thread(target=_type_script, args=(write_fd, SCRIPT, stop), daemon=True)
    typist.start()
    shell = shutil.which("bash")
    argv = [shell, "--norc", "--noprofile", "-i"] if shell else ["/bin/sh", "-i"]
    env = dict(
        os.environ,
        PS1="\\[\\e[1;32m\\]ada@bench\\[\\e[0m\\]:\\[\\e[1;34m\\]\\W\\[\\e[0m\\]$ ",
        COLUMNS="100",
        LINES="30",
        HISTFILE="/dev/null",
    )
    with open(os.devnull, "wb") as sink:
        try:
            bc.run_terminal(argv, stdin=read_fd, stdout=sink.fileno(), env=env, cwd=str(project))
        finally:
            stop.set()
            os.close(read_fd)
    url = bc.uplink.info.url
    bc.close()
    return url


def run_demo(*, port: int, host: str, data: str | None, rounds: int) -> int:
    from benchcast.server.run import BackgroundServer

    data_dir = Path(data).expanduser() if data else Path(tempfile.mkdtemp(prefix="benchcast-"))
    db = f"sqlite:///{data_dir / 'benchcast.db'}"
    store = Store(db)
    try:
        _, key = store.create_channel("demo")
    except Exception:
        key = store.rotate_key("demo")
    store.close()
    try:
        server = BackgroundServer(db, host=host, port=port)
    except OSError as err:
        say(f"cannot listen on {host}:{port} ({err.strerror}); try --port 0 for a free port")
        return 1
    server.start()
    say(f"demo server running at {server.url}/ — open it in your browser (Ctrl-C to stop)")
    print(server.url + "/", flush=True)
    project = data_dir / "toy-logreg"
    demo_project(project)
    n = 0
    try:
        while rounds == 0 or n < rounds:
            n += 1
            url = run_round(server.url, key, data_dir, project)
            if url:
                say(f"demo session {n} ended: {url} (the next one starts in a moment)")
            time.sleep(2.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
