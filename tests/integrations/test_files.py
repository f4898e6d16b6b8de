"""Tailing JSON Lines and CSV metric files as lines are appended."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchcast.broadcast.producer import Producer
from benchcast.broadcast.standalone import OwnStreamSink
from benchcast.integrations.files import MetricFileTailer
from tests.sdk.streaming import of_kind, rows, spooled


@pytest.fixture
def producer(tmp_path: Path) -> Iterator[Producer]:
    sink = OwnStreamSink(data_dir=tmp_path / "spool", server=None, key=None, title="files")
    p = Producer(sink)
    yield p
    p.close(1.0)


def poll(tailer: MetricFileTailer) -> None:
    for kind, source, data in tailer.poll():
        tailer.producer.event(kind, source, data)
    tailer.producer.flush()


def test_jsonl_lines_stream_as_they_are_written_and_bad_lines_are_reported(
    tmp_path: Path, producer: Producer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "metrics.jsonl"
    with path.open("w") as f:
        f.write(json.dumps({"step": 0, "loss": 1.0, "val": {"acc": 0.5}, "note": "x"}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"step": 2, "loss": 0.5}) + "\n")
        f.write('{"step": 3, "loss"')  # a line still being written
    tailer = MetricFileTailer([path], producer)
    poll(tailer)
    with path.open("a") as f:
        f.write(": 0.25}\n" + json.dumps({"loss": 0.1}) + "\n")
    poll(tailer)
    events = spooled(tmp_path / "spool")
    got = [(r["step"], r["values"]) for r in rows(events, "metrics")]
    assert got == [
        (0, {"loss": 1.0, "val.acc": 0.5}),
        (2, {"loss": 0.5}),
        (3, {"loss": 0.25}),
        (4, {"loss": 0.1}),  # no step of its own: the line's number
    ]
    (dropped,) = of_kind(events, "sdk.dropped")
    assert "line 2 is not a JSON object" in dropped["reason"]
    assert "line 2" in capsys.readouterr().err


def test_csv_rows_stream_and_a_rewritten_file_is_not_sent_twice(
    tmp_path: Path, producer: Producer
) -> None:
    path = tmp_path / "log.csv"
    path.write_text("epoch,step,train_loss\n0,0,1.0\n0,1,0.8\n")
    tailer = MetricFileTailer([path], producer)
    poll(tailer)
    # As Lightning's CSVLogger does when a new metric appears: the whole file, new header.
    path.write_text("epoch,step,train_loss,val_loss\n0,0,1.0,\n0,1,0.8,\n1,2,0.6,0.7\n")
    poll(tailer)
    got = [(r["step"], r["values"]) for r in rows(spooled(tmp_path / "spool"), "log")]
    assert got == [
        (0, {"epoch": 0.0, "train_loss": 1.0}),
        (1, {"epoch": 0.0, "train_loss": 0.8}),
        (2, {"epoch": 1.0, "train_loss": 0.6, "val_loss": 0.7}),
    ]
