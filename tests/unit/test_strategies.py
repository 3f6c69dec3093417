"""The generators of values and keys produce what the requirements talk about."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from conformance.engine.config import DEFAULT_EXAMPLES
from conformance.engine.edges import nesting
from conformance.engine.jsonvalue import parse
from conformance.engine.strategies import (
    KEY_SUFFIXES,
    MAX_DEPTH,
    MAX_KEY_CHARS,
    MAX_VALUE_BYTES,
    TRICKY_VALUES,
    deep_texts,
    deep_values,
    encoded_values,
    key_suffixes,
    sized_array,
    sized_object,
    sized_value,
)
from conformance.reference.jsonsyntax import is_valid_json


@settings(max_examples=200)
@given(encoded_values())
def test_encoded_values_are_json_within_the_limit(body: bytes) -> None:
    assert len(body) <= MAX_VALUE_BYTES
    assert is_valid_json(body)
    parse(body)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(deep_values())
def test_deep_values_stay_within_depth_32(value: object) -> None:
    assert 1 <= _depth(value) <= MAX_DEPTH


def test_tricky_values_include_depth_32_and_big_integers() -> None:
    depths = [nesting(body) for body in TRICKY_VALUES]
    assert MAX_DEPTH in depths
    # Past a recursive parser's limit (500, 1000), up to the deepest array of 8192 bytes.
    assert {600, 1637, 4096} <= set(depths)
    assert any(b"12345678901234567890123" in body for body in TRICKY_VALUES)
    assert all(is_valid_json(body) for body in TRICKY_VALUES)


@given(st.integers(0, 60).map(lambda n: "kvc-0123abcd-" + "9" * n), st.data())
def test_keys_never_contain_a_slash_and_fit_256_characters(
    marker: str, data: st.DataObject
) -> None:
    suffix = data.draw(key_suffixes(len(marker)))
    assert "/" not in suffix
    assert len(marker + suffix) <= MAX_KEY_CHARS
    assert "\0" not in suffix


def test_explicit_key_suffixes_have_no_slash() -> None:
    assert all("/" not in suffix for suffix in KEY_SUFFIXES)


@pytest.mark.parametrize("unit", ["x", "\u00e9", "\u20ac", "\U0001f600"])
@pytest.mark.parametrize("size", [3, 4, 5, 4096, 8191, 8192, 8193])
def test_sized_value_is_exact(size: int, unit: str) -> None:
    assert len(sized_value(size, unit)) == size


@pytest.mark.parametrize("size", [3, 4, 8192, 8193, 8194])
def test_sized_containers_are_exact(size: int) -> None:
    assert len(sized_array(size)) == size
    assert json.loads(sized_array(size))
    assert len(sized_object(size + 8)) == size + 8


def _deeper_than(depth: int) -> Callable[[bytes], bool]:
    return lambda text: nesting(text) > depth


@pytest.mark.parametrize("depth", [500, 1000])
def test_the_default_budget_reaches_past_recursion_limits(depth: int) -> None:
    # Within the default examples of a property (40), past 500 and 1000 levels.
    budget = settings(max_examples=DEFAULT_EXAMPLES, database=None, derandomize=True)
    assert nesting(find(deep_texts(), _deeper_than(depth), settings=budget)) > depth


@settings(max_examples=100)
@given(deep_texts())
def test_deep_values_fit_and_parse(body: bytes) -> None:
    assert nesting(body) > MAX_DEPTH
    assert len(body) <= MAX_VALUE_BYTES
    assert is_valid_json(body)
    parse(body)
