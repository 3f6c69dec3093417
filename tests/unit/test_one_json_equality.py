"""Every check compares values one way: JSON equality (conformance/engine/jsonvalue.py).

A check that compared bytes, or Python objects (where True == 1), would fail a correct
server that pretty-prints what it stores, or pass one that confuses 1 with true. Only the
mattermost profile's byte-level requirements compare answers byte for byte, as their
statements say.
"""

from __future__ import annotations

import ast
from pathlib import Path

import conformance

PACKAGE = Path(conformance.__path__[0])
CHECKED = [*sorted((PACKAGE / "suite").glob("*.py")), *sorted((PACKAGE / "engine").glob("*.py"))]
# (module, function): where bytes are the requirement (MM-01 to MM-05, MM-08: byte parity
# with upstream, of stored values, error texts and empty bodies).
BYTE_LEVEL = {
    ("test_mattermost.py", "_upstream_error"),
    ("test_mattermost.py", "test_values_come_back_byte_for_byte"),
    ("test_mattermost.py", "test_absent_key_is_200_empty_object"),
    ("test_mattermost.py", "says_changed"),
    ("test_mattermost.py", "test_delete_is_200_empty"),
    ("test_mattermost.py", "test_routing_as_upstream"),
}


def _compares_values(node: ast.Compare) -> bool:
    """An == or != with a body or a decoded JSON value on either side."""
    if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
        return False
    for operand in [node.left, *node.comparators]:
        for part in ast.walk(operand):
            if isinstance(part, ast.Attribute) and part.attr in ("response_body", "body"):
                return True
            if isinstance(part, ast.Call) and ast.unparse(part.func) in ("parse", "json.loads"):
                return True
    return False


def _own_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of ``function`` outside the functions nested in it (judged on their own)."""
    nodes: list[ast.AST] = []
    pending: list[ast.AST] = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        nodes.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            pending.extend(ast.iter_child_nodes(node))
    return nodes


def _offences(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text())
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        if (path.name, function.name) in BYTE_LEVEL:
            continue
        for node in _own_nodes(function):
            if isinstance(node, ast.Compare) and _compares_values(node):
                found.append(f"{path.name}:{node.lineno} in {function.name}: {ast.unparse(node)}")
    return found


def test_value_comparisons_go_through_json_equality() -> None:
    offences = [offence for path in CHECKED for offence in _offences(path)]
    assert not offences, "compare values with same_json or Harness.holds:\n" + "\n".join(offences)


def test_the_rule_sees_a_byte_comparison() -> None:
    tree = ast.parse("got.response_body == b'1'").body[0]
    assert isinstance(tree, ast.Expr)
    assert isinstance(tree.value, ast.Compare)
    assert _compares_values(tree.value)
