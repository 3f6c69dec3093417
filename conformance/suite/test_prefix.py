"""The prefix route: optional in core; where offered, each prefix is its own namespace."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from conformance.engine.harness import Harness


@pytest.mark.requirement("PFX-01")
def test_prefix_route_is_offered(kv: Harness) -> None:
    kv.require_prefix_route("PFX-01")


@pytest.mark.requirement("PFX-02")
def test_each_prefix_is_its_own_namespace(kv: Harness) -> None:
    kv.require_prefix_route("PFX-02")
    key = kv.key()
    # ASCII prefixes that no padding rule can make equal (upstream allows "2 ASCII characters").
    prefixes = ["", "p", "q", "pq"]
    values = {prefix: f'"route-{number}"'.encode() for number, prefix in enumerate(prefixes)}

    def holds_its_own(prefix: str, since: str, *, first: bool = False) -> None:
        got = kv.a.get(key, prefix=prefix)
        if first:  # each route holds something: otherwise "apart" holds vacuously (VAL-01)
            kv.check(
                not kv.is_absent(got),
                "VAL-01",
                f"the value just set under prefix {prefix!r} (a precondition of PFX-02)",
            )
        kv.check(
            kv.holds(got, values[prefix]),
            "PFX-02",
            f"{values[prefix].decode()}, the value set under prefix {prefix!r}{since}",
        )

    for prefix, value in values.items():
        kv.a.set(key, value, prefix=prefix)
    for prefix in prefixes:
        holds_its_own(prefix, "", first=True)
    # A delete under one route must leave the others alone (whether it works is DEL-01's):
    # under a prefix, then on the plain route.
    kv.a.delete(key, prefix="q")
    for prefix in ("", "p", "pq"):
        holds_its_own(prefix, ", after a delete of the same key under prefix 'q'")
    kv.a.delete(key)
    for prefix in ("p", "pq"):
        holds_its_own(prefix, ", after a delete of the same key on the plain route")


@pytest.mark.requirement("PFX-03")
def test_long_prefixes_are_refused(kv: Harness) -> None:
    kv.require_prefix_route("PFX-03")

    def refused(prefix: str) -> None:
        key = kv.key()
        answer = kv.a.set(key, b'"long prefix"', prefix=prefix)
        kv.check(
            answer.status is not None and answer.status >= 400,
            "PFX-03",
            f"a refusal (4xx, or 5xx as upstream answers) of the {len(prefix.encode())}-byte "
            f"prefix {prefix!r}",
        )

    kv.for_all(
        refused,
        explicit=[{"prefix": "abc"}, {"prefix": "\u20ac"}, {"prefix": "p\u00e9"}],
        prefix=st.text(
            st.characters(exclude_categories=["Cs"], exclude_characters="/\0"),
            min_size=1,
            max_size=6,
        ).filter(lambda text: len(text.encode()) > 2),
    )
