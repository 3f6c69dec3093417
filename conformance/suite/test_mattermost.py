"""The mattermost profile: byte-level parity with the upstream com.mattermost.apps plugin."""

from __future__ import annotations

import pytest

from conformance.engine.harness import Harness
from conformance.engine.strategies import MAX_VALUE_BYTES, sized_value
from conformance.wire.exchange import Exchange

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


def _upstream_error(
    kv: Harness, requirement_id: str, exchange: Exchange, status: int, text: str
) -> None:
    """Upstream writes errors with Go's http.Error: plain text (a final newline is tolerated)."""
    kv.check(
        exchange.status == status
        and exchange.content_type == TEXT
        and exchange.response_body.rstrip(b"\n") == text.encode(),
        requirement_id,
        f"{status} {TEXT} {text!r}",
    )


@pytest.mark.requirement("MM-01")
def test_values_come_back_byte_for_byte(kv: Harness) -> None:
    for body in (
        b'{ "n" : 12345678901234567890123 ,\n\t"f": 1.50e0, "a":[ ], "s":"\\u0041" }  ',
        '"h\u00e9llo \U0001f600 e\u0301"'.encode(),
        b"  null",
    ):
        key = kv.key()
        kv.a.set(key, body)
        got = kv.a.get(key)
        # Bytes are this requirement's; a value not stored at all is VAL-01's.
        kv.check(
            kv.holds(got, body),
            "VAL-01",
            f"200 with a value JSON-equal to {body!r} (a precondition of MM-01)",
        )
        kv.check(
            (got.status, got.content_type, got.response_body) == (200, JSON, body),
            "MM-01",
            f"200 {JSON} with exactly the bytes set: {body!r}",
        )


@pytest.mark.requirement("MM-02")
def test_absent_key_is_200_empty_object(kv: Harness) -> None:
    got = kv.a.get(kv.key())
    kv.check(
        (got.status, got.content_type, got.response_body) == (200, JSON, b"{}"),
        "MM-02",
        f"200 {JSON} {{}}",
    )


@pytest.mark.requirement("MM-03")
def test_every_set_says_changed_true(kv: Harness) -> None:
    key = kv.key()

    def says_changed(method: str, body: bytes, what: str) -> None:
        answer = kv.a.set(key, body, method=method)
        kv.check(
            (answer.status, answer.content_type, answer.response_body)
            == (200, JSON, b'{"changed":true}\n'),
            "MM-03",
            f'200 {JSON} {{"changed":true}} and a newline to a {method} of {what}',
        )

    says_changed("POST", b"1", "an absent key")
    # "The same value again" needs the value stored.
    kv.reads_back(kv.a, key, b"1", before="MM-03")
    says_changed("PUT", b"1", "the same value again")
    says_changed("POST", b"1", "the same value again")
    says_changed("PUT", b"true", "true after 1")
    says_changed("POST", b"2", "a different value")


@pytest.mark.requirement("MM-04")
def test_delete_is_200_empty(kv: Harness) -> None:
    key = kv.key()
    kv.stored(kv.a, key, b"1", before="MM-04")
    for state in ("present", "absent"):
        answer = kv.a.delete(key)
        kv.check(
            (answer.status, answer.response_body) == (200, b""),
            "MM-04",
            f"200 with an empty body for a {state} key",
        )


@pytest.mark.requirement("MM-05")
def test_errors_are_upstream_plain_text(kv: Harness) -> None:
    key = kv.key()
    unauthorized = "user ID is required: unauthorized"
    _upstream_error(kv, "MM-05", kv.a.send("GET", key, authorization=None), 401, unauthorized)
    unknown = f"Bearer {kv.target.marker}-not-a-token"
    _upstream_error(kv, "MM-05", kv.a.send("GET", key, authorization=unknown), 401, unauthorized)
    invalid = "payload is not valid json: invalid input"
    _upstream_error(kv, "MM-05", kv.a.set(key, b"{} {}"), 400, invalid)


@pytest.mark.requirement("MM-06")
def test_size_limit_is_500_before_authentication(kv: Harness) -> None:
    body = sized_value(MAX_VALUE_BYTES + 1)
    for authorization in (None, f"Bearer {kv.target.marker}-not-a-token"):
        answer = kv.a.send("POST", kv.key(), body=body, authorization=authorization)
        _upstream_error(kv, "MM-06", answer, 500, "size limit of 8Kb exceeded")
    _upstream_error(kv, "MM-06", kv.a.set(kv.key(), body), 500, "size limit of 8Kb exceeded")


@pytest.mark.requirement("MM-07")
def test_prefixes_as_upstream(kv: Harness) -> None:
    key = kv.key()
    kv.stored(kv.a, key, b'"plain"', before="MM-07")
    got = kv.a.get(key, prefix=" ")
    kv.check(kv.holds(got, b'"plain"'), "MM-07", 'prefix " " reads the plain route: "plain"')
    kv.stored(kv.a, key, b'"a"', prefix="a", before="MM-07")
    got = kv.a.get(key, prefix="a ")
    kv.check(kv.holds(got, b'"a"'), "MM-07", 'prefix "a " reads prefix "a": "a"')
    for prefix in ("abc", "\u20ac"):
        text = f'prefix "{prefix}" is longer than the limit of 2 ASCII characters'
        _upstream_error(kv, "MM-07", kv.a.set(key, b"1", prefix=prefix), 500, text)


@pytest.mark.requirement("MM-08")
def test_routing_as_upstream(kv: Harness) -> None:
    key = kv.key()
    for prefix in ("", "p"):
        for method in ("HEAD", "PATCH", "OPTIONS"):
            answer = kv.a.send(method, key, prefix=prefix)
            kv.check(
                (answer.status, answer.response_body) == (405, b""),
                "MM-08",
                f"405 with an empty body to {method}",
            )
    root = kv.a.client.base_url + kv.a.client.kv_path
    marker = kv.target.marker
    for url in (root, root + "/", f"{root}/{marker}/", f"{root}/{marker}/{marker}/{marker}"):
        answer = kv.a.send("GET", key, url=url)
        kv.check(answer.status == 404, "MM-08", f"404 for {url.removeprefix(kv.a.client.base_url)}")
