"""openapi/kv.yaml is a valid OpenAPI document describing both routes and all methods."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

SPEC_PATH = Path(__file__).parents[2] / "openapi" / "kv.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def test_validates(spec: dict[str, Any]) -> None:
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema


def test_routes_and_methods(spec: dict[str, Any]) -> None:
    methods = {"get", "post", "put", "delete"}
    assert {path: set(item) & methods for path, item in spec["paths"].items()} == {
        "/{key}": methods,
        "/{prefix}/{key}": methods,
    }


def test_bearer_security(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        **spec["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"bearer": []}]


def test_alternative_answers_are_listed(spec: dict[str, Any]) -> None:
    for path in spec["paths"].values():
        assert {"200", "404"} <= set(path["get"]["responses"])
        assert {"200", "201", "400", "413", "422"} <= set(path["post"]["responses"])
        assert path["put"]["responses"] == path["post"]["responses"]
        assert {"200", "204", "404"} <= set(path["delete"]["responses"])


def _pattern(spec: dict[str, Any], name: str) -> re.Pattern[str]:
    return re.compile(spec["components"]["parameters"][name]["schema"]["pattern"])


@pytest.mark.parametrize("key", ["a", "a b", "%41", "\u00e9", "\U0001f511" * 300])
def test_key_pattern_accepts(spec: dict[str, Any], key: str) -> None:
    assert _pattern(spec, "key").search(key)


@pytest.mark.parametrize("key", ["", "a/b", "/"])
def test_key_pattern_rejects(spec: dict[str, Any], key: str) -> None:
    assert not _pattern(spec, "key").search(key)


@pytest.mark.parametrize("prefix", ["a", "ab", " ", "\u00e9", "\u07ff"])
def test_prefix_pattern_accepts_one_or_two_bytes(spec: dict[str, Any], prefix: str) -> None:
    assert len(prefix.encode()) <= 2
    assert _pattern(spec, "prefix").search(prefix)


@pytest.mark.parametrize("prefix", ["", "abc", "a\u00e9", "\u0800", "\u20ac", "\U0001f511", "/"])
def test_prefix_pattern_rejects_longer(spec: dict[str, Any], prefix: str) -> None:
    assert not _pattern(spec, "prefix").search(prefix)
