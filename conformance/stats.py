"""The one percentile the project reports (the summary, the benchmark, the load tool).

A leaf module: the reference server uses it too, and it knows nothing of the suite.
"""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank: the smallest value that at least ``q`` per
    cent of the values do not exceed (ceil(q·n/100)-th of the sorted values)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    index = max(0, -int(-q * len(ordered) // 100) - 1)
    return ordered[min(index, len(ordered) - 1)]
