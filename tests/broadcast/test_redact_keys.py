"""Keys are text viewers see too (metric names, config keys): the redactor scans them."""

from __future__ import annotations

from benchcast.broadcast.intake import Raw
from benchcast.broadcast.redact import Redactor
from benchcast.secrets.scanner import Scanner
from tests.secrets.fake_secrets import FAKE


def test_a_secret_in_a_metric_name_or_config_key_is_hidden() -> None:
    token = FAKE["github-token"]
    redactor = Redactor(Scanner())
    data = {"run": "a", "rows": [{"step": 0, "values": {f"loss/{token}": 1.0, "acc": 0.5}}]}
    out = redactor.scan([Raw(0.0, "metric", "run:a", data)])
    values = out[0].data["rows"][0]["values"]
    assert "acc" in values and not any(token in k for k in values)
    assert out[1].kind == "redacted" and out[1].data["count"] == 1


def test_a_key_found_clean_is_scanned_again_once_a_secret_is_learned() -> None:
    value = "Zq3vT9pX2LmN8rW4kY7bH1cJ5dF0gS6a"
    redactor = Redactor(Scanner())
    first = redactor.scan([Raw(0.0, "run.start", "run:a", {"run": "a", "config": {value: 1}})])
    assert value in first[0].data["config"]  # nothing says it is a secret yet
    redactor.scan([Raw(0.0, "note", "notes", {"text": f"API_KEY={value}"})])  # now it is
    again = redactor.scan([Raw(0.0, "run.start", "run:a", {"run": "a", "config": {value: 1}})])
    assert value not in again[0].data["config"]


def test_a_masked_key_is_masked_alike_on_every_row_and_not_counted_again() -> None:
    token = FAKE["github-token"]
    redactor = Redactor(Scanner())
    outs = [
        redactor.scan([Raw(float(step), "metric", f"run:{token}", {"run": "a", "rows": [
            {"step": step, "values": {f"loss/{token}": 1.0 / (step + 1)}}]})])
        for step in range(4)
    ]  # fmt: skip
    metrics = [e for out in outs for e in out if e.kind == "metric"]
    assert len({e.source for e in metrics}) == 1 and token not in metrics[0].source
    names = {name for e in metrics for name in e.data["rows"][0]["values"]}
    assert len(names) == 1 and token not in names.pop()
    assert any(e.kind == "redacted" for e in outs[0])
    assert not any(e.kind == "redacted" for out in outs[2:] for e in out)  # not on every row
