"""The prefix route: optional in core; where offered, each prefix is its own namespace."""

from __future__ import annotations

import pytest

from conformance.harness import Harness


@pytest.mark.requirement("PFX-01")
def test_prefix_route_is_offered(kv: Harness) -> None:
    kv.require("prefix", "PFX-01")


@pytest.mark.requirement("PFX-02")
def test_each_prefix_is_its_own_namespace(kv: Harness) -> None:
    kv.require("prefix", "PFX-02")
    key = kv.key()
    # ASCII prefixes that no padding rule can make equal (upstream allows "2 ASCII characters").
    prefixes = ["", "p", "q", "pq"]
    values = {prefix: f'"route-{number}"'.encode() for number, prefix in enumerate(prefixes)}
    for prefix, value in values.items():
        kv.a.set(key, value, prefix=prefix)
    # A delete under one prefix must leave the others alone (whether it works is DEL-01's).
    kv.a.delete(key, prefix="q")
    for prefix, value in values.items():
        if prefix == "q":
            continue
        got = kv.a.get(key, prefix=prefix)
        kv.check(
            got.status == 200 and got.response_body.strip() == value,
            "PFX-02",
            f"{value.decode()}, the value set under prefix {prefix!r}",
        )
