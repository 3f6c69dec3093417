"""Values: what goes in comes out, equal as JSON, and the newest write wins."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from conformance.engine.harness import Harness
from conformance.engine.jsonvalue import same_json
from conformance.engine.strategies import TRICKY_VALUES, encoded_values


def _expect_value(
    kv: Harness, requirement_id: str, key: str, body: bytes, prefix: str = ""
) -> None:
    got = kv.a.get(key, prefix=prefix)
    preview = body[:120].decode("utf-8", "replace")
    expected = f"200 with a value JSON-equal to {preview!r}" + ("…" if len(body) > 120 else "")
    kv.check(got.status == 200, requirement_id, expected)
    kv.check(same_json(got.response_body, body), requirement_id, expected)


@pytest.mark.requirement("VAL-01")
def test_values_round_trip(kv: Harness) -> None:
    def round_trip(body: bytes) -> None:
        key = kv.key()
        accepted = kv.a.set(key, body)
        kv.check(
            accepted.status in (200, 201),
            "VAL-01",
            "200 or 201: the value is valid JSON of at most 8192 bytes",
        )
        _expect_value(kv, "VAL-01", key, body)
        kv.a.delete(key)

    kv.for_all(
        round_trip, explicit=[{"body": body} for body in TRICKY_VALUES], body=encoded_values()
    )


# VAL-02's fixed overwrites, on every route before the drawn ones: with POST and PUT the
# second is set by PUT and the third by POST.
OVERWRITES = [b'{"v":1}', b'{"v":2}', b'"three"']


@pytest.mark.requirement("VAL-02")
def test_reads_see_the_latest_write(kv: Harness) -> None:
    methods = kv.methods_that_set()

    def overwrite(bodies: list[bytes], prefix: str) -> None:
        key = kv.key()
        for number, body in enumerate(bodies):
            accepted = kv.a.set(key, body, prefix=prefix, method=methods[number % len(methods)])
            kv.check(accepted.status in (200, 201), "VAL-02", "200 or 201")
            _expect_value(kv, "VAL-02", key, body, prefix)
            _expect_value(kv, "VAL-02", key, body, prefix)
        kv.a.delete(key, prefix=prefix)

    kv.for_all(
        overwrite,
        explicit=[{"bodies": OVERWRITES, "prefix": prefix} for prefix in kv.routes()],
        bodies=st.lists(encoded_values(), min_size=2, max_size=5, unique=True),
        prefix=st.sampled_from(kv.routes()),
    )


@pytest.mark.requirement("VAL-03")
def test_values_are_served_as_json(kv: Harness) -> None:
    key = kv.key()
    kv.stored(kv.a, key, b'{"a":1}', before="VAL-03")
    got = kv.a.get(key)
    media_type = (got.content_type or "").split(";")[0].strip().lower()
    kv.check(media_type == "application/json", "VAL-03", "Content-Type: application/json")


@pytest.mark.requirement("ABS-01")
def test_absent_key_reads_absent(kv: Harness) -> None:
    for prefix in kv.routes():
        got = kv.a.get(kv.key(), prefix=prefix)
        kv.check(kv.is_absent(got), "ABS-01", "404, or 200 with the body {}")
