"""Setting a value: the answer, and the changed flag the drivers read."""

from __future__ import annotations

import json

import pytest

from conformance.engine.harness import Harness
from conformance.engine.jsonvalue import same_json
from conformance.engine.strategies import TYPE_CHANGES
from conformance.wire.exchange import Exchange


def _changed(kv: Harness, exchange: Exchange) -> bool:
    kv.check(exchange.status in (200, 201), "SET-01", "200 or 201")
    try:
        answer = json.loads(exchange.response_body)
    except ValueError:
        kv.fail("SET-01", 'a JSON object with a boolean member "changed"')
    kv.check(
        isinstance(answer, dict) and isinstance(answer.get("changed"), bool),
        "SET-01",
        'a JSON object with a boolean member "changed"',
    )
    return bool(answer["changed"])


@pytest.mark.requirement("SET-01")
def test_set_answers_changed(kv: Harness) -> None:
    def route(prefix: str) -> None:
        key = kv.key()
        for body in (b"1", b'{"a":[true,null]}', b"null", b'"text"'):
            _changed(kv, kv.a.set(key, body, prefix=prefix))
        if "PUT" in kv.methods_that_set():  # a set by PUT answers as one by POST
            _changed(kv, kv.a.set(key, b'"by put"', prefix=prefix, method="PUT"))

    kv.each_route(route)


@pytest.mark.requirement("SET-02")
def test_changed_is_true_for_new_or_different_values(kv: Harness) -> None:
    def route(prefix: str) -> None:
        key = kv.key()
        kv.check(
            _changed(kv, kv.a.set(key, b"true", prefix=prefix)),
            "SET-02",
            "changed: true for an absent key",
        )
        # What follows is about a value held: the server must hold it.
        kv.reads_back(kv.a, key, b"true", prefix=prefix, before="SET-02")
        previous = b"true"
        for body in TYPE_CHANGES:
            kv.check(
                _changed(kv, kv.a.set(key, body, prefix=prefix)),
                "SET-02",
                f"changed: true for {body.decode()} after {previous.decode()} (a different value)",
            )
            previous = body
        kv.a.delete(key, prefix=prefix)
        kv.check(
            _changed(kv, kv.a.set(key, b"true", prefix=prefix)),
            "SET-02",
            "changed: true after a delete",
        )

    kv.each_route(route)


@pytest.mark.requirement("SET-03")
def test_put_sets_as_post_does(kv: Harness) -> None:
    def route(prefix: str) -> None:
        key = kv.key()
        for body in (b'{"by":"put"}', b"[1,2]"):
            exchange = kv.a.set(key, body, prefix=prefix, method="PUT")
            kv.check(exchange.status in (200, 201), "SET-03", "200 or 201 to a PUT, as to a POST")
            got = kv.a.get(key, prefix=prefix)
            kv.check(
                got.status == 200 and same_json(got.response_body, body),
                "SET-03",
                f"the value set by PUT, {body.decode()}",
            )

    kv.each_route(route)
