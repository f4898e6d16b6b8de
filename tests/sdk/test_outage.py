"""The server goes down in the middle of a run: the training loop does not wait for it, and
once it is back every point arrives, once, in order — inside `benchcast stream` (the
publisher's spool holds them) and standalone (the SDK's own spool does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive, wait_for
from tests.sdk.streaming import rows, stream_env

TRAIN = r"""
import os, sys, time
import benchcast as wandb

flags = sys.argv[1]
def flag(name, text=""):
    with open(os.path.join(flags, name), "w") as f:
        f.write(text)
def wait(name):
    while not os.path.exists(os.path.join(flags, name)):
        time.sleep(0.02)

run = wandb.init(project="outage", telemetry=False)
def steps(lo, hi):
    start = time.perf_counter()
    for i in range(lo, hi):
        wandb.log({"loss": 1 / (i + 1), "i": i, "a": 1.0, "b": 2.0, "c": 3.0})
    return time.perf_counter() - start
up = steps(0, 3000)
flag("phase1")
wait("down")
down = steps(3000, 8000)
flag("phase2", f"{up / 3000 * 1e6:.2f} {down / 5000 * 1e6:.2f}")
wait("up")
steps(8000, 10_000)
wandb.finish()
"""


def _stream_id(srv: ServerProcess) -> str | None:
    streams = httpx.get(srv.url + "/api/streams").json()["streams"]
    return str(streams[0]["id"]) if streams else None


@pytest.mark.parametrize("how", ["inside a stream", "standalone"])
def test_a_run_keeps_going_while_the_server_is_down_and_every_point_arrives_after(
    how: str, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    srv = ServerProcess(tmp_path / "server").start()
    key = srv.create_channel("ada")
    flags = tmp_path / "flags"
    flags.mkdir()
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    train = [sys.executable, str(script), str(flags)]
    if how == "standalone":
        env = stream_env(
            env_clean,
            BENCHCAST_SERVER=srv.url,
            BENCHCAST_KEY=key,
            BENCHCAST_DATA=str(tmp_path / "sdk"),
            BENCHCAST_DRAIN="60",
        )
        argv = train
    else:
        env = stream_env(env_clean)
        argv = [*BENCHCAST, "stream", "--server", srv.url, "--key", key, "--data",
                str(tmp_path / "pub"), "--drain", "60", "--", *train]  # fmt: skip
    err = (tmp_path / "stderr").open("w")
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        wait_for(lambda: (flags / "phase1").exists(), timeout=60)
        sid = wait_for(lambda: _stream_id(srv))
        wait_for(lambda: len(rows(archive(srv.url, sid))) == 3000)
        srv.stop()
        (flags / "down").touch()
        # The loop ran to its end while the server was still down: it never waited for it.
        wait_for(lambda: (flags / "phase2").exists(), timeout=30)
        assert srv.proc is None
        srv.start()
        (flags / "up").touch()
        assert proc.wait(timeout=90) == 0, (tmp_path / "stderr").read_text()
        got = rows(archive(srv.url, sid))
        assert [r["values"]["i"] for r in got] == list(range(10_000))
        assert [r["step"] for r in got] == list(range(10_000))
        per_call = (flags / "phase2").read_text()
        print(f"{how}: µs per log with the server up, down: {per_call}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.close()
        srv.stop()
