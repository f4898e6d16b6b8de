"""Tailing TensorBoard logdirs written by the real ``torch.utils.tensorboard.SummaryWriter``:
scalars, images and histograms as the files grow; corrupt and truncated files reported."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchcast.broadcast.producer import Producer
from benchcast.broadcast.standalone import OwnStreamSink
from benchcast.integrations.tensorboard import TensorBoardTailer
from benchcast.integrations.tfrecord import RecordReader, record
from tests.conftest import ServerProcess
from tests.sdk.streaming import of_kind, rows, spooled, stream_command, stream_env

SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter

WRITE = """
import sys
import numpy as np
from torch.utils.tensorboard import SummaryWriter

for name, scale in (("lr-0.1", 1.0), ("lr-0.01", 2.0)):
    w = SummaryWriter(f"{sys.argv[1]}/{name}")
    for step in range(50):
        w.add_scalar("train/loss", scale / (step + 1), step)
        w.add_scalar("train/acc", step / 50, step)
    w.add_image("samples", np.random.default_rng(0).random((3, 8, 8)), 49)
    w.add_histogram("weights", np.random.default_rng(1).normal(size=500), 49)
    w.close()
"""


def test_a_summary_writer_logdir_streams_its_scalars_images_and_histograms(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    (tmp_path / "write.py").write_text(WRITE)
    logdir = tmp_path / "runs"
    script = (
        f"{sys.executable} write.py {logdir} && "
        f"{sys.executable} -m benchcast.integrations.tensorboard {logdir} --once"
    )
    res, events = stream_command(server, tmp_path, ["bash", "-c", script], stream_env(env_clean))
    assert res.returncode == 0, res.stderr
    runs = {e["run"]: e for e in of_kind(events, "run.start")}
    assert set(runs) == {"lr-0.1", "lr-0.01"} and runs["lr-0.1"]["project"] == "runs"
    for run, scale in (("lr-0.1", 1.0), ("lr-0.01", 2.0)):
        got = rows(events, run)
        assert [r["step"] for r in got] == list(range(50))
        assert got[3]["values"] == {
            "train/loss": pytest.approx(scale / 4),
            "train/acc": pytest.approx(3 / 50),
        }
    figures = of_kind(events, "figure")
    assert {(f["run"], f["key"], f["step"], f["mime"]) for f in figures} == {
        ("lr-0.1", "samples", 49, "image/png"),
        ("lr-0.01", "samples", 49, "image/png"),
    }
    assert all((f["width"], f["height"]) == (8, 8) for f in figures)
    hist = of_kind(events, "histogram")
    assert len(hist) == 2 and all(sum(h["counts"]) == 500 for h in hist)
    assert not of_kind(events, "sdk.dropped")


@pytest.fixture
def tailer(tmp_path: Path) -> Any:
    sink = OwnStreamSink(data_dir=tmp_path / "spool", server=None, key=None, title="tb")
    producer = Producer(sink)
    yield lambda logdir: TensorBoardTailer(logdir, producer)
    producer.close(1.0)


def _poll(t: TensorBoardTailer, final: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    out = t.poll(final=final)
    for kind, source, data in out:
        t.producer.event(kind, source, data)
    t.producer.flush()
    return out


def test_scalars_are_read_as_the_event_file_grows(tmp_path: Path, tailer: Any) -> None:
    logdir = tmp_path / "runs"
    writer = SummaryWriter(str(logdir))
    t = tailer(logdir)
    for step in range(10):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.flush()
    _poll(t)
    for step in range(10, 20):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.flush()
    _poll(t)
    writer.close()
    got = rows(spooled(tmp_path / "spool"))
    assert [r["step"] for r in got] == list(range(20))
    assert got[19]["values"]["loss"] == pytest.approx(1 / 20)


def test_corrupt_and_truncated_event_files_are_reported_not_crashed_on(
    tmp_path: Path, tailer: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logdir = tmp_path / "runs"
    for name in ("good", "corrupt", "truncated"):
        writer = SummaryWriter(str(logdir / name))
        for step in range(5):
            writer.add_scalar("loss", float(step), step)
        writer.close()
    corrupt = next((logdir / "corrupt").glob("*tfevents*"))
    data = bytearray(corrupt.read_bytes())
    reader = RecordReader(bytes(data))
    sizes = [len(r) + 16 for r in reader.records()]
    step1 = sum(sizes[:2])  # the record of step 1, after the file version's and step 0's
    data[step1 + 14] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    truncated = next((logdir / "truncated").glob("*tfevents*"))
    truncated.write_bytes(truncated.read_bytes()[:-7])
    (logdir / "garbage").mkdir()
    (logdir / "garbage" / "events.out.tfevents.0.x").write_bytes(record(b"\xff\xff\xff"))
    reported = _poll(tailer(logdir), final=True)
    reasons = " | ".join(d["reason"] for _, _, d in reported)
    assert "failed its checksum (corrupt)" in reasons
    assert "truncated" in reasons
    assert "not a valid event" in reasons
    events = spooled(tmp_path / "spool")
    by_run = {r: [row["step"] for row in rows(events, r)] for r in ("good", "corrupt", "truncated")}
    assert by_run == {"good": [0, 1, 2, 3, 4], "corrupt": [0, 2, 3, 4], "truncated": [0, 1, 2, 3]}
    dropped = {d["run"] for d in of_kind(events, "sdk.dropped")}
    assert dropped == {"corrupt", "truncated", "garbage"}
    assert "truncated" in capsys.readouterr().err


def test_a_histogram_with_many_buckets_is_merged_to_the_limit() -> None:
    from benchcast.integrations.tensorboard import fit_bins

    edges = [float(i) for i in range(2001)]
    counts = [0.0] * 10 + [1.0] * 1980 + [0.0] * 10
    e, c = fit_bins(edges, counts)
    assert len(c) <= 512 and len(e) == len(c) + 1 and sum(c) == 1980
    assert e[0] == 10.0 and e[-1] == 1990.0
    assert np.all(np.diff(e) > 0)
