"""JSON syntax check with the semantics of Go's ``json.Valid``.

The upstream server stores a body verbatim after ``json.Valid`` accepts it, so the reference
server must accept and reject exactly the same byte strings. Python's ``json`` module differs:
it accepts ``NaN``/``Infinity``, guesses UTF-16/32 from byte patterns, fails on invalid UTF-8
inside strings (Go does not look at it) and recurses, so deep nesting that still fits in 8 KiB
raises ``RecursionError``. Hence this small iterative scanner over bytes.
"""

from __future__ import annotations

import re

_WHITESPACE = re.compile(rb"[ \t\n\r]*")
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Any byte but '"', '\' and controls; Go does not validate UTF-8 inside strings.
_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_LITERALS = (b"true", b"false", b"null")
_NON_FINITE = (b"NaN", b"Infinity", b"-Infinity")

_VALUE, _KEY, _AFTER = range(3)


def _skip_whitespace(data: bytes, pos: int) -> int:
    match = _WHITESPACE.match(data, pos)
    return match.end() if match else pos


def is_valid_json(data: bytes, *, allow_non_finite: bool = False) -> bool:
    """True when ``data`` is exactly one JSON value, optionally surrounded by whitespace.

    ``allow_non_finite`` additionally accepts ``NaN``, ``Infinity`` and ``-Infinity``, as
    lenient parsers do (used by a fault of the reference server).
    """
    literals = _LITERALS + _NON_FINITE if allow_non_finite else _LITERALS
    closers: list[int] = []  # expected closing byte of each open container
    pos = _skip_whitespace(data, 0)
    state = _VALUE
    while True:
        if state == _VALUE:
            head = data[pos : pos + 1]
            if head in {b"{", b"["}:
                closer = ord("}") if head == b"{" else ord("]")
                pos = _skip_whitespace(data, pos + 1)
                if data[pos : pos + 1] == bytes((closer,)):
                    pos += 1
                    state = _AFTER
                else:
                    closers.append(closer)
                    state = _KEY if head == b"{" else _VALUE
                continue
            match = _STRING.match(data, pos) if head == b'"' else _NUMBER.match(data, pos)
            if match is not None:
                pos = match.end()
            else:
                literal = next((lit for lit in literals if data.startswith(lit, pos)), None)
                if literal is None:
                    return False
                pos += len(literal)
            state = _AFTER
        elif state == _KEY:
            match = _STRING.match(data, pos)
            if match is None:
                return False
            pos = _skip_whitespace(data, match.end())
            if data[pos : pos + 1] != b":":
                return False
            pos = _skip_whitespace(data, pos + 1)
            state = _VALUE
        else:  # _AFTER: a value just ended
            pos = _skip_whitespace(data, pos)
            if not closers:
                return pos == len(data)
            head = data[pos : pos + 1]
            if head == b",":
                pos = _skip_whitespace(data, pos + 1)
                state = _KEY if closers[-1] == ord("}") else _VALUE
            elif head and head[0] == closers[-1]:
                closers.pop()
                pos += 1
            else:
                return False


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, strings skipped (how deep a
    recursive parser would have to go)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest
