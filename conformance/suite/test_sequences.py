"""Sequences: programs of two identities, both routes and near-identical keys, checked
against a model after every step.

Each program is drawn whole by Hypothesis (what it does next depends only on the model, never
on the server), so programs run at once on the run's lanes and a failure shrinks to a short
program, shown step by step.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import strategies as st

from conformance.engine import hints
from conformance.engine.actor import IDENTITY_NAMES
from conformance.engine.harness import Harness
from conformance.engine.jsonvalue import same_json

# Near-identical keys: a server that folds case, trims, or normalises Unicode mixes them up.
SUFFIXES = (
    "-key",
    "-Key",
    "-key ",
    unicodedata.normalize("NFC", "-caf\u00e9"),
    unicodedata.normalize("NFD", "-caf\u00e9"),
)

Entry = tuple[int, int, int]  # (identity, route, slot)


@dataclass(frozen=True)
class Step:
    operation: str  # set, get, delete
    entry: Entry
    method: str = ""  # of a set: POST or PUT

    def __repr__(self) -> str:
        identity, route, slot = self.entry
        where = f"{'prefix p, ' if route else ''}key <base>{SUFFIXES[slot]!r}"
        how = f" ({self.method})" if self.method else ""
        return f"{IDENTITY_NAMES[identity]} {self.operation}{how} {where}"


POOL = 4  # entries per program: few, so that steps often meet the same one


def programs(identities: int, routes: int, methods: list[str], steps: int) -> Any:
    """Programs of sets (of absent or present entries), gets and deletes (of present or
    absent ones) on a pool of a few entries drawn first. Each step names its entry by its
    place in the pool, so a failure shrinks by dropping steps without changing the others."""
    entries = st.tuples(
        st.integers(0, identities - 1),
        st.integers(0, routes - 1),
        st.integers(0, len(SUFFIXES) - 1),
    )
    choices = st.tuples(
        st.sampled_from(("set", "get", "delete")),
        st.integers(0, POOL - 1),
        st.sampled_from(methods),
    )

    def build(drawn: tuple[list[Entry], list[tuple[str, int, str]]]) -> list[Step]:
        pool, chosen = drawn
        return [
            Step(operation, pool[place % len(pool)], method if operation == "set" else "")
            for operation, place, method in chosen
        ]

    pools = st.lists(entries, min_size=1, max_size=POOL, unique=True)
    return st.tuples(pools, st.lists(choices, min_size=1, max_size=steps)).map(build)


def fixed_program(route: int, identities: int, methods: list[str]) -> list[Step]:
    """What every run sends on each route before the drawn programs: a set, an overwrite
    (by PUT where offered), a delete, a set after the delete, then the other identity's set
    and delete of the same key (A's entry is read after each)."""
    mine, theirs = (0, route, 0), (identities - 1, route, 0)
    return [
        Step("set", mine, methods[0]),
        Step("set", mine, methods[-1]),
        Step("delete", mine),
        Step("set", mine, methods[0]),
        Step("set", theirs, methods[0]),
        Step("delete", theirs),
    ]


@pytest.mark.requirement("SEQ-01")
def test_sequences_match_the_model(kv: Harness) -> None:
    actors = kv.actors
    routes = kv.routes()

    def run(program: list[Step]) -> None:
        base = kv.key()
        keys = [base + suffix for suffix in SUFFIXES]
        model: dict[Entry, bytes] = {}  # absent entries are missing

        def read(entry: Entry) -> None:
            identity, route, slot = entry
            actor, prefix, key = actors[identity], routes[route], keys[slot]
            got = actor.get(key, prefix=prefix)
            expected = model.get(entry)
            if expected is None:
                met = kv.is_absent(got)
                wanted = f"{key!r} absent for {actor.name}"
            else:
                met = got.status == 200 and same_json(got.response_body, expected)
                wanted = f"{expected.decode()} for {actor.name} at {key!r}"
            if not met:
                other = actors[1 - identity].name if len(actors) > 1 else None
                kv.fail("SEQ-01", wanted, hints.same_user(got, other))

        for number, step in enumerate(program, start=1):
            identity, route, slot = step.entry
            actor, prefix, key = actors[identity], routes[route], keys[slot]
            if step.operation == "get":
                read(step.entry)
                continue
            if step.operation == "set":
                body = json.dumps({"by": actor.name, "write": number}).encode()
                answer = actor.set(key, body, prefix=prefix, method=step.method)
                kv.check(
                    answer.status in (200, 201), "SEQ-01", f"200 or 201 to a valid {step.method}"
                )
                model[step.entry] = body
            else:
                actor.delete(key, prefix=prefix)  # its status is DEL-02's concern
                model.pop(step.entry, None)
            # Read the entry back, and the same key as every other identity.
            for other in range(len(actors)):
                read((other, route, slot))
        for identity, route, slot in model:
            actors[identity].delete(keys[slot], prefix=routes[route])

    kv.for_all(
        run,
        explicit=[
            {"program": fixed_program(route, len(actors), kv.methods_that_set())}
            for route in range(len(routes))
        ],
        max_examples=max(1, kv.settings.examples // 2),
        program=programs(
            len(actors), len(routes), kv.methods_that_set(), kv.settings.sequence_steps
        ),
    )
