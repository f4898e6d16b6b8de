"""Running code the way a streamer does: inside `benchcast stream`, against a real server."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from benchcast.events import Event
from benchcast.replay.fold import StreamFold
from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive


def stream_env(env_clean: dict[str, str], **extra: str) -> dict[str, str]:
    """The test's environment for a streamed command: this venv first on PATH."""
    env = dict(env_clean, PATH=str(Path(sys.executable).parent) + ":" + env_clean["PATH"])
    env.update(extra)
    return env


def stream_command(
    server: ServerProcess,
    tmp: Path,
    argv: list[str],
    env: dict[str, str],
    *,
    timeout: float = 180,
    stdin: Any = subprocess.DEVNULL,
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """`benchcast stream -- ARGV` on a fresh channel; the run's result and its archive."""
    key = server.create_channel("ada")
    res = subprocess.run(
        [*BENCHCAST, "stream", "--server", server.url, "--key", key, "--data", str(tmp / "pub"),
         "--title", "experiments", "--", *argv],
        stdin=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp,
    )  # fmt: skip
    streams = httpx.get(server.url + "/api/streams").json()["streams"]
    assert streams, res.stderr
    return res, archive(server.url, streams[0]["id"])


def run_script(
    server: ServerProcess, tmp: Path, code: str, env: dict[str, str], timeout: float = 180
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    script = tmp / "script.py"
    script.write_text(code)
    return stream_command(server, tmp, [sys.executable, str(script)], env, timeout=timeout)


def of_kind(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in events if e["kind"] == kind]


def rows(events: list[dict[str, Any]], run: str | None = None) -> list[dict[str, Any]]:
    """Every committed metric row, in log order."""
    return [
        row
        for data in of_kind(events, "metric")
        if run is None or data["run"] == run
        for row in data["rows"]
    ]


def fold(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The keyframe state after every event (what a late joiner starts from)."""
    f = StreamFold()
    for e in events:
        f.apply(Event.model_validate(e))
    return f.snapshot()


def spooled(data_dir: Path) -> list[dict[str, Any]]:
    """The events a process streaming on its own (no server) kept in its spool."""
    out = []
    for path in sorted((data_dir / "sdk").glob("*.db")):
        db = sqlite3.connect(path)
        for pseq, t, kind, source, data in db.execute(
            "SELECT pseq, t, kind, source, data FROM outbox ORDER BY pseq"
        ):
            out.append({"seq": pseq, "t": t, "kind": kind, "source": source,
                        "data": json.loads(data)})  # fmt: skip
        db.close()
    return out
