"""Helpers for tests of several server processes on one PostgreSQL store and one Redis bus."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.helpers import ws_base, ws_connect


def cluster(tmp_path: Path, db: str, bus: str, n: int, **kw: Any) -> list[ServerProcess]:
    """``n`` started server processes sharing the store ``db`` and the bus ``bus``."""
    servers = [ServerProcess(tmp_path / f"p{i}", db=db, bus=bus, **kw) for i in range(n)]
    for s in servers:
        s.start()
    return servers


def out(pseq: int, text: str, t: float = 0.0) -> dict[str, Any]:
    return {"pseq": pseq, "t": t, "kind": "term.output", "source": "term:1", "data": {"text": text}}


class Watcher(threading.Thread):
    """A viewer that keeps watching a stream as a browser does: when its connection closes it
    reconnects with ``?since=<last seq>``, to the next server in ``servers`` (a load balancer
    sending it elsewhere). It records every seq it is given, in order, duplicates and all."""

    def __init__(self, servers: list[str], stream_id: str) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.stream_id = stream_id
        self.target = 0
        self.seqs: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.closes: list[int | None] = []
        self.messages: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._halt = threading.Event()

    @property
    def last(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def run(self) -> None:
        while not self._halt.is_set():
            url = f"{ws_base(self.servers[self.target])}/ws/streams/{self.stream_id}"
            if self.seqs:
                url += f"?since={self.last}"
            try:
                ws = ws_connect(url, max_size=2**24, open_timeout=5)
            except OSError:
                self._fail_over(None)
                continue
            try:
                while not self._halt.is_set():
                    try:
                        raw = ws.recv(timeout=0.2)
                    except TimeoutError:
                        continue
                    msg = json.loads(raw)
                    self.messages.append(msg)
                    if msg["type"] == "hello":
                        self.connected.set()
                    elif msg["type"] == "events":
                        self.events.extend(msg["events"])
                        self.seqs.extend(e["seq"] for e in msg["events"])
            except ConnectionClosed as closed:
                self._fail_over(closed.rcvd.code if closed.rcvd else None)
            finally:
                with contextlib.suppress(Exception):
                    ws.close()

    def _fail_over(self, code: int | None) -> None:
        self.closes.append(code)
        self.connected.clear()
        self.target = min(self.target + 1, len(self.servers) - 1)
        time.sleep(0.1)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def wait_all(watchers: list[Watcher], count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while any(len(w.seqs) < count for w in watchers):
        if time.monotonic() > deadline:
            got = [len(w.seqs) for w in watchers]
            raise AssertionError(f"viewers have {got} events; expected {count} each")
        time.sleep(0.05)
