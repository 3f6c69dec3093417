"""Isolation: identity B never reads, changes or removes identity A's entries."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st

from conformance.engine import hints
from conformance.engine.actor import Actor
from conformance.engine.harness import Harness


@dataclass(frozen=True)
class Step:
    actor: int  # 0: A, 1: B
    operation: str  # set, get, delete
    slot: int  # which key of the pool


STEPS = st.lists(
    st.builds(
        Step, st.integers(0, 1), st.sampled_from(["set", "get", "get", "delete"]), st.integers(0, 2)
    ),
    min_size=2,
    max_size=30,
)
# Upstream's own test, plus B's set and delete of the same key.
CANONICAL = [
    Step(actor, operation, 0)
    for actor, operation in (
        (0, "set"),
        (1, "get"),
        (1, "set"),
        (0, "get"),
        (1, "delete"),
        (0, "get"),
        (1, "get"),
    )
]


@pytest.mark.requirement("ISO-01")
def test_identities_are_isolated(kv: Harness) -> None:
    actors: list[Actor] = [kv.a, kv.b]

    def interleave(steps: list[Step], prefix: str) -> None:
        # One route per example, so that nothing but the other identity can explain a change.
        keys = [kv.key() for _ in range(3)]
        holds: dict[tuple[int, int], bool] = {}  # (actor, slot): its last write was a set
        disturbed: set[tuple[int, int]] = set()  # the other identity wrote there since
        for number, step in enumerate(steps):
            actor, other = actors[step.actor], actors[1 - step.actor]
            key = keys[step.slot]
            mine, theirs = (step.actor, step.slot), (1 - step.actor, step.slot)
            if step.operation == "get":
                got = actor.get(key, prefix=prefix)
                shared = hints.same_user(got, other.name)  # None unless other.name wrote it
                if shared is not None:
                    kv.fail(
                        "ISO-01",
                        f"{actor.name} never reads a value written by {other.name}",
                        shared,
                    )
                kv.check(
                    not (holds.get(mine) and mine in disturbed and kv.is_absent(got)),
                    "ISO-01",
                    f"{actor.name}'s own entry, still there after {other.name} wrote "
                    "to the same key",
                )
                continue
            if step.operation == "set":
                body = json.dumps({"by": actor.name, "step": number}).encode()
                holds[mine] = actor.set(key, body, prefix=prefix).status in (200, 201)
            else:
                actor.delete(key, prefix=prefix)
                holds[mine] = False
            disturbed.add(theirs)
            disturbed.discard(mine)
        for key in keys:
            for actor in actors:
                actor.delete(key, prefix=prefix)

    # Each identity keeps what it writes: otherwise nothing the other does could show.
    kv.in_parallel(
        [(actor, prefix) for actor in actors for prefix in kv.routes()],
        lambda pair: kv.stored(pair[0], kv.key(), b'"mine"', prefix=pair[1], before="ISO-01"),
    )
    kv.for_all(
        interleave,
        explicit=[{"steps": CANONICAL, "prefix": prefix} for prefix in kv.routes()],
        steps=STEPS,
        prefix=st.sampled_from(kv.routes()),
    )
