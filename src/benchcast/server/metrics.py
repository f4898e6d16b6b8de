"""Prometheus metrics of one server process, served at ``/metrics`` (and ``/-/metrics``).

Counters are plain integers on the server's objects, read when Prometheus scrapes, so the hot
paths (ingest, fan-out) pay an integer add and nothing else; only the fan-out lag is a
histogram, observed once per frame per stream, not per viewer. Each server has a registry of
its own, so several in one Python process (tests, ``benchcast live``) never collide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from benchcast.server import rescan

if TYPE_CHECKING:
    from benchcast.server.state import ServerState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _StateCollector(Collector):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        s, hub = self.state, self.state.hub

        def gauge(name: str, doc: str, value: float) -> Metric:
            return GaugeMetricFamily(f"benchcast_{name}", doc, value=value)

        def counter(name: str, doc: str, value: float) -> Metric:
            return CounterMetricFamily(f"benchcast_{name}", doc, value=value)

        yield gauge(
            "viewers",
            "viewer connections on this process",
            sum(len(c.viewers) for c in hub.channels.values()),
        )
        yield gauge("publishers", "publisher connections on this process", len(s.publishers))
        yield gauge(
            "live_channels", "streams with a live channel on this process", len(hub.channels)
        )
        yield gauge(
            "bus_connected",
            "1 while the bus to other processes is up",
            1.0 if s.bus.connected else 0.0,
        )
        yield gauge("draining", "1 while this process is shutting down", 1.0 if s.draining else 0.0)
        yield counter("events_in", "events appended to the store by this process", s.events_in)
        yield counter("events_rejected", "published events refused by validation", s.rejected)
        yield counter(
            "events_out", "events written to viewers (one per event per viewer)", hub.events_out
        )
        yield counter("frames_out", "live frames offered to viewers", hub.frames_out)
        yield counter(
            "queue_overflows",
            "viewers cut back to catch up from the store because their queue was full",
            hub.overflows,
        )
        yield counter(
            "gap_fills",
            "times a stream's live feed was filled from the store (lost or "
            "body-less bus announcements)",
            hub.fills,
        )
        yield counter("bus_dropped", "bus announcements this process could not send", s.bus.dropped)
        yield counter(
            "server_redactions",
            "secrets the server's own re-scan masked in what publishers sent (defence in depth)",
            rescan.hidden,
        )
        yield counter(
            "redactions",
            "secrets redacted, as reported by publishers' redacted events",
            s.redactions,
        )
        yield counter("keyframes_written", "keyframes written by this process", s.keyframer.written)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.fanout_lag = Histogram(
            "benchcast_fanout_lag_seconds",
            "from an event's commit (on any process) to its frame being queued for this "
            "process's viewers; includes the up-to-50 ms frame batching",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )

        self.append_seconds = Histogram(
            "benchcast_append_seconds",
            "how long a publisher's batch took to append to the store (commit included), "
            "waiting for the store's one writer included",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )

    def watch(self, state: ServerState) -> None:
        self.registry.register(_StateCollector(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)
