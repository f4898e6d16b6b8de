"""The IPython extension in a real IPython shell, inside `benchcast stream`: each cell
arrives with its source, output, execution count and duration, and a matplotlib figure with
its image stored as a blob on the server."""

from __future__ import annotations

import hashlib
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.sdk.streaming import fold, of_kind, stream_command, stream_env
from tests.secrets.fake_secrets import FAKE

pytest.importorskip("IPython")
pytest.importorskip("matplotlib")

CELLS = [
    "%load_ext benchcast",
    "%matplotlib inline",
    "import matplotlib.pyplot as plt",
    'print("plotting"); plt.plot([1, 2, 3], [3, 1, 2]); plt.title("loss"); None',
    "6 * 7",
    "from IPython.display import HTML, display",
    'display(HTML("<table><tr><td>1</td></tr></table><script>alert(1)</script>"))',
    'h = display("first", display_id=True); h.update("second")',
    f'print("token {FAKE["github-token"]}")',
    "1 / 0",
]


def test_cells_of_a_real_ipython_shell_arrive_with_their_outputs_and_figures(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    ipython = str(Path(sys.executable).parent / "ipython")
    feed = "printf '%s\\n' " + " ".join(shlex.quote(c) for c in CELLS)
    command = f"{feed} | {ipython} --simple-prompt --colors=NoColor --no-banner --no-confirm-exit"
    env = stream_env(env_clean, BENCHCAST_NOTEBOOK="analysis.ipynb", MPLBACKEND="Agg")
    res, events = stream_command(server, tmp_path, ["bash", "-c", command], env)
    assert res.returncode == 0, res.stderr
    cells = {}
    for data in of_kind(events, "nb.cell"):
        assert data["notebook"] == "analysis.ipynb"
        cells[data["source"]] = data  # the last event of a cell is the cell as it ended
    plot = cells[CELLS[3]]
    assert plot["status"] == "ok" and plot["duration"] > 0 and plot["execution_count"] == 4
    stdout, image = plot["outputs"]
    assert stdout == {"type": "stream", "name": "stdout", "text": "plotting\n"}
    assert image["type"] == "image" and image["mime"] == "image/png" and image["width"] > 100
    blob = httpx.get(f"{server.url}/blobs/{image['blob']}")
    assert blob.status_code == 200 and blob.content.startswith(b"\x89PNG")
    assert hashlib.sha256(blob.content).hexdigest() == image["blob"]
    assert cells["6 * 7"]["outputs"] == [{"type": "text", "text": "42", "display_id": None}]
    (html,) = cells[CELLS[6]]["outputs"]
    assert html["html"] == "<table><tr><td>1</td></tr></table>"
    (shown,) = cells[CELLS[7]]["outputs"]
    assert shown["text"] == "'second'" and shown["display_id"]
    # The source and the output of a cell are both redacted.
    (secret,) = [c for source, c in cells.items() if source.startswith('print("token ')]
    (printed,) = secret["outputs"]
    assert FAKE["github-token"] not in secret["source"] + printed["text"]
    assert "token ••" in printed["text"]
    failed = cells["1 / 0"]
    assert failed["status"] == "error"
    assert [o["type"] for o in failed["outputs"]] == ["error"]
    assert failed["outputs"][0]["ename"] == "ZeroDivisionError"
    running = [d for d in of_kind(events, "nb.cell") if d["status"] == "running"]
    assert {d["source"] for d in running} >= {CELLS[3], "1 / 0"}
    notebook = fold(events)["notebooks"]["analysis.ipynb"]
    assert notebook["cells"][notebook["order"][-1]]["source"] == "1 / 0"
    assert notebook["cells"]["In[4]"]["outputs"][1]["blob"] == image["blob"]
