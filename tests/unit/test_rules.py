"""Every rule of every requirement's statement is covered by something its check sends on
every seed (``conformance/suite/rules.py``), and what the table names is in the check's code."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis.strategies import SearchStrategy

import conformance.suite
from conformance.engine.requirements import Catalogue
from conformance.suite.rules import RULES, Calls, Cover, Member, Rule, Sends, Uses, calls

SUITE = Path(conformance.suite.__file__).parent


class Check:
    """The test marked with one requirement, and the functions of its module it calls."""

    def __init__(self, module: ModuleType, tree: ast.Module, test: ast.FunctionDef) -> None:
        self.module = module
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        reach: list[ast.AST] = []
        pending = [test]
        while pending:
            function = pending.pop()
            if function in reach:
                continue
            reach.append(function)
            pending += [
                functions[node.id]
                for node in ast.walk(function)
                if isinstance(node, ast.Name) and node.id in functions
            ]
        nodes = [node for function in reach for node in ast.walk(function)]
        self.names = {node.id for node in nodes if isinstance(node, ast.Name)}
        self.names |= {node.attr for node in nodes if isinstance(node, ast.Attribute)}
        self.names |= {node.name for node in nodes if isinstance(node, ast.FunctionDef)}
        self.names |= {node.arg for node in nodes if isinstance(node, ast.arg)}
        # Each call's name (a method's last part), with the literals in its arguments.
        self.calls = [
            (
                ast.unparse(node.func).rsplit(".", 1)[-1],
                [
                    constant.value
                    for argument in [*node.args, *(k.value for k in node.keywords)]
                    for constant in ast.walk(argument)
                    if isinstance(constant, ast.Constant)
                ],
            )
            for node in nodes
            if isinstance(node, ast.Call)
        ]
        self.literals = {
            node.value
            for node in nodes
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
        }


def _checks() -> dict[str, Check]:
    found: dict[str, Check] = {}
    for path in sorted(SUITE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = importlib.import_module(f"conformance.suite.{path.stem}")
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.requirement"
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    found[str(decorator.args[0].value)] = Check(module, tree, node)
    return found


CHECKS = _checks()


def _drawn(value: object) -> bool:
    """Whether a name the table gives is Hypothesis' doing: a strategy, or what makes one."""
    if isinstance(value, SearchStrategy):
        return True
    if callable(value) and not isinstance(value, type):
        try:
            returns = inspect.signature(value).return_annotation
        except (TypeError, ValueError):
            return False
        return "SearchStrategy" in str(returns)
    return False


def _among(literal: object, found: Sequence[object]) -> bool:
    # By type too: the literal 1 is not True, nor b"1" "1".
    return any(type(literal) is type(value) and literal == value for value in found)


def test_every_requirement_lists_its_rules() -> None:
    catalogue = Catalogue.load()
    assert set(RULES) == set(catalogue), "rules for no requirement, or a requirement without"
    for requirement_id, rules in RULES.items():
        assert rules, f"{requirement_id} lists no rule"
        for rule in rules:
            assert rule.text, requirement_id
            assert rule.by, f"{requirement_id}: a rule covered by nothing: {rule}"
    assert set(CHECKS) == set(catalogue)


@pytest.mark.parametrize(
    ("requirement_id", "rule"),
    [(requirement_id, rule) for requirement_id, rules in RULES.items() for rule in rules],
    ids=[f"{rid}: {rule.text}" for rid, rules in RULES.items() for rule in rules],
)
def test_what_covers_a_rule_is_in_its_check(requirement_id: str, rule: Rule) -> None:
    check = CHECKS[requirement_id]
    for cover in rule.by:
        match cover:
            case Sends(literal):
                assert literal in check.literals, f"{requirement_id}'s check never writes {cover}"
            case Uses(name):
                assert name in check.names, f"{requirement_id}'s check never uses {name!r}"
                assert not _drawn(getattr(check.module, name, None)), f"{name} is drawn"
            case Calls(function, literals):
                assert any(
                    name == function and all(_among(literal, found) for literal in literals)
                    for name, found in check.calls
                ), f"{requirement_id}'s check never calls {function} with {literals}"
            case Member(name, value):
                assert name in check.names, f"{requirement_id}'s check never uses {name!r}"
                constant = getattr(check.module, name)
                assert not _drawn(constant), f"{name} is drawn"
                assert value in constant, f"{value!r} is not one of {name}"


WRONG = [
    ("VAL-02", Uses("encoded_values")),  # a strategy: drawn, not fixed
    ("ISO-01", Uses("STEPS")),
    ("ABS-01", Uses("each_route")),  # another check's step
    ("BODY-01", Member("INVALID_BODIES", b"[1]")),  # valid JSON: not one of them
    ("SET-01", Sends(b"2")),
    ("MM-03", calls("says_changed", "PUT", b"2")),  # PUT sets true, POST 2
    ("MM-05", calls("send", "GET", 1)),
]


@pytest.mark.parametrize(("requirement_id", "cover"), WRONG, ids=[str(c) for _, c in WRONG])
def test_what_no_check_sends_is_refused(requirement_id: str, cover: Cover) -> None:
    with pytest.raises(AssertionError):
        test_what_covers_a_rule_is_in_its_check(requirement_id, Rule("wrong", (cover,)))
