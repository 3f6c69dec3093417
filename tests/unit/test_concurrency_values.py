"""The values of the concurrency checks: each write unique, and any mix of two detected."""

from __future__ import annotations

from conformance.engine.concurrency import UNWRITTEN, body_for, read_value
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange

SECRET = "echoed-secret-9d2a"


def answer(status: int, body: bytes) -> Exchange:
    """An answer as the client records it (with its redacted preview of the body)."""
    client = KVClient("http://127.0.0.1:1", SECRET)
    request = client.redactor.request("GET", "http://127.0.0.1:1/kv/k", {}, None)
    client.close()
    return client.redactor.answer(request, status, {"Content-Type": "application/json"}, body, 0)


def test_whole_values_are_read_as_written() -> None:
    assert read_value(answer(200, body_for("A#1.3"))) == (True, "A#1.3")
    assert read_value(answer(200, body_for("A#1.3", 600)), 600) == (True, "A#1.3")
    # A value of the right shape, but with filler no write used.
    assert read_value(answer(200, b'{"w": "A#1.3", "pad": "x"}'), 1) == (
        True,
        UNWRITTEN + repr('{"w": "A#1.3", "pad": "x"}'),
    )


def test_an_echoed_token_never_reaches_the_value_shown() -> None:
    understood, value = read_value(answer(200, f'{{"echo": "{SECRET}"}}'.encode()))
    assert understood
    assert value == UNWRITTEN + repr('{"echo": "$KV_TOKEN"}')
    _, not_json = read_value(answer(200, f"<p>{SECRET}</p>".encode()))
    assert not_json is not None
    assert SECRET not in not_json


def test_absent_and_failed_reads() -> None:
    assert read_value(answer(404, b"not found")) == (True, None)
    assert read_value(answer(200, b"{}")) == (True, None)
    assert read_value(answer(500, b"oops")) == (False, None)


def test_half_of_one_value_joined_to_another_is_unwritten() -> None:
    new, old = body_for("A#1.10", 600), body_for("A#2.7", 600)
    half = len(new) // 2
    understood, value = read_value(answer(200, new[:half] + old[half:]), 600)
    assert understood
    assert value is not None
    assert value.startswith(UNWRITTEN)
