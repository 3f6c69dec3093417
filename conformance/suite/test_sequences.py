"""Sequences: a state machine of two identities, both routes and near-identical keys,
checked against a model after every step."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.engine.actor import Actor
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


@pytest.mark.requirement("SEQ-01")
def test_sequences_match_the_model(kv: Harness) -> None:
    actors = kv.actors
    routes = kv.routes()
    methods = kv.methods_that_set()
    entries = st.tuples(
        st.integers(0, len(actors) - 1),
        st.integers(0, len(routes) - 1),
        st.integers(0, len(SUFFIXES) - 1),
    )

    class Sequences(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            kv.steps.clear()
            base = kv.key()
            self.keys = [base + suffix for suffix in SUFFIXES]
            self.model: dict[Entry, bytes] = {}  # absent entries are missing
            self.writes = 0

        def _address(self, entry: Entry) -> tuple[Actor, str, str]:
            actor, route, slot = entry
            return actors[actor], routes[route], self.keys[slot]

        def _set(self, entry: Entry, method: str) -> None:
            actor, prefix, key = self._address(entry)
            self.writes += 1
            body = json.dumps({"by": actor.name, "write": self.writes}).encode()
            answer = actor.set(key, body, prefix=prefix, method=method)
            kv.check(answer.status in (200, 201), "SEQ-01", f"200 or 201 to a valid {method}")
            self.model[entry] = body
            self._verify(entry)

        def _delete(self, entry: Entry) -> None:
            actor, prefix, key = self._address(entry)
            actor.delete(key, prefix=prefix)  # its status is DEL-02's concern
            self.model.pop(entry, None)
            self._verify(entry)

        def _verify(self, entry: Entry) -> None:
            """Read the entry back, and the same key as every other identity."""
            for identity in range(len(actors)):
                self._read((identity, *entry[1:]))

        def _read(self, entry: Entry) -> None:
            actor, prefix, key = self._address(entry)
            got = actor.get(key, prefix=prefix)
            expected = self.model.get(entry)
            if expected is None:
                kv.check(kv.is_absent(got), "SEQ-01", f"{key!r} absent for {actor.name}")
                return
            equal = got.status == 200 and same_json(got.response_body, expected)
            kv.check(equal, "SEQ-01", f"{expected.decode()} for {actor.name} at {key!r}")

        @rule(entry=entries, method=st.sampled_from(methods))
        def set(self, entry: Entry, method: str) -> None:
            self._set(entry, method)

        @precondition(lambda self: bool(self.model))
        @rule(data=st.data(), method=st.sampled_from(methods))
        def overwrite(self, data: Any, method: str) -> None:
            self._set(data.draw(st.sampled_from(sorted(self.model))), method)

        @rule(entry=entries)
        def get(self, entry: Entry) -> None:
            self._read(entry)

        @precondition(lambda self: bool(self.model))
        @rule(data=st.data())
        def delete(self, data: Any) -> None:
            self._delete(data.draw(st.sampled_from(sorted(self.model))))

        @rule(entry=entries)
        def delete_absent(self, entry: Entry) -> None:
            if entry in self.model:
                return  # present: the delete rule's case
            self._delete(entry)

        def teardown(self) -> None:
            for entry in self.model:
                actor, prefix, key = self._address(entry)
                actor.delete(key, prefix=prefix)

    factory = seed(kv.settings.seed)(Sequences)
    run_state_machine_as_test(
        factory,
        settings=settings(
            max_examples=max(1, kv.settings.examples // 2),
            stateful_step_count=kv.settings.sequence_steps,
            deadline=None,
            database=None,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
        ),
    )
