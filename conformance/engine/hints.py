"""Hints beside a verdict: a likely cause outside the server, which the run cannot tell apart.

A hint never changes a verdict; it is added to what a failure received.
"""

from __future__ import annotations

from conformance.engine.jsonvalue import JsonError, parse
from conformance.wire.exchange import Exchange

# Upstream keeps data per user, so two tokens of one user share their entries by design.
SAME_USER = (
    "If both tokens belong to the same user, that is upstream's design (entries are kept per "
    "user): give tokens of two different users"
)


def writer(body: bytes) -> str | None:
    """Who wrote a value the suite stored, where the value names its writer (``"by"``)."""
    try:
        value = parse(body)
    except JsonError:
        return None
    return value.get("by") if isinstance(value, dict) and isinstance(value.get("by"), str) else None


def same_user(got: Exchange, other: str | None) -> str | None:
    """What a read received, with the hint, where it is identity ``other``'s value."""
    author = writer(got.response_body) if got.status == 200 else None
    if other is None or author != other:
        return None
    return f"{got.summary()}, written by {other}. {SAME_USER}"
