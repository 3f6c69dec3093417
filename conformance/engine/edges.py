"""The edges of each input dimension, named: the classes of input that generation must reach.

Generators left to themselves stay in a comfortable interior (short strings, shallow values,
small numbers). Each ``Edge`` names a class at a boundary of the contract or at a limit of
common implementations, the requirement whose checks must send it, and why it matters;
``tests/unit/test_edges.py`` shows that the requirement's fixed examples or its strategy,
within the default budget, produce it. Where an edge is new, a fault of the reference server
exists that only it catches (named in ``caught_by``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.engine.strategies import (
    KEY_SUFFIXES,
    KEY_SUFFIXES_AS_IS,
    MAX_VALUE_BYTES,
    TRICKY_VALUES,
    TYPE_CHANGES,
    deep_texts,
    encoded_values,
    key_suffixes,
)
from conformance.reference.jsonsyntax import nesting_depth
from conformance.wire.exchange import near_misses


@dataclass(frozen=True)
class Edge:
    dimension: str
    name: str
    requirement: str
    why: str
    reaches: Callable[[object], bool]  # whether one generated input is of the class
    fixed: Iterable[object] = ()  # the requirement's fixed examples
    strategy: st.SearchStrategy[object] | None = None  # and what Hypothesis draws for it
    caught_by: str = ""  # the reference server's fault that only this edge catches


def nesting(body: object) -> int:
    """How deep a JSON text nests arrays and objects (brackets outside strings)."""
    assert isinstance(body, bytes)
    return nesting_depth(body)


def _contains(*needles: bytes) -> Callable[[object], bool]:
    return lambda body: isinstance(body, bytes) and all(n in body for n in needles)


def _key_has(*characters: str) -> Callable[[object], bool]:
    return lambda suffix: isinstance(suffix, str) and any(c in suffix for c in characters)


# A token as the embedded server makes them (secrets.token_urlsafe(18)); AUTH-02 sends the
# near misses of the token it is given.
_TOKEN = "kv-3Xb9_q2LmT0aZ7wYc1Rf"
_OVERWRITES = list(zip((b"true", *TYPE_CHANGES), TYPE_CHANGES, strict=False))

EDGES: tuple[Edge, ...] = (
    Edge(
        "value depth",
        "nested more than 500 levels",
        "VAL-01",
        "recursive parsers stop near 500 or 1000 levels (RecursionError, stack overflow) "
        "and answer 500 to a valid value",
        lambda body: nesting(body) > 500,
        TRICKY_VALUES,
        deep_texts(),
        caught_by="deep-nesting-500",
    ),
    Edge(
        "value depth",
        "as deep as 8192 bytes allow (4096 arrays)",
        "VAL-01",
        "the contract's own boundary: any value up to 8192 bytes, however nested",
        lambda body: nesting(body) >= MAX_VALUE_BYTES // 2,
        TRICKY_VALUES,
        caught_by="deep-nesting-500",
    ),
    Edge(
        "numbers",
        "integers past 2^53 and 2^64",
        "VAL-01",
        "a double or a 64-bit integer loses digits",
        _contains(b"9007199254740993", b"18446744073709551617"),
        TRICKY_VALUES,
    ),
    Edge(
        "numbers",
        "subnormal, largest and negative-zero floats",
        "VAL-01",
        "float formatting and parsing round these wrongly",
        _contains(b"5e-324", b"1e308", b"-0.0"),
        TRICKY_VALUES,
    ),
    Edge(
        "strings",
        "NUL, U+2028 and characters outside the BMP",
        "VAL-01",
        "C string terminators, JavaScript line terminators and UTF-16 surrogate pairs",
        _contains(b"\\u0000", "\u2028".encode(), "\U0001f600".encode()),
        TRICKY_VALUES,
    ),
    Edge(
        "strings",
        "a combining sequence (no normalisation)",
        "VAL-01",
        "stores that normalise text change e\u0301 into \u00e9",
        _contains("e\u0301".encode()),
        TRICKY_VALUES,
    ),
    Edge(
        "body encoding",
        "the same value pretty-printed, compact and ASCII-escaped",
        "VAL-01",
        "every JSON text of a value is that value: a comparison of bytes is wrong",
        lambda body: isinstance(body, bytes) and b"\n" in body,
        TRICKY_VALUES,
        encoded_values(),
    ),
    Edge(
        "type changes between overwrites",
        "1 after true, 0 after false",
        "SET-02",
        "Python's True == 1: a server comparing decoded values reports no change",
        lambda pair: pair in {(b"true", b"1"), (b"false", b"0")},
        _OVERWRITES,
        caught_by="changed-loose-equality",
    ),
    Edge(
        "type changes between overwrites",
        'the string "0" after the number 0, [0] after "0"',
        "SET-02",
        "loose comparisons of JavaScript and PHP (0 == '0')",
        lambda pair: pair in {(b"0", b'"0"'), (b'"0"', b"[0]")},
        _OVERWRITES,
    ),
    Edge(
        "key characters",
        "URL-reserved characters ?#[]@!$&'()*+,;=",
        "KEY-01",
        "routers and servlet containers split or reject on them unless percent-encoded",
        _key_has("?#[]@!$&'()*+,;="),
        KEY_SUFFIXES,
        key_suffixes(20),
    ),
    Edge(
        "key characters",
        "literal percent sequences (%41, %2F, %25)",
        "KEY-01",
        "a second percent-decoding (a proxy, a framework) turns %41 into A",
        _key_has("%"),
        KEY_SUFFIXES,
        key_suffixes(20),
    ),
    Edge(
        "key characters",
        "dot segments . and ..",
        "KEY-01",
        "URL normalisation removes them, so the key addresses another entry",
        lambda suffix: suffix in (".", ".."),
        KEY_SUFFIXES,
        key_suffixes(20),
    ),
    Edge(
        "key characters",
        "surrounding whitespace and control characters",
        "KEY-01",
        "form decoders and trimming frameworks change them",
        _key_has(" ", "\t", "\u0001"),
        KEY_SUFFIXES,
        key_suffixes(20),
    ),
    Edge(
        "key characters",
        "'+' written as is in the path",
        "KEY-01",
        "Go's url.PathEscape leaves '+' unencoded; a form decoder on the path reads it as a "
        "space, so the key set is not the key read percent-encoded",
        _key_has("+"),
        KEY_SUFFIXES_AS_IS,
        caught_by="plus-in-key-is-space",
    ),
    Edge(
        "key characters",
        "';' written as is in the path",
        "KEY-01",
        "servlet containers take ';' as the start of a path parameter and drop it with what "
        "follows, so kv/a;b addresses kv/a",
        _key_has(";"),
        KEY_SUFFIXES_AS_IS,
        caught_by="semicolon-path-parameters",
    ),
    # Not an edge: '//' merged into '/' (nginx, servlet containers). kv//x has an empty
    # prefix, which addresses nothing in the contract, and upstream's router (gorilla/mux,
    # which cleans paths) may well redirect it rather than answer 404: no rule to judge.
    Edge(
        "key sizes",
        "256 characters of up to 4 bytes (some 900 bytes)",
        "KEY-01",
        "the contract counts characters; a column or buffer sized in bytes refuses or cuts "
        "keys of wide characters",
        lambda suffix: isinstance(suffix, str) and len(suffix.encode()) > 4 * 200,
        KEY_SUFFIXES,
        caught_by="key-limit-in-bytes",
    ),
    Edge(
        "numbers",
        "beyond a double's range (1E400) and below its smallest (1e-400)",
        "VAL-01",
        "valid JSON, but a parser that reads numbers as doubles gets infinity (refused, or "
        "stored as Infinity) and 0",
        _contains(b"1E400", b"1e-400"),
        TRICKY_VALUES,
        caught_by="huge-numbers-rejected",
    ),
    Edge(
        "tokens",
        "the token with its case changed",
        "AUTH-02",
        "a secret compared ignoring case (a case-insensitive column collation, equalsIgnoreCase)"
        " accepts a token that is not the one issued",
        lambda token: token == _TOKEN.upper(),
        tuple(miss for miss, _ in near_misses(_TOKEN)),
        caught_by="token-case-insensitive",
    ),
    Edge(
        "tokens",
        "the token one character short, and with one appended",
        "AUTH-02",
        "a secret compared over the shorter length (strncmp with the length sent, startswith)"
        " accepts a prefix of the token, or the token with anything after it",
        lambda token: token in (_TOKEN[:-1], _TOKEN + "x"),
        tuple(miss for miss, _ in near_misses(_TOKEN)),
        caught_by="token-prefix-match",
    ),
)
