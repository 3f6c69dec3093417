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


DEEP = 4096  # levels: the deepest array that fits in 8192 bytes


def test_values_nested_past_the_recursion_limit_are_parsed_and_compared() -> None:
    deep = "[" * DEEP + "]" * DEEP
    assert json_equal(parse(deep), parse(deep))
    assert not json_equal(parse(deep), parse("[" * (DEEP - 1) + "]" * (DEEP - 1)))
    member = '{"k":' * 1500 + '"x"' + "}" * 1500
    assert json_equal(parse(member), parse(member.replace(":", " : ")))
    assert not json_equal(parse(member), parse(member.replace('"x"', '"y"')))


# Texts as deep as the standard library cannot take, each with what the recursive parser
# checks: the same value parsed either way.
SHALLOW = [
    '[1,[2.5,{"a":[true,null,"x\\u0041"]}],-0.5e3]',
    ' { "a" : 1 , "b" : [ ] , "a" : 2 } ',
    '[[],{},""]',
]


@pytest.mark.parametrize("inner", SHALLOW)
def test_the_parser_without_recursion_reads_what_json_reads(inner: str) -> None:
    deep = "[" * 2000 + inner + "]" * 2000
    value = parse(deep)
    for _ in range(2000):
        value = value[0]
    assert json_equal(value, parse(inner))
    assert value == parse(inner)


@pytest.mark.parametrize(
    "inner", ["[1,]", '{"a"}', "[1 2]", '{"a":1,}', "[", "1 1", "]", "{,}", '"\\x"', "01", "tru"]
)
def test_the_parser_without_recursion_is_strict(inner: str) -> None:
    with pytest.raises(JsonError):
        parse("[" * 2000 + inner + "]" * 2000)
