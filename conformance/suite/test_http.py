"""Valid requests of every kind get a timely, non-5xx answer, each its own."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import strategies as st

from conformance.engine.failures import NotApplicable
from conformance.engine.harness import Harness
from conformance.engine.strategies import encoded_values
from conformance.wire.client import OWN_TOKEN
from conformance.wire.exchange import Exchange

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
]
FIXED_BODY = b'{"fixed":true}'


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

    # Before the drawn requests: every method on every route, then every set with each
    # Content-Type that has a parameter.
    fixed = [(method, prefix, CONTENT_TYPES[0]) for method in methods for prefix in routes]
    fixed += [
        (method, routes[0], content_type)
        for method in kv.methods_that_set()
        for content_type in CONTENT_TYPES[1:]
    ]
    kv.for_all(
        request,
        explicit=[
            {"method": m, "prefix": p, "content_type": c, "body": FIXED_BODY} for m, p, c in fixed
        ],
        method=st.sampled_from(methods),
        prefix=st.sampled_from(routes),
        content_type=st.sampled_from(CONTENT_TYPES),
        body=encoded_values(),
    )


@pytest.mark.requirement("HTTP-02")
def test_each_request_on_a_connection_gets_its_own_answer(kv: Harness) -> None:
    """Each route, on one connection: a request the server refuses, with a body (answering
    before reading it leaves the body to be read as the next request), or a DELETE (a
    second answer to it waits for the next request), then a read of a stored value, which
    must be answered as itself."""
    kept = b'"kept"'
    # Refused with a body the size limit lets through: no token, an unknown token,
    # invalid JSON. (An oversize body may be answered and the connection closed unread.)
    refused = [
        (None, b'"intruder"'),
        (f"Bearer {kv.target.marker}-not-a-token", b'"intruder"'),
        (OWN_TOKEN, b'{"intruder":'),
    ]
    shared: list[bool] = []  # per read: whether it went over the connection before it

    def route(prefix: str) -> None:
        key, other = kv.key(), kv.key()
        kv.stored(kv.a, key, kept, prefix=prefix, before="HTTP-02")
        kv.stored(kv.a, other, b'"to delete"', prefix=prefix, before="HTTP-02")
        provocations: list[Callable[[], Exchange]] = [
            *(
                partial(kv.a.send, method, key, prefix=prefix, body=body, authorization=auth)
                for auth, body in refused
                for method in kv.methods_that_set()
            ),
            partial(kv.a.delete, other, prefix=prefix),
        ]
        for provoke in provocations:
            before = provoke()
            kv.check(
                not before.stray,
                "HTTP-02",
                "one answer to the request",
                f"{before.summary()}, then more, unasked: {before.stray}",
            )
            read = kv.a.get(key, prefix=prefix)
            if read.misread is not None:
                kv.fail(
                    "HTTP-02",
                    f"the stored value, {kept.decode()}, as this read's own answer",
                    f"{read.misread.summary()} on the connection of the request before, but "
                    f"{read.summary()} when sent again on a fresh connection",
                )
            shared.append(read.previous is not None)

    kv.each_route(route)
    if not any(shared):
        raise NotApplicable(
            "the server closed the connection after every answer, so no request followed "
            "another on a kept-alive connection"
        )
