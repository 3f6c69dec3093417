"""The requirement catalogue and the suite's tests match one to one (the golden test)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import conformance.suite
from conformance.engine.requirements import PROFILES, Catalogue

SUITE = Path(conformance.suite.__file__).parent


def _marked_tests() -> dict[str, list[str]]:
    """test function name -> requirement ids of its @pytest.mark.requirement markers."""
    found: dict[str, list[str]] = {}
    for module in sorted(SUITE.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = [
                    decorator.args[0].value
                    for decorator in node.decorator_list
                    if isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.requirement"
                    and isinstance(decorator.args[0], ast.Constant)
                ]
                found[f"{module.stem}::{node.name}"] = [str(i) for i in ids]
    return found


def test_every_requirement_has_a_test_and_every_test_one_requirement() -> None:
    catalogue = Catalogue.load()
    tests = _marked_tests()
    assert tests, "no suite tests found"
    unmarked = [name for name, ids in tests.items() if len(ids) != 1]
    assert unmarked == [], f"tests without exactly one requirement marker: {unmarked}"
    marked = Counter(ids[0] for ids in tests.values())
    assert set(marked) - set(catalogue) == set(), "markers naming no catalogue requirement"
    assert set(catalogue) - set(marked) == set(), "requirements without a test"


def test_catalogue_entries_are_complete() -> None:
    catalogue = Catalogue.load()
    assert len(catalogue) >= 20
    for requirement in catalogue.values():
        assert requirement.level in ("MUST", "SHOULD", "MAY"), requirement
        assert requirement.profiles, requirement
        assert set(requirement.profiles) <= set(PROFILES), requirement
        assert requirement.source in ("documentation", "upstream", "driver", "suite"), requirement
        assert requirement.statement.endswith("."), requirement
    # The mattermost profile is core plus parity: every core MUST is in it too.
    for requirement in catalogue.values():
        if "core" in requirement.profiles and requirement.level == "MUST":
            assert "mattermost" in requirement.profiles, requirement
