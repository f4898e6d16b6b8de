"""`benchcast live` and `benchcast demo`, run as a newcomer runs them."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import httpx

from benchcast.store.database import Store
from tests.broadcast.test_terminal import Terminal
from tests.conftest import BENCHCAST
from tests.helpers import archive, terminal_text, wait_for


def test_live_starts_a_local_server_streams_the_shell_and_archives_it(
    tmp_path: Path, env_clean: dict[str, str]
) -> None:
    env = dict(env_clean, SHELL="/bin/bash", PS1="$ ", BENCHCAST_CONFIG=str(tmp_path / "none"))
    term = Terminal(
        [*BENCHCAST, "live", "--title", "live test", "--data", str(tmp_path), "--port", "0"],
        env,
        cols=90,
        rows=25,
    )
    term.read_until(b"exit the shell to end the stream")
    shown = len(term.screen)
    wait_for(lambda: term.poll() > shown)  # the shell has drawn its prompt
    term.type("echo live-check-$BENCHCAST_STREAMING\r")
    term.read_until(b"live-check-1\r\n")
    term.type("exit\r")
    assert term.wait() == 0
    url = re.search(rb"you are live: (http://127\.0\.0\.1:\d+/s/(\w+))", term.screen)
    assert url is not None
    store = Store(f"sqlite:///{tmp_path / 'benchcast.db'}")
    stream = store.stream(url.group(2).decode())
    assert stream is not None and stream.title == "live test" and not stream.live
    text = "".join(e.data.get("text", "") for e in store.iter_events(stream.id))
    assert "live-check-1" in text
    store.close()
    assert (tmp_path / "live.key").stat().st_mode & 0o777 == 0o600


def test_demo_serves_a_real_session_that_trains_and_prints_its_loss(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*BENCHCAST, "demo", "--port", "0", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        home = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", home)
        live = wait_for(lambda: httpx.get(home + "api/streams?live=1").json()["streams"])
        sid = live[0]["id"]
        assert sid in httpx.get(home).text  # the home page lists it under "live now"
        text = wait_for(
            lambda: (t := terminal_text(archive(home.rstrip("/"), sid))) and "epoch 12" in t and t,
            timeout=60,
        )
        assert "training on 400 points" in text
        assert re.search(r"epoch  1  loss 0\.\d{4}", text)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
