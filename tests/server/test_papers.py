"""Papers through the server's API (server/papers.py), against a real server: a PDF uploaded
from the studio is checked (not a PDF, encrypted, too big: refused, saying why; a scan or a
PDF with scripts: accepted and said so), page turns and highlights are stored after the
server's redaction rules, and only the channel's streamer may write."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import httpx

from benchcast.replay.annotations import read_annotations
from tests.conftest import ServerProcess
from tests.helpers import archive, publish, publisher
from tests.pdfs import encrypted_pdf, javascript_pdf, paper_pdf, scanned_pdf

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _upload(url: str, sid: str, key: str | None, data: bytes, name: str) -> httpx.Response:
    headers = {"Content-Type": "application/pdf"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.post(
        f"{url}/api/streams/{sid}/papers", params={"name": name}, content=data, headers=headers
    )


def test_uploads_are_checked_and_paper_events_are_redacted(server: ServerProcess) -> None:
    key = server.create_channel("reading")
    ws, welcome = publisher(server.url, key, title="Reading club")
    sid = welcome["stream"]
    publish(ws, [{"pseq": 1, "t": 0.0, "kind": "stream.start", "source": "stream",
                  "data": {"title": "Reading club"}}])  # fmt: skip

    res = _upload(server.url, sid, key, b"just notes\n", "notes.txt")
    assert res.status_code == 400 and "notes.txt is not a PDF" in res.json()["error"]
    res = _upload(server.url, sid, key, encrypted_pdf(), "review.pdf")
    assert res.status_code == 400 and "encrypted" in res.json()["error"]
    res = _upload(server.url, sid, None, paper_pdf(), "cheap.pdf")
    assert res.status_code == 401

    # 300 MB announced: refused from the header, before a byte of it is read.
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", f"/api/streams/{sid}/papers?name=big.pdf")
    conn.putheader("Authorization", f"Bearer {key}")
    conn.putheader("Content-Type", "application/pdf")
    conn.putheader("Content-Length", str(300 * 1024 * 1024))
    conn.endheaders()
    big = conn.getresponse()
    assert big.status == 413
    assert "300 MB; the limit is 32 MB" in json.loads(big.read())["error"]
    conn.close()

    scan = _upload(server.url, sid, key, scanned_pdf(), "scan.pdf")
    assert scan.status_code == 201, scan.text
    assert scan.json()["searchable"] is False and scan.json()["pages"] == 2
    scripted = _upload(server.url, sid, key, javascript_pdf(), "scripted.pdf")
    assert scripted.status_code == 201 and scripted.json()["scripts"] is True
    pdf = paper_pdf()
    paper = _upload(server.url, sid, key, pdf, "cheap.pdf").json()
    assert paper["title"] == "Attention Is Cheap" and paper["searchable"] is True
    assert httpx.get(f"{server.url}/blobs/{paper['paper']}").content == pdf

    def send(kind: str, data: dict[str, object]) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/streams/{sid}/paper",
            json={"kind": kind, "data": data},
            headers={"Authorization": f"Bearer {key}"},
        )

    assert (
        send("paper.view", {"paper": paper["paper"], "page": 2, "scroll": 0.5}).status_code == 201
    )
    hl = {"id": "h1", "paper": paper["paper"], "page": 2, "quote": "Residual streams",
          "prefix": "", "suffix": " carry", "start": 10, "end": 26,
          "note": f"the token {TOKEN} leaked here"}  # fmt: skip
    assert send("paper.highlight", hl).status_code == 201
    res = send("paper.highlight", {**hl, "paper": "0" * 64})
    assert res.status_code == 400 and "not open on this stream" in res.json()["error"]
    res = send("paper.highlight", {**hl, "end": 5})
    assert res.status_code == 400 and "end must be greater than start" in res.json()["error"]
    res = send("note", {"text": "hi"})
    assert res.status_code == 400 and "paper.highlight, paper.view" in res.json()["error"]

    stored = [e for e in archive(server.url, sid) if e["kind"].startswith("paper.")]
    assert [e["kind"] for e in stored] == ["paper.open"] * 3 + ["paper.view", "paper.highlight"]
    assert TOKEN not in stored[-1]["data"]["note"]
    state = httpx.get(f"{server.url}/api/streams/{sid}/papers").json()
    assert state["current"] == paper["paper"]
    assert state["papers"][paper["paper"]]["page"] == 2
    assert state["papers"][scan.json()["paper"]]["searchable"] is False

    (back,) = read_annotations(
        httpx.get(f"{server.url}/api/streams/{sid}/annotations.jsonld").json()
    )
    assert (back["page"], back["quote"], back["start"], back["end"]) == (
        2,
        "Residual streams",
        10,
        26,
    )
    notes = httpx.get(f"{server.url}/api/streams/{sid}/reading-notes.md")
    assert notes.headers["content-type"].startswith("text/markdown")
    assert "scanned, no text layer" in notes.text and "> Residual streams" in notes.text
    ws.close()
