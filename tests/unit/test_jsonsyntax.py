"""The Go-compatible JSON syntax check against hand-picked cases and Python's parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.reference.jsonsyntax import is_valid_json

VALID = [
    b"{}",
    b"[]",
    b"null",
    b"0",
    b"-0.5e-3",
    b'"\\u00e9\\n"',
    b' \t\n\r{"a" : [1, true, false, null, {"b": "c"}]} \n',
    b'"\xff\xfe"',  # Go does not validate UTF-8 inside strings
    b"[" * 5000 + b"]" * 5000,  # deeper than Python's recursion limit
]
INVALID = [
    b"",
    b" ",
    b"{",
    b"{} {}",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"[1,]",
    b'{"a":1,}',
    b'{"a"}',
    b"{1:2}",
    b"'x'",
    b'"\x01"',
    b'"\\x"',
    b'"\\u12"',
    b"tru",
    b"nul",
    b"[1 2]",
    b"[1]]",
    b"\xef\xbb\xbf{}",  # a byte-order mark is not JSON whitespace
    b"\x00",
]


@pytest.mark.parametrize("data", VALID)
def test_valid(data: bytes) -> None:
    assert is_valid_json(data)


@pytest.mark.parametrize("data", INVALID)
def test_invalid(data: bytes) -> None:
    assert not is_valid_json(data)


def test_non_finite_only_when_allowed() -> None:
    for data in (b"NaN", b"[Infinity, -Infinity]"):
        assert not is_valid_json(data)
        assert is_valid_json(data, allow_non_finite=True)


def python_says_valid(data: bytes) -> bool:
    """Python's parser with Go's rules: Latin-1 keeps bytes as they are, no NaN."""

    def reject(constant: str) -> None:
        raise ValueError(constant)

    try:
        json.loads(data.decode("latin-1"), parse_constant=reject)
    except ValueError:
        return False
    return True


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values, st.sampled_from([None, 0, 2]))
def test_accepts_every_encoded_json_value(value: object, indent: int | None) -> None:
    data = json.dumps(value, indent=indent, ensure_ascii=False).encode()
    assert is_valid_json(data)


@given(st.binary(max_size=40) | st.text('{}[]":,0123456789.eE+- \\truefalsnNI').map(str.encode))
def test_agrees_with_python_on_arbitrary_bytes(data: bytes) -> None:
    assert is_valid_json(data) == python_says_valid(data)
