"""JSON equality, as the suite judges a round trip.

- Numbers compare by value, exactly: ``1`` = ``1.0`` = ``1e0``, ``-0.0`` = ``0``, and
  ``12345678901234567890123`` differs from ``12345678901234567890124`` (parsed as ``Decimal``,
  never through a float).
- A number never equals a boolean (Python's ``True == 1`` does not apply), nor ``null``.
- Object members are unordered; arrays are ordered; strings compare as exact code points
  (no Unicode normalisation).
- Nesting is as deep as 8192 bytes allow (some 4,000 levels): past the standard library's
  recursion limit, values are parsed and compared without recursion.
"""

from __future__ import annotations

import json
import re
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
    except ValueError as error:
        raise JsonError(str(error)) from error
    except RecursionError:
        pass
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return _parse_without_recursion(text)
    except ValueError as error:  # JsonError, or a bad escape or encoding
        raise JsonError(str(error)) from error


_WHITESPACE = " \t\n\r"
_TOKEN = re.compile(
    r"[ \t\n\r]*(?:(?P<punct>[][{}:,])|(?P<string>\"(?:[^\"\\\x00-\x1f]|\\.)*\")"
    r"|(?P<literal>true|false|null)|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?))"
)
_LITERALS = {"true": True, "false": False, "null": None}


def _parse_without_recursion(text: str) -> Any:
    """The same values as ``parse``, with an explicit stack instead of recursion."""
    stack: list[list[Any] | dict[str, Any]] = []
    keys: list[str] = []
    expect = "value"  # value, first-value, key, first-key, colon, comma, end
    result: Any = None
    pos = 0
    while (match := _TOKEN.match(text, pos)) is not None:
        pos = match.end()
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        value: Any
        if expect in ("value", "first-value"):
            if token in ("[", "{"):
                stack.append([] if token == "[" else {})
                keys.append("")
                expect = "first-value" if token == "[" else "first-key"
                continue
            if token == "]" and expect == "first-value":
                value = stack.pop()
                keys.pop()
            elif kind == "string":
                value = json.loads(token)
            elif kind == "literal":
                value = _LITERALS[token]
            elif kind == "number":
                value = Decimal(token)
            else:
                raise JsonError(f"unexpected {token!r} at offset {pos - len(token)}")
        elif expect in ("key", "first-key") and kind == "string":
            keys[-1] = json.loads(token)
            expect = "colon"
            continue
        elif expect == "first-key" and token == "}":
            value = stack.pop()
            keys.pop()
        elif expect == "colon" and token == ":":
            expect = "value"
            continue
        elif expect == "comma" and token == ",":
            expect = "value" if isinstance(stack[-1], list) else "key"
            continue
        elif expect == "comma" and token == ("]" if isinstance(stack[-1], list) else "}"):
            value = stack.pop()
            keys.pop()
        else:
            raise JsonError(f"unexpected {token!r} at offset {pos - len(token)}")
        # A value is complete: it goes into the enclosing container, or is the result.
        if not stack:
            result, expect = value, "end"
            break
        if isinstance(stack[-1], list):
            stack[-1].append(value)
        else:
            stack[-1][keys[-1]] = value
        expect = "comma"
    if expect != "end" or text[pos:].strip(_WHITESPACE):
        raise JsonError(f"not exactly one JSON value (offset {pos})")
    return result


def json_equal(left: Any, right: Any) -> bool:
    """Equality of two parsed JSON values (see the module docstring)."""
    pending = [(left, right)]
    while pending:
        left, right = pending.pop()
        if isinstance(left, bool) or isinstance(right, bool):
            equal = type(left) is type(right) and left == right
        elif left is None or right is None:
            equal = left is right
        elif isinstance(left, Decimal | int | float) and isinstance(right, Decimal | int | float):
            equal = Decimal(left) == Decimal(right)
        elif isinstance(left, str) and isinstance(right, str):
            equal = left == right
        elif isinstance(left, list) and isinstance(right, list):
            equal = len(left) == len(right)
            pending.extend(zip(left, right, strict=False))
        elif isinstance(left, dict) and isinstance(right, dict):
            equal = left.keys() == right.keys()
            pending.extend((left[k], right[k]) for k in left if equal)
        else:
            equal = False
        if not equal:
            return False
    return True


def same_json(received: bytes, expected: bytes) -> bool:
    """Whether a received body is JSON-equal to the expected one (False if not JSON)."""
    try:
        return json_equal(parse(received), parse(expected))
    except JsonError:
        return False
