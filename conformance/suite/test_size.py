"""The 8192-byte limit: everything up to it is stored whole, nothing over it partially."""

from __future__ import annotations

import pytest

from conformance.engine.failures import NotApplicable
from conformance.engine.harness import Harness
from conformance.engine.jsonvalue import same_json
from conformance.engine.strategies import MAX_VALUE_BYTES, sized_array, sized_object, sized_value

AT_LIMIT = [
    sized_value(1 + 2),
    sized_value(4096),
    sized_value(MAX_VALUE_BYTES - 1),
    sized_value(MAX_VALUE_BYTES),
    sized_value(MAX_VALUE_BYTES, "\u00e9"),
    sized_value(MAX_VALUE_BYTES, "\u20ac"),
    sized_value(MAX_VALUE_BYTES, "\U0001f600"),
    sized_array(MAX_VALUE_BYTES),
    sized_object(MAX_VALUE_BYTES),
]
OVER_LIMIT = [
    sized_value(MAX_VALUE_BYTES + 1),
    sized_array(MAX_VALUE_BYTES + 2),
    sized_value(MAX_VALUE_BYTES * 2),
    sized_value(MAX_VALUE_BYTES * 8),
]


def _same(body: bytes, received: bytes) -> bool:
    return same_json(received, body)


@pytest.mark.requirement("SIZE-01")
def test_values_up_to_the_limit_are_stored_whole(kv: Harness) -> None:
    def stored_whole(body: bytes) -> None:
        key = kv.key()
        accepted = kv.a.set(key, body)
        kv.check(
            accepted.status in (200, 201), "SIZE-01", f"200 or 201 to a {len(body)}-byte value"
        )
        got = kv.a.get(key)
        kv.check(
            got.status == 200 and _same(body, got.response_body),
            "SIZE-01",
            f"the whole {len(body)}-byte value back",
        )
        kv.a.delete(key)

    kv.in_parallel(AT_LIMIT, stored_whole)


@pytest.mark.requirement("SIZE-02")
def test_oversize_values_are_never_stored_partially(kv: Harness) -> None:
    def never_partial(body: bytes) -> None:
        key = kv.key()
        answer = kv.a.send("POST", key, body=body, allow_no_answer=True)
        got = kv.a.get(key)
        if answer.status in (200, 201):
            kv.check(
                got.status == 200 and _same(body, got.response_body),
                "SIZE-02",
                f"the whole {len(body)}-byte value, since the set was accepted",
            )
        else:
            kv.check(
                answer.status is None or answer.status >= 400,
                "SIZE-02",
                f"200/201 (stored whole) or a 4xx/5xx rejection of a {len(body)}-byte value",
                answer.summary(),
            )
            kv.check(kv.is_absent(got), "SIZE-02", "nothing stored after the rejection")
        kv.a.delete(key)

    kv.in_parallel(OVER_LIMIT, never_partial)


@pytest.mark.requirement("SIZE-03")
def test_rejected_oversize_value_leaves_the_old_one(kv: Harness) -> None:
    key = kv.key()
    kv.stored(kv.a, key, b'"before"', before="SIZE-03")
    body = sized_value(MAX_VALUE_BYTES + 1)
    answer = kv.a.send("POST", key, body=body, allow_no_answer=True)
    if answer.status in (200, 201):
        raise NotApplicable(
            "the server stored the oversize value instead of rejecting it, as SIZE-02 allows "
            "(SIZE-02 judges what it stored)"
        )
    kv.check(
        kv.holds(kv.a.get(key), b'"before"'),
        "SIZE-03",
        'the value stored before, "before"',
    )
