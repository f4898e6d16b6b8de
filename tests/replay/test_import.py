"""Importing asciicast recordings: the manifest's verdicts hold through `benchcast import`,
and an imported recording exported back is the same recording."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchcast.replay.asciicast import Recording, read_asciicast
from benchcast.replay.fold import StreamFold
from benchcast.store.database import Store
from tests.conftest import SHARED, run_cli
from tests.secrets.fake_secrets import FAKE

FIXTURES = SHARED / "fixtures" / "asciicast"
MANIFEST = list(
    csv.DictReader((FIXTURES / "MANIFEST.tsv").read_text().splitlines(), delimiter="\t")
)
LOCAL = [row for row in MANIFEST if row["local_name"]]
EXPECTED = "expected (per upstream tests)"
# "reject: …" rows are refused; every other verdict ("accept …", "parses …") is a recording.
ACCEPTED = [row["local_name"] for row in LOCAL if not row[EXPECTED].startswith("reject")]


def _output_timeline(rec: Recording) -> list[tuple[float, str]]:
    """Output as (time, text), frames at the same time merged (an import may split them);
    empty frames (an export of a recording without output has one) say nothing."""
    out: list[tuple[float, str]] = []
    for ev in rec.events:
        if ev.code != "o" or not ev.data:
            continue
        if out and abs(out[-1][0] - ev.time) < 1e-9:
            out[-1] = (out[-1][0], out[-1][1] + ev.data)
        else:
            out.append((ev.time, ev.data))
    return out


@pytest.mark.parametrize("row", LOCAL, ids=[r["local_name"] for r in LOCAL])
def test_import_accepts_or_refuses_each_fixture_as_the_manifest_says(
    row: dict[str, str], tmp_path: Path
) -> None:
    res = run_cli("import", str(FIXTURES / row["local_name"]), "--data", str(tmp_path))
    if not row[EXPECTED].startswith("reject"):
        assert res.returncode == 0, res.stderr
        assert "imported as stream" in res.stderr
    else:
        assert res.returncode == 2
        assert "not imported:" in res.stderr


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("name", ACCEPTED)
def test_an_imported_recording_exports_back_the_same(
    name: str, version: int, tmp_path: Path
) -> None:
    from benchcast.replay.asciicast import export_asciicast
    from benchcast.replay.importer import import_file

    original = read_asciicast((FIXTURES / name).read_text(encoding="utf-8"))
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    stream = import_file(store, FIXTURES / name)
    out = tmp_path / "back.cast"
    with out.open("w") as f:
        export_asciicast(store, stream.id, f, version=version)
    back = read_asciicast(out.read_text())
    assert back.header.version == version
    assert back.output() == original.output()
    a, b = _output_timeline(original), _output_timeline(back)
    assert [text for _, text in a] == [text for _, text in b]
    assert all(abs(x - y) <= 0.001 for (x, _), (y, _) in zip(a, b, strict=True))
    markers = [(round(e.time, 3), e.data) for e in original.events if e.code == "m"]
    assert [(round(e.time, 3), e.data) for e in back.events if e.code == "m"] == markers
    assert (back.header.cols, back.header.rows) == (original.header.cols, original.header.rows)
    # Seeking an import works like seeking a stream: keyframes exist and fold correctly.
    kf = store.keyframe(stream.id)
    assert kf is not None and kf.seq == stream.last_seq
    full = StreamFold().apply_all(store.iter_events(stream.id))
    assert StreamFold.restore(kf.state).terms["term:1"].text() == full.terms["term:1"].text()
    store.close()


def test_an_imported_recording_is_redacted_as_a_live_stream_is(tmp_path: Path) -> None:
    """A recording is raw output: its secrets, even split across frames, never reach the store."""
    import json

    token, other = FAKE["github-token"], FAKE["stripe-key"]
    cut = len(token) // 2
    header = {"version": 2, "width": 80, "height": 24, "title": f"rotating {other}"}
    frames = [
        [0.5, "o", "$ export GH="],
        [0.51, "o", token[:cut]],
        [0.52, "o", token[cut:] + "\r\n"],
        [1.0, "m", f"used {other}"],
        [1.5, "o", "$ exit\r\n"],
        [2.0, "o", "$ "],  # a prompt: no newline, then nothing for a while
        [30.0, "m", "back"],
        [31.0, "o", "ls\r\n"],
    ]
    cast = tmp_path / "leak.cast"
    cast.write_text("\n".join(json.dumps(x) for x in [header, *frames]) + "\n")
    res = run_cli("import", str(cast), "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("benchcast.db*"))
    assert token.encode() not in stored and other.encode() not in stored
    assert token[:cut].encode() not in stored  # the first half was held, not sent alone
    store = Store(f"sqlite:///{tmp_path / 'data' / 'benchcast.db'}")
    try:
        (stream,) = store.streams()
        events = list(store.iter_events(stream.id))
    finally:
        store.close()
    assert stream.title.startswith("rotating ••") and stream.title.endswith("[stripe-key]")
    text = StreamFold().apply_all(events).terms["term:1"].text()
    assert any(line.startswith("$ export GH=••") for line in text)
    assert "$ exit" in text
    assert sum(e.data["count"] for e in events if e.kind == "redacted") >= 3
    # Held output went out when it would have live, before what was recorded after it.
    prompt = next(e for e in events if e.kind == "term.output" and e.data["text"] == "$ ")
    back = next(e for e in events if e.kind == "marker" and e.data["label"] == "back")
    assert prompt.t == pytest.approx(2.1) and prompt.seq < back.seq
