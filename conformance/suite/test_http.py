"""Valid requests of every kind get a timely, non-5xx answer."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from conformance.engine.harness import Harness
from conformance.engine.strategies import encoded_values

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
]


@pytest.mark.requirement("HTTP-01")
def test_valid_requests_get_no_server_error(kv: Harness) -> None:
    routes = kv.routes()
    methods = ["GET", "DELETE", *kv.methods_that_set()]

    def request(method: str, prefix: str, content_type: str, body: bytes) -> None:
        key = kv.key()
        if method in ("GET", "DELETE"):
            # Of a present key: an absent one exercises a server's easiest path only.
            kv.stored(kv.a, key, b'"present"', prefix=prefix, before="HTTP-01")
        sent = body if method in ("POST", "PUT") else None
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        exchange = kv.a.send(method, key, prefix=prefix, body=sent, headers=headers)
        kv.check(
            exchange.status is not None and exchange.status < 500,
            "HTTP-01",
            "an answer below 500 to a valid request",
        )

    kv.for_all(
        request,
        method=st.sampled_from(methods),
        prefix=st.sampled_from(routes),
        content_type=st.sampled_from(CONTENT_TYPES),
        body=encoded_values(),
    )
