"""Latency percentiles by nearest rank."""

from __future__ import annotations

from conformance.engine.latency import Latencies


def test_percentiles_by_nearest_rank() -> None:
    latencies = Latencies()
    for number in range(1, 101):
        latencies.record("GET", number / 1000)
    latencies.record("PUT", 0.004)
    assert latencies.table() == {
        "GET": {"count": 100, "p50": 50.0, "p95": 95.0, "p99": 99.0},
        "PUT": {"count": 1, "p50": 4.0, "p95": 4.0, "p99": 4.0},
    }
