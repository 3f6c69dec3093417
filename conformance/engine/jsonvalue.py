"""JSON equality, as the suite judges a round trip.

- Numbers compare by value, exactly: ``1`` = ``1.0`` = ``1e0``, ``-0.0`` = ``0``, and
  ``12345678901234567890123`` differs from ``12345678901234567890124`` (parsed as ``Decimal``,
  never through a float).
- A number never equals a boolean (Python's ``True == 1`` does not apply), nor ``null``.
- Object members are unordered; arrays are ordered; strings compare as exact code points
  (no Unicode normalisation).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["JsonError", "json_equal", "parse"]


class JsonError(ValueError):
    """The bytes are not exactly one JSON value."""


def _reject_constant(name: str) -> None:
    raise JsonError(f"{name} is not JSON")


def parse(data: bytes | str) -> Any:
    """Parse strictly: numbers as ``Decimal``, no ``NaN``/``Infinity``."""
    try:
        return json.loads(
            data, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as error:
        raise JsonError(str(error)) from error


def json_equal(left: Any, right: Any) -> bool:
    """Equality of two parsed JSON values (see the module docstring)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if left is None or right is None:
        return left is right
    if isinstance(left, Decimal | int | float) and isinstance(right, Decimal | int | float):
        return Decimal(left) == Decimal(right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return False


def same_json(received: bytes, expected: bytes) -> bool:
    """Whether a received body is JSON-equal to the expected one (False if not JSON)."""
    try:
        return json_equal(parse(received), parse(expected))
    except JsonError:
        return False
