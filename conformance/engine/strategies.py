"""Hypothesis strategies for what the suite sends: JSON values, their encodings, and keys."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

MAX_VALUE_BYTES = 8192
MAX_KEY_CHARS = 256
MAX_DEPTH = 32

# Characters Hypothesis may put in keys and strings: any code point but surrogates (they cannot
# be encoded as UTF-8). Keys also exclude "/" (it splits the path) and NUL (not every HTTP
# stack accepts %00, and the documentation promises nothing about it).
_TEXT = st.characters(exclude_categories=["Cs"])
_KEY_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="/\0")

_INTEGERS = st.integers() | st.sampled_from(
    [0, -1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63, 2**64 + 1, -(2**100), 10**40 + 7]
)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e308, -1.7976931348623157e308, 0.1, 1e-7]
)
_STRINGS = st.text(_TEXT, max_size=40) | st.sampled_from(
    ['"', "\\", '\\"', "\u0000\u001f\u007f", "e\u0301", "\U0001f600\U0010ffff", "\u2028\u2029"]
)

scalars: st.SearchStrategy[Any] = st.none() | st.booleans() | _INTEGERS | _FLOATS | _STRINGS


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=5) | st.dictionaries(_STRINGS, children, max_size=5)


def _nested(leaf: Any, depth: int, shape: list[bool]) -> Any:
    """``leaf`` wrapped in ``depth`` arrays or objects (shape: True for an object)."""
    value = leaf
    for as_object in shape[:depth]:
        value = {"k": value, "n": None} if as_object else [value, None]
    return value


def deep_values() -> st.SearchStrategy[Any]:
    """Values nested exactly 1 to 32 containers deep."""
    return st.builds(
        _nested,
        scalars,
        st.integers(1, MAX_DEPTH),
        st.lists(st.booleans(), min_size=MAX_DEPTH, max_size=MAX_DEPTH),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, containers (empty ones too), and deep nesting."""
    return (
        st.recursive(scalars, _containers, max_leaves=25)
        | deep_values()
        | st.sampled_from([{}, [], "", {"": None}, [[]], {"a": {}}])
    )


def encodings(value: Any) -> st.SearchStrategy[bytes]:
    """The ways one value can legitimately be written as JSON text."""
    return st.sampled_from(
        [
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
            json.dumps(value, ensure_ascii=True).encode(),
            json.dumps(value, ensure_ascii=False, indent=1).encode(),
        ]
    )


# Depths where parsers and their recursion limits break: 8-bit counters, Python's default
# recursion limit (1000) and the 500 some frameworks stop at, up to what 8192 bytes allow.
BOUNDARY_DEPTHS = (33, 100, 255, 256, 257, 500, 501, 512, 513, 999, 1000, 1001, 1024, 2048, 4096)
# Each level of nesting written as JSON text: an opening and its closing.
_LEVELS = {"array": (b"[", b"]"), "object": (b'{"":', b"}"), "member": (b'{"k":[', b"]}")}


def deep_text(depth: int, level: str, leaf: bytes = b"0") -> bytes:
    """``leaf`` nested ``depth`` levels deep, as JSON text written directly (the standard
    library cannot encode or decode it past its recursion limit)."""
    opening, closing = _LEVELS[level]
    if level == "member":  # each of its steps nests twice: an object, then an array
        depth, odd = divmod(depth, 2)
        leaf = b"[" * odd + leaf + b"]" * odd
    return opening * depth + leaf + closing * depth


def deep_texts() -> st.SearchStrategy[bytes]:
    """Values nested past 32 levels, up to what fits in 8192 bytes (some 4,000 levels)."""

    def nested_as(level: str) -> st.SearchStrategy[bytes]:
        opening, closing = _LEVELS[level]
        most = (MAX_VALUE_BYTES - 1) // len(opening + closing) * (2 if level == "member" else 1)
        depths = st.integers(MAX_DEPTH + 1, most) | st.sampled_from(
            [depth for depth in BOUNDARY_DEPTHS if depth <= most]
        )
        return st.builds(deep_text, depths, st.just(level))

    return st.sampled_from(sorted(_LEVELS)).flatmap(nested_as)


def encoded_values() -> st.SearchStrategy[bytes]:
    """JSON texts of at most 8192 bytes, nested up to what fits."""
    encoded = json_values().flatmap(encodings)
    return (encoded | deep_texts()).filter(lambda text: len(text) <= MAX_VALUE_BYTES)


# Values every round trip checks first: the classes of value servers most often get wrong.
TRICKY_VALUES: tuple[bytes, ...] = (
    b"12345678901234567890123",
    b"[9007199254740993,-9007199254740993,18446744073709551617]",
    b"[1e308,-1.7976931348623157e308,5e-324,2.2250738585072014e-308,-0.0,0.1]",
    json.dumps(
        '"\\ \u0000\u001f\u007f e\u0301 \U0001f600\U0010ffff \u2028', ensure_ascii=False
    ).encode(),
    json.dumps('"\\ \u0000 e\u0301 \U0001f600', ensure_ascii=True).encode(),
    json.dumps(_nested("deep", MAX_DEPTH, [False, True] * MAX_DEPTH)).encode(),
    b'{"a":null,"b":[],"c":{},"":""}',
    # Whitespace wherever JSON allows it (around the value too): the same value as compact.
    b' {\n\t"pretty" : [ 1 ,\r\n 2 ] } \n',
    b"null",
    b"true",
    b"false",
    b'""',
    b"{}",
    b"[]",
    # Valid values nested deeper than recursive parsers go: 600 levels, and as deep as
    # 8192 bytes allow for arrays (4096 levels, exactly 8192 bytes) and objects.
    deep_text(600, "member", b'"deep"'),
    b"[" * 4096 + b"]" * 4096,
    deep_text(1637, "object"),
    # Beyond a double's range, and below its smallest: a double parser reads inf and 0.
    b"[1E400,-1e400,1e-400]",
)

# Overwrites that SET-02 sends after true, in order: each differs from the one before it,
# though Python's == says True == 1 and False == 0 (a server comparing decoded values that
# way reports no change).
TYPE_CHANGES: tuple[bytes, ...] = (
    b"1",
    b"false",
    b"0",
    b'"0"',
    b"[0]",
    b'{"0":0}',
    b"null",
    b"true",
)

KEY_SUFFIXES: tuple[str, ...] = (
    "?#[]@!$&'()*+,;=",
    "%41%2F%25",
    " leading and trailing ",
    "\u00e9e\u0301\U0001f511\u4e2d",
    "\t\n\r\u0001\u007f",
    ".",
    "..",
    "\\\"'<>{}|^`",
    # Within 256 characters with the marker, but some 900 bytes: a limit counted in bytes.
    "\U0001f511" * (MAX_KEY_CHARS - 32),
)

# Characters a path segment may hold as they are; Go's url.PathEscape (the Go driver's)
# leaves them unencoded, and the key is still the decoded segment: a form decoder reading
# '+' as a space, or a servlet container dropping a ';' path parameter, addresses another key.
UNENCODED_KEY_CHARACTERS = "+;"
KEY_SUFFIXES_AS_IS: tuple[str, ...] = ("a+b", "a;b")


def key_suffixes(marker_length: int) -> st.SearchStrategy[str]:
    """What follows the run marker in a generated key, keeping keys within 256 characters."""
    return st.text(
        _KEY_CHARS, min_size=0, max_size=MAX_KEY_CHARS - marker_length
    ) | st.sampled_from(
        [" ", "%41", "%2F", "?#&=+;", ".", "..", "~", "\u00e9", "e\u0301", "\U0001f511", "\t"]
    )


def sized_value(size: int, unit: str = "x") -> bytes:
    """A JSON string of exactly ``size`` bytes made of ``unit`` (1 to 4 UTF-8 bytes), padded
    with ASCII where the unit does not divide evenly."""
    inner = size - 2
    width = len(unit.encode())
    text = unit * (inner // width) + "x" * (inner % width)
    encoded = json.dumps(text, ensure_ascii=False).encode()
    assert len(encoded) == size, (size, len(encoded))
    return encoded


def sized_array(size: int) -> bytes:
    """A JSON array of numbers, exactly ``size`` bytes (size >= 3)."""
    count = (size - 1) // 2
    items = ["0"] * count
    if 2 * count + 1 < size:
        items[-1] = "10"
    encoded = ("[" + ",".join(items) + "]").encode()
    assert len(encoded) == size, (size, len(encoded))
    return encoded


def sized_object(size: int) -> bytes:
    """A JSON object with one string member, exactly ``size`` bytes (size >= 8)."""
    encoded = ('{"a":"' + "x" * (size - 8) + '"}').encode()
    assert len(encoded) == size, (size, len(encoded))
    return encoded
