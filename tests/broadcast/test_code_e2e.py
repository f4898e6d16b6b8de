"""The streamer's folder on a real stream: `benchcast stream --watch DIR` against a real server,
real files on disk and real git. What reaches the store is what viewers get."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchcast.events import Event
from benchcast.replay.fold import StreamFold
from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive, wait_for, ws_base, ws_connect

GIT = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org"]


def stream(
    tmp: Path, srv: ServerProcess, key: str, env: dict[str, str], folder: Path, script: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *BENCHCAST,
            "stream",
            "--server",
            srv.url,
            "--key",
            key,
            "--data",
            str(tmp / "publisher"),
            "--watch",
            str(folder),
            "--",
            "bash",
            "-c",
            script,
        ],
        cwd=folder,
        env={**env, "PS1": "$ "},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def the_stream(srv: ServerProcess) -> dict[str, Any]:
    def listed() -> Any:
        streams = httpx.get(srv.url + "/api/streams", timeout=5).json()["streams"]
        return streams[0] if streams else None

    found: dict[str, Any] = wait_for(listed, timeout=30, interval=0.01)
    return found


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_a_10000_file_repository_sends_no_ignored_file_and_never_delays_the_terminal(
    tmp_path: Path, server: ServerProcess, env_clean: dict[str, str]
) -> None:
    repo = tmp_path / "repo"
    for d in range(100):
        folder = repo / "src" / f"pkg{d:02d}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"mod{f:02d}.py").write_text(f"VALUE = {d * 100 + f}\n")
    for d in range(40):
        folder = repo / "node_modules" / f"dep{d}" / "lib"
        folder.mkdir(parents=True)
        for f in range(50):
            (folder / f"index{f}.js").write_text("module.exports = 'ignored';\n")
    (repo / ".gitignore").write_text("node_modules/\n")
    key = server.create_channel("ada")
    session = tmp_path / "session.sh"  # outside the folder, and out of the terminal's title
    session.write_text(
        "echo first-output; sleep 2; echo 'VALUE = -1' >> src/pkg07/mod07.py; "
        "echo x > node_modules/dep1/lib/new.js; sleep 3\n"
    )
    proc = stream(tmp_path, server, key, env_clean, repo, f"bash {session}")
    try:
        summary = the_stream(server)
        arrived: dict[str, float] = {}

        def watch() -> None:
            ws = ws_connect(f"{ws_base(server.url)}/ws/streams/{summary['id']}")
            with ws:
                while "output" not in arrived:
                    msg = json.loads(ws.recv(timeout=20))
                    if msg["type"] != "events":
                        continue
                    for ev in msg["events"]:
                        if ev["kind"] == "term.output" and "first-output" in ev["data"]["text"]:
                            arrived["output"] = time.time()

        viewer = threading.Thread(target=watch, daemon=True)
        viewer.start()
        _, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err.decode()
        viewer.join(10)
    finally:
        proc.kill()

    # The first terminal output reached a viewer within a second of the stream's start.
    assert arrived["output"] - summary["started_at"] < 1.0
    events = archive(server.url, summary["id"])
    kinds = [e["kind"] for e in events]
    assert kinds.index("term.output") < kinds.index("file.tree") or (
        events[kinds.index("term.output")]["t"] < 1.0
    )
    # Nothing under node_modules/ was sent: not a name, not a line.
    assert not [s for e in events for s in strings(e["data"]) if "node_modules" in s]
    fold = StreamFold().apply_all(Event(**e) for e in events)
    code = fold.snapshot()["code"]
    assert len(code["tree"]) == 10_001  # 10,000 modules and the .gitignore
    assert code["files"]["src/pkg07/mod07.py"]["text"] == "VALUE = 707\nVALUE = -1\n"
    assert code["focus"]["path"] == "src/pkg07/mod07.py"
    # Only the changed file's contents went out.
    assert [e["data"]["path"] for e in events if e["kind"] == "file.snapshot"] == [
        "src/pkg07/mod07.py"
    ]


def test_a_viewer_asks_for_a_file_and_the_streamers_machine_sends_it(
    tmp_path: Path, server: ServerProcess, env_clean: dict[str, str]
) -> None:
    folder = tmp_path / "proj"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "model.py").write_text("class Model:\n    pass\n")
    (folder / ".env").write_text("API_TOKEN=sk-live-0123456789abcdef0123\n")
    key = server.create_channel("ada")
    proc = stream(tmp_path, server, key, env_clean, folder, "sleep 6")
    try:
        sid = the_stream(server)["id"]
        wait_for(
            lambda: any(e["kind"] == "file.tree" for e in archive(server.url, sid)), timeout=20
        )
        want = f"{server.url}/api/streams/{sid}/want"
        for path in ("src/model.py", ".env", "../../etc/passwd", "/etc/passwd"):
            res = httpx.post(want, json={"path": path}, timeout=5)
            assert res.status_code == 202, res.text
        assert httpx.post(want, json={"nope": 1}, timeout=5).status_code == 400
        assert (
            httpx.post(f"{server.url}/api/streams/nope/want", json={"path": "a"}).status_code == 404
        )

        def snapshots() -> list[dict[str, Any]]:
            return [e for e in archive(server.url, sid) if e["kind"] == "file.snapshot"]

        got = wait_for(snapshots, timeout=10)
        assert [e["data"]["path"] for e in got] == ["src/model.py"]
        assert got[0]["data"]["text"] == "class Model:\n    pass\n"
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    time.sleep(0.5)
    assert [e["data"]["path"] for e in snapshots()] == ["src/model.py"]
    assert "sk-live" not in json.dumps(archive(server.url, sid))
    # Once the stream has ended, its files are what it sent.
    res = httpx.post(want, json={"path": "src/model.py"}, timeout=5)
    assert res.status_code == 409


EDITOR = """
import os, sys
from benchcast.broadcast.control import send
print(send(os.environ["BENCHCAST_CONTROL"], {"focus": sys.argv[1], "line": 7, "end_line": 9}))
"""


def test_an_editor_moves_the_focus_and_commits_become_timeline_events(
    tmp_path: Path, server: ServerProcess, env_clean: dict[str, str]
) -> None:
    folder = tmp_path / "proj"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "data.py").write_text("".join(f"row_{i} = {i}\n" for i in range(20)))
    (folder / "editor.py").write_text(EDITOR)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*GIT, "commit", "-qm", "Start"], cwd=folder, check=True)
    key = server.create_channel("ada")
    script = (
        f"sleep 1; {sys.executable} editor.py {folder / 'src' / 'data.py'}; sleep 1; "
        "echo 'row_20 = 20' >> src/data.py; sleep 1.5; "
        f"{' '.join(GIT)} commit -qam 'Add row 20' && sleep 3"
    )
    proc = stream(tmp_path, server, key, env_clean, folder, script)
    try:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    finally:
        proc.kill()
    sid = the_stream(server)["id"]
    events = archive(server.url, sid)
    focus = [e["data"] for e in events if e["kind"] == "file.focus"]
    assert focus[0] == {"path": "src/data.py", "line": 7, "end_line": 9}
    # The change's focus is on the line that differs from the last commit.
    assert focus[-1] == {"path": "src/data.py", "line": 21, "end_line": None}
    commits = [e["data"] for e in events if e["kind"] == "git.commit"]
    assert [(c["message"], c["files"], c["author"]) for c in commits] == [
        ("Add row 20", ["src/data.py"], "Ada")
    ]
    statuses = [e["data"] for e in events if e["kind"] == "git.status"]
    assert statuses[0]["branch"] == "main"
    assert any(s["summary"] == " M src/data.py" for s in statuses)
    assert statuses[-1]["summary"] == ""
