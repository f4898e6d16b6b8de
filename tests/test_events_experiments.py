"""The experiment kinds of the contract: small typed payloads, refused with a reason."""

from __future__ import annotations

import pytest

from benchcast.events import EventError, blob_refs, parse_draft, validate_payload

H = "a" * 64


@pytest.mark.parametrize(("kind", "data"), [
    ("run.start", {"run": "abc", "name": "n", "config": {"lr": 0.1, "layers": [2, 3]}}),
    ("run.update", {"run": "abc", "summary": {"best": 1, "gone": None}}),
    ("run.end", {"run": "abc", "status": "failed", "exit_code": 1}),
    ("metric", {"run": "abc", "rows": [{"step": 0, "values": {"loss": 1, "acc": "nan"}}],
                "pending": {"step": 1, "values": {"loss": 0.5}}}),
    ("figure", {"run": "abc", "key": "samples", "blob": H, "mime": "image/png", "step": 3}),
    ("histogram", {"run": "abc", "key": "w", "bins": [0, 1, 2], "counts": [3, 4]}),
    ("table", {"run": "abc", "key": "t", "columns": ["a"], "rows": [["x"], [1]], "total": 2}),
    ("sys", {"cpu": 12.5, "mem_used": 1, "mem_total": 2, "gpu": "ok",
             "gpus": [{"index": 0, "util": 99.0, "temp": 71.0}]}),
    ("nb.cell", {"notebook": "n.ipynb", "cell": "c1", "source": "1+1", "outputs": [
        {"type": "stream", "name": "stdout", "text": "hi"},
        {"type": "image", "mime": "image/png", "blob": H},
        {"type": "html", "html": "<b>x</b>"},
        {"type": "error", "ename": "E", "evalue": "v"}]}),
    ("sdk.dropped", {"run": "abc", "count": 3, "reason": "queue full"}),
])  # fmt: skip
def test_experiment_events_are_accepted(kind: str, data: dict[str, object]) -> None:
    validate_payload(kind, data)


@pytest.mark.parametrize(("kind", "data", "message"), [
    ("metric", {"run": "abc", "rows": [{"step": 0, "values": {"x": True}}]}, "valid number"),
    ("metric", {"run": "abc", "rows": [{"step": -1, "values": {}}]}, "greater than or equal"),
    ("metric", {"run": "a b", "rows": []}, "run: String should match pattern"),
    ("metric", {"run": "abc", "rows": [{"step": 0, "values": {"": 1.0}}]}, "at least 1"),
    ("run.start", {"run": "abc", "config": {"x": float("inf")}}, "NaN and infinity"),
    ("figure", {"run": "a", "key": "k", "blob": "nothex", "mime": "image/png"}, "blob"),
    ("figure", {"run": "a", "key": "k", "blob": H, "mime": "text/html"}, "mime"),
    ("histogram", {"run": "a", "key": "k", "bins": [0, 1], "counts": [1, 2]}, "one count per"),
    ("table", {"run": "a", "key": "k", "columns": ["a", "b"], "rows": [[1]], "total": 1},
     "one cell per column"),
    ("sys", {"cpu": 250.0}, "less than or equal to 100"),
    ("nb.cell", {"notebook": "n", "cell": "c", "source": "", "outputs": [{"type": "video"}]},
     "outputs.0"),
])  # fmt: skip
def test_bad_experiment_events_are_refused_with_a_reason(
    kind: str, data: dict[str, object], message: str
) -> None:
    with pytest.raises(EventError) as err:
        validate_payload(kind, data)
    assert message in str(err.value)


def test_a_payload_with_nan_is_refused_not_crashed_on() -> None:
    with pytest.raises(EventError, match="NaN and infinity"):
        parse_draft({"t": 0, "kind": "run.update", "source": "run:a",
                     "data": {"run": "a", "summary": {"x": [float("nan")]}}})  # fmt: skip


def test_events_name_the_blobs_they_need() -> None:
    assert blob_refs("figure", {"blob": H}) == [H]
    cell = {"outputs": [{"type": "text", "text": "x"}, {"type": "image", "blob": H}]}
    assert blob_refs("nb.cell", cell) == [H]
    assert blob_refs("metric", {"rows": []}) == []
