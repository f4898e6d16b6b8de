"""GET /api/streams/{id}/events with kind= and source= filters: what the runs panel uses to
read one run's metric history without paging through the terminal's output."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ServerProcess
from tests.helpers import publish, publisher


def _events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(kind: str, source: str, data: dict[str, Any]) -> None:
        out.append({"pseq": len(out) + 1, "t": len(out) * 0.1, "kind": kind, "source": source,
                    "data": data})  # fmt: skip

    add("run.start", "run:Ab", {"run": "Ab", "name": "upper"})
    add("run.start", "run:ab", {"run": "ab", "name": "lower"})
    for step in range(6):
        add("term.output", "term:1", {"text": f"step {step}\n"})
        for run in ("Ab", "ab"):
            row = {"step": step, "values": {"loss": 1.0 / (step + 1)}}
            add("metric", f"run:{run}", {"run": run, "rows": [row], "pending": None})
    add("run.end", "run:ab", {"run": "ab", "status": "finished"})
    add("sys", "sys", {"cpu": 12.5, "gpu": "absent"})
    return out


def _get(server: ServerProcess, sid: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}/api/streams/{sid}/events", params=params)


def test_kind_and_source_filters_with_exact_entries_and_prefixes(server: ServerProcess) -> None:
    ws, welcome = publisher(server.url, server.create_channel("ada"))
    sid = welcome["stream"]
    publish(ws, _events())
    ws.close()

    def got(**params: Any) -> list[tuple[str, str]]:
        res = _get(server, sid, limit=5000, **params)
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["head"] >= 22
        return [(e["kind"], e["source"]) for e in body["events"]]

    # One run's metrics: exact source, and exact case (run ids are case-sensitive).
    assert got(kind="metric", source="run:ab") == [("metric", "run:ab")] * 6
    assert got(kind="metric", source="run:Ab") == [("metric", "run:Ab")] * 6
    # A prefix ends in "." or ":".
    assert got(kind="run.") == [("run.start", "run:Ab"), ("run.start", "run:ab"),
                                ("run.end", "run:ab")]  # fmt: skip
    assert len(got(source="run:")) == 15
    assert got(kind="run.,sys", source="sys,run:ab") == [
        ("run.start", "run:ab"), ("run.end", "run:ab"), ("sys", "sys")]  # fmt: skip
    assert got(kind="run") == []  # no dot: exact, and no kind is called "run"
    # limit counts matching events; since/until page through them as before.
    first = _get(server, sid, kind="metric", source="run:ab", limit=2).json()["events"]
    assert [e["data"]["rows"][0]["step"] for e in first] == [0, 1]
    rest = _get(server, sid, kind="metric", source="run:ab", since=first[-1]["seq"],
                until=first[-1]["seq"] + 6).json()["events"]  # fmt: skip
    assert [e["data"]["rows"][0]["step"] for e in rest] == [2, 3]

    too_many = ",".join(f"k{i}" for i in range(17))
    res = _get(server, sid, kind=too_many)
    assert res.status_code == 400 and "at most 16" in res.json()["error"]
    assert _get(server, sid, source="x" * 65).status_code == 400
