"""Invalid bodies are refused and change nothing."""

from __future__ import annotations

import pytest

from conformance.engine.harness import Harness

INVALID_BODIES = [
    b"",
    b"{",
    b"{} {}",
    b"not json",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"[NaN]",
    b"[1,]",
    b"{'a': 1}",
    b'"unterminated',
    b"\xff\xfe",
]


@pytest.mark.requirement("BODY-01")
def test_invalid_bodies_are_refused(kv: Harness) -> None:
    key = kv.key()
    kv.stored(kv.a, key, b'"kept"', before="BODY-01")

    def refused(attempt: tuple[str, bytes]) -> None:
        method, body = attempt
        exchange = kv.a.set(key, body, method=method)
        kv.check(
            exchange.status is not None and 400 <= exchange.status < 500,
            "BODY-01",
            f"a 4xx status: {body!r} is not exactly one JSON value",
        )

    # Each is refused on its own: all at once, then the value is read back.
    kv.in_parallel([(m, b) for m in kv.methods_that_set() for b in INVALID_BODIES], refused)
    kv.check(
        kv.holds(kv.a.get(key), b'"kept"'),
        "BODY-01",
        'the value stored before, "kept": a refused set must change nothing',
    )
