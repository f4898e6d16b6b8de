"""The nginx config in docs/operations.md, run for real in front of two processes: websockets
upgrade through it, and a viewer whose process shuts down carries on through it."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.helpers import publish, publisher, wait_for
from tests.server.cluster import Watcher, cluster, out, wait_all
from tests.services import free_port, shared_redis_url

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented_config(ports: list[int], listen: int) -> str:
    """The documented config, on this test's ports, without TLS (no certificate here)."""
    text = DOCS.read_text()
    block = re.search(r"```nginx\n(.*?)```", text, re.S)
    assert block, "docs/operations.md has no nginx example"
    conf = block.group(1)
    upstreams = "".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=5s;\n" for p in ports)
    conf = re.sub(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", upstreams, conf)
    conf = conf.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
    conf = re.sub(r"\n    ssl_certificate[^\n]*", "", conf)
    return conf


@pytest.fixture
def nginx_bin() -> str:
    path = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if path is None:
        pytest.skip("nginx is not installed")
    return path


@pytest.fixture
def balanced(
    tmp_path: Path, pg_database: str, nginx_bin: str
) -> Iterator[tuple[str, list[ServerProcess]]]:
    servers = cluster(tmp_path, pg_database, shared_redis_url(), 2)
    listen = free_port()
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "nginx.conf").write_text(
        "daemon off;\nerror_log stderr warn;\npid nginx.pid;\nevents {}\n"
        f"http {{\naccess_log off;\n{documented_config([s.port for s in servers], listen)}\n}}\n"
    )
    proc = subprocess.Popen(
        [nginx_bin, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{listen}"
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(url + "/api/streams", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"nginx did not start: {err}")
        time.sleep(0.05)
    yield url, servers
    proc.terminate()
    proc.wait(10)
    if proc.stderr:
        proc.stderr.close()
    for s in servers:
        s.stop()


def test_the_documented_nginx_config_balances_websockets_and_survives_a_shutdown(
    balanced: tuple[str, list[ServerProcess]],
) -> None:
    url, (a, b) = balanced
    key = a.create_channel("ada")
    ws, welcome = publisher(url, key)
    sid = welcome["stream"]
    # Several viewers through nginx: least_conn spreads them over both processes.
    watchers = [Watcher([url], sid) for _ in range(4)]
    for w in watchers:
        w.start()
    try:
        for w in watchers:
            assert w.connected.wait(10)
        # A viewer is counted once its delivery starts, a moment after its hello.
        counts = wait_for(
            lambda: (
                (c := [httpx.get(s.url + "/-/health").json()["viewers"] for s in (a, b)])
                and sum(c) == 4
                and c
            )
        )
        assert min(counts) >= 1
        publish(ws, [out(i, f"{i} ") for i in range(1, 21)])
        wait_all(watchers, 20)
        # Whichever process the publisher is on shuts down; everyone carries on via nginx.
        for s in (a, b):
            if httpx.get(s.url + "/-/health").json()["publishers"]:
                s.stop(signal.SIGTERM)
        ws, welcome = publisher(url, key, stream=sid)
        assert welcome["acked"] == 20
        publish(ws, [out(i, f"{i} ") for i in range(21, 41)])
        wait_all(watchers, 40)
        for w in watchers:
            assert w.seqs == list(range(1, 41))
    finally:
        for w in watchers:
            w.stop()
