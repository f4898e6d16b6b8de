"""Machine telemetry: real readings of this machine, valid as ``sys`` events; with no NVML
(no GPU here) the reading says so."""

from __future__ import annotations

import importlib.util

from benchcast.events import validate_payload
from benchcast.integrations.telemetry import Sampler, _proc_memory


def test_a_reading_of_this_machine_is_a_valid_sys_event() -> None:
    sampler = Sampler()
    reading = validate_payload("sys", sampler.read())
    assert reading["cpu"] is not None and 0 <= reading["cpu"] <= 100
    assert 0 < reading["mem_used"] < reading["mem_total"]
    assert reading["cores"] >= 1
    if importlib.util.find_spec("pynvml") is None:
        assert reading["gpu"] == "absent" and reading["gpus"] == []
        assert "nvidia-ml-py" in reading["note"]
    else:
        assert reading["gpu"] in ("ok", "absent", "error")


def test_without_psutil_cpu_and_memory_come_from_proc() -> None:
    sampler = Sampler(use_psutil=False)
    sampler.read()
    second = validate_payload("sys", sampler.read())
    used, total = _proc_memory() or (0, 0)
    assert 0 < used < total and second["mem_total"] == total
    assert second["cpu"] is None or 0 <= second["cpu"] <= 100
