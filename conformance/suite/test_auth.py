"""Authentication: every operation on every supported route refuses bad credentials."""

from __future__ import annotations

import pytest

from conformance.engine.harness import Harness
from conformance.wire.exchange import near_misses


def _kept(kv: Harness, requirement_id: str, prefix: str, key: str) -> None:
    kv.check(
        kv.holds(kv.a.get(key, prefix=prefix), b'"kept"'),
        requirement_id,
        'the value stored before, "kept": a rejected request must have no effect',
    )


def _rejected_everywhere(
    kv: Harness, requirement_id: str, authorizations: list[str | None]
) -> None:
    methods = ["GET", *kv.methods_that_set(), "DELETE"]

    def route(prefix: str) -> None:
        key = kv.key()
        kv.stored(kv.a, key, b'"kept"', prefix=prefix, before=requirement_id)

        def rejected(attempt: tuple[str | None, str]) -> None:
            authorization, method = attempt
            body = b'"intruder"' if method in ("POST", "PUT") else None
            exchange = kv.a.send(method, key, prefix=prefix, body=body, authorization=authorization)
            kv.check(exchange.status == 401, requirement_id, "401")

        # Every attempt is refused on its own; all at once, then the value is read back.
        kv.in_parallel([(a, m) for a in authorizations for m in methods], rejected)
        _kept(kv, requirement_id, prefix, key)

    for prefix in kv.routes():
        route(prefix)


@pytest.mark.requirement("AUTH-01")
def test_missing_authorization_is_401(kv: Harness) -> None:
    _rejected_everywhere(kv, "AUTH-01", [None])


@pytest.mark.requirement("AUTH-02")
def test_unknown_token_is_401(kv: Harness) -> None:
    # And A's token as comparisons of secrets that ignore case or stop at the shorter one
    # take it: case changed, one character short, one appended (reproductions derive them
    # from $KV_TOKEN).
    near = [miss for miss, _ in near_misses(kv.a.client.token) if miss not in kv.target.tokens]
    _rejected_everywhere(
        kv,
        "AUTH-02",
        # The first is made up for this run: nobody's secret, shown as is in reproductions.
        [f"Bearer {kv.target.marker}-not-a-token", *(f"Bearer {miss}" for miss in near)],
    )


@pytest.mark.requirement("AUTH-03")
def test_malformed_authorization_is_401(kv: Harness) -> None:
    token = kv.a.client.token
    _rejected_everywhere(kv, "AUTH-03", [token, f"Basic {token}", "Bearer ", "Bearer"])
