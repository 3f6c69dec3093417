"""Per-operation latency of the requests a run sent: count and percentiles."""

from __future__ import annotations

import threading
from collections import defaultdict

from conformance.stats import percentile


class Latencies:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds: dict[str, list[float]] = defaultdict(list)

    def record(self, method: str, seconds: float) -> None:
        with self._lock:
            self._seconds[method].append(seconds)

    def samples(self) -> dict[str, list[float]]:
        """Every recorded latency, by method (to merge runs of several processes)."""
        with self._lock:
            return {method: list(values) for method, values in self._seconds.items()}

    def add(self, samples: dict[str, list[float]]) -> None:
        with self._lock:
            for method, values in samples.items():
                self._seconds[method].extend(values)

    def table(self) -> dict[str, dict[str, float]]:
        """Per method: count, and p50/p95/p99 in milliseconds (nearest rank)."""
        with self._lock:
            samples = {method: list(values) for method, values in self._seconds.items()}
        return {
            method: {
                "count": len(values),
                **{f"p{q}": round(percentile(values, q) * 1000, 3) for q in (50, 95, 99)},
            }
            for method, values in sorted(samples.items())
        }
