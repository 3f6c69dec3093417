"""Each named edge is produced by its requirement's generation within the default budget."""

from __future__ import annotations

import pytest
from hypothesis import find, settings

from conformance.engine.config import DEFAULT_EXAMPLES
from conformance.engine.edges import EDGES, Edge
from conformance.reference import Faults


@pytest.mark.parametrize("edge", EDGES, ids=[f"{e.requirement} {e.name}" for e in EDGES])
def test_each_edge_is_reached(edge: Edge) -> None:
    if any(edge.reaches(example) for example in edge.fixed):
        return
    assert edge.strategy is not None, (
        f"nothing of {edge.name!r} is generated for {edge.requirement}"
    )
    budget = settings(max_examples=DEFAULT_EXAMPLES, database=None, derandomize=True)
    find(edge.strategy, edge.reaches, settings=budget)  # raises if none within the budget


def test_the_faults_named_exist() -> None:
    named = {edge.caught_by for edge in EDGES if edge.caught_by}
    assert named <= set(Faults.catalogue())
