"""From inside the streamed shell: notes, marks, activities and the `now` panel reach the
stream through the publisher (so they are scanned like everything else)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import BENCHCAST, ServerProcess
from tests.helpers import archive
from tests.secrets.fake_secrets import FAKE


def test_notes_marks_activity_and_now_go_into_the_stream(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    env = dict(env_clean, PATH=str(Path(sys.executable).parent) + ":" + env_clean["PATH"])
    token = FAKE["github-token"]
    script = (
        f"benchcast note 'checked the *dataloader*: shuffle is off ({token})' && "
        "benchcast mark 'found the bug' && benchcast activity debugging && "
        "benchcast now --goal 'fix the divergence' --hypothesis 'no shuffling' && "
        "benchcast activity napping; echo status=$?"
    )
    res = subprocess.run(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            key,
            "--data",
            str(tmp_path / "pub"),
            "--",
            "bash",
            "-c",
            script,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    sid = httpx.get(server.url + "/api/streams").json()["streams"][0]["id"]
    events = archive(server.url, sid)
    by_kind = {e["kind"]: e["data"] for e in events}
    assert by_kind["note"]["text"].startswith("checked the *dataloader*: shuffle is off (")
    assert token not in by_kind["note"]["text"]
    assert by_kind["marker"] == {"label": "found the bug"}
    assert by_kind["activity"] == {"mode": "debugging"}
    assert by_kind["now"]["goal"] == "fix the divergence"
    text = "".join(e["data"].get("text", "") for e in events if e["kind"] == "term.output")
    assert "status=2" in text  # an unknown activity is refused, with a reason
    assert "activity: mode" in res.stderr or "activity: mode" in text
