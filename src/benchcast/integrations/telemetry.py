"""Machine telemetry: CPU, memory and — where NVML is present — each GPU's utilisation,
memory, temperature and power, read every few seconds as ``sys`` events.

CPU and memory come from psutil when it is installed, else from ``/proc`` (Linux); GPUs from
NVML through ``pynvml`` (the ``nvidia-ml-py`` package). No NVML library, no GPU, or no
pynvml: the reading says ``"gpu": "absent"`` and the panel shows that.

    python -m benchcast.integrations.telemetry [--every 5]

samples into the stream this shell is streaming (or a stream of its own, like the SDK). A run
of the SDK samples on its own, in its background thread (``init(telemetry=False)`` turns it
off).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from typing import Any

SYS_INTERVAL = 5.0


def _proc_cpu_times() -> tuple[float, float] | None:
    try:
        with open("/proc/stat") as f:
            parts = [float(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0.0)
    return sum(parts), idle


def _proc_memory() -> tuple[int, int] | None:
    info: dict[str, int] = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                name, _, rest = line.partition(":")
                info[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    if "MemTotal" not in info:
        return None
    available = info.get("MemAvailable", info.get("MemFree", 0))
    return info["MemTotal"] - available, info["MemTotal"]


class Sampler:
    """Reads the machine. Not thread-safe: one thread samples."""

    def __init__(self, *, use_psutil: bool = True) -> None:
        self._psutil: Any = None
        if use_psutil:
            try:
                import psutil

                self._psutil = psutil
                psutil.cpu_percent(None)  # the first call only starts the measurement
            except ImportError:
                pass
        self._made = time.monotonic()
        self._last_cpu = _proc_cpu_times()
        self._nvml: Any = None
        self._gpu_state = "absent"
        self._gpu_note = ""
        self._init_nvml()

    def _init_nvml(self) -> None:
        try:
            import pynvml
        except ImportError:
            self._gpu_note = "no NVML bindings (pip install nvidia-ml-py)"
            return
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
        except Exception as err:  # NVMLError_LibraryNotFound, DriverNotLoaded, …
            self._gpu_note = f"NVML not available: {err}"[:200]
            return
        if count == 0:
            self._gpu_note = "no GPU"
            return
        self._nvml = pynvml
        self._gpu_state = "ok"

    def _cpu(self) -> float | None:
        if self._psutil is not None:
            # The first reading measures from when the sampler was made; give it a moment.
            wait = 0.2 if time.monotonic() - self._made < 0.2 else None
            return float(self._psutil.cpu_percent(wait))
        now = _proc_cpu_times()
        last, self._last_cpu = self._last_cpu, now
        if now is None or last is None or now[0] <= last[0]:
            return None
        busy = 1.0 - (now[1] - last[1]) / (now[0] - last[0])
        return round(max(0.0, min(100.0, busy * 100)), 1)

    def _memory(self) -> tuple[int, int] | None:
        if self._psutil is not None:
            vm = self._psutil.virtual_memory()
            return int(vm.total - vm.available), int(vm.total)
        return _proc_memory()

    def _gpus(self) -> list[dict[str, Any]]:
        nv = self._nvml
        out = []
        for i in range(nv.nvmlDeviceGetCount()):
            h = nv.nvmlDeviceGetHandleByIndex(i)
            name = nv.nvmlDeviceGetName(h)
            gpu: dict[str, Any] = {
                "index": i,
                "name": (name.decode() if isinstance(name, bytes) else str(name))[:100],
            }
            # A reading a GPU does not support is left out, not an error.
            with contextlib.suppress(nv.NVMLError):
                gpu["util"] = float(nv.nvmlDeviceGetUtilizationRates(h).gpu)
            with contextlib.suppress(nv.NVMLError):
                mem = nv.nvmlDeviceGetMemoryInfo(h)
                gpu["mem_used"], gpu["mem_total"] = int(mem.used), int(mem.total)
            with contextlib.suppress(nv.NVMLError):
                gpu["temp"] = float(nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU))
            with contextlib.suppress(nv.NVMLError):
                gpu["power"] = nv.nvmlDeviceGetPowerUsage(h) / 1000.0
            out.append(gpu)
        return out

    def read(self) -> dict[str, Any]:
        """One ``sys`` payload."""
        reading: dict[str, Any] = {"cpu": self._cpu(), "cores": os.cpu_count()}
        mem = self._memory()
        if mem is not None:
            reading["mem_used"], reading["mem_total"] = mem
        reading["gpu"], reading["note"] = self._gpu_state, self._gpu_note
        if self._nvml is not None:
            try:
                reading["gpus"] = self._gpus()[:64]
            except Exception as err:
                reading["gpu"], reading["note"] = "error", f"reading the GPUs failed: {err}"[:200]
        return reading


def main(argv: list[str] | None = None) -> int:
    from benchcast.broadcast.producer import Producer
    from benchcast.sdk import make_sink

    p = argparse.ArgumentParser(
        prog="python -m benchcast.integrations.telemetry",
        description="Stream this machine's CPU, memory and GPU readings as sys events.",
    )
    p.add_argument("--every", type=float, default=SYS_INTERVAL, help="seconds between readings")
    args = p.parse_args(argv)
    sampler = Sampler()
    producer = Producer(make_sink("telemetry", []))
    producer.every(max(0.5, args.every), lambda: [("sys", "sys", sampler.read())])
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    producer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
