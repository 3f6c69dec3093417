"""The JSON equality the suite uses to judge round trips (documented in the README)."""

from __future__ import annotations

import pytest

from conformance.engine.jsonvalue import JsonError, json_equal, parse

EQUAL = [
    ("1", "1.0"),
    ("1", "1e0"),
    ("-0.0", "0"),
    ("100", "1E2"),
    ("12345678901234567890123", "12345678901234567890123.0"),
    ('{"a":1,"b":2}', '{"b":2,"a":1}'),
    ('"\\u00e9"', '"\u00e9"'),
    ("[1,[2,{}]]", "[ 1 , [ 2 , { } ] ]"),
    ("null", "null"),
]
DIFFERENT = [
    ("1", "true"),
    ("0", "false"),
    ("0", "null"),
    ("true", "1"),
    ("12345678901234567890123", "12345678901234567890124"),
    ("9007199254740993", "9007199254740992"),
    ("[1,2]", "[2,1]"),
    ('"e\u0301"', '"\u00e9"'),  # no Unicode normalisation
    ('{"a":1}', '{"a":1,"b":null}'),
    ("[]", "{}"),
    ('""', "null"),
    ('"1"', "1"),
]


@pytest.mark.parametrize(("left", "right"), EQUAL)
def test_equal(left: str, right: str) -> None:
    assert json_equal(parse(left), parse(right))
    assert json_equal(parse(right), parse(left))


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_different(left: str, right: str) -> None:
    assert not json_equal(parse(left), parse(right))
    assert not json_equal(parse(right), parse(left))


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "{} {}", "", "[1,]"])
def test_parse_is_strict(text: str) -> None:
    with pytest.raises(JsonError):
        parse(text)
