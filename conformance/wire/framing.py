"""Answers that belong to another request, told in plain words.

On a kept-alive HTTP/1.1 connection a server reads each request whole, body included, before
the next one, and sends exactly one answer per request. Two defects break that, and both make
an answer look like the server's verdict on the wrong request:

- it answers (a 401, say) without reading the request's body and keeps the connection open:
  the body's bytes are read as the start of the next request, which is then answered as the
  garbage it has become (400, 405 or 501 for a method such as ``"intruder"PUT``);
- it sends an answer nobody asked for (two answers to one request): a client reads the extra
  one as the answer to its next request.

Each exchange knows the one before it on its connection and what came after its answer
unasked (``Exchange.previous``, ``Exchange.stray``), so a failure can say which of these it
looks like and give a reproduction over one connection (``curl --next``). HTTP-02's check
provokes both on purpose; elsewhere this is a hint beside a failure, never its verdict.
"""

from __future__ import annotations

from typing import Final

from conformance.wire.exchange import Exchange

# What a server answers to a request line or head it cannot make sense of.
_MISREAD_STATUSES: Final = frozenset({400, 405, 411, 413, 414, 431, 501, 505})


def out_of_step(exchange: Exchange) -> str | None:
    """Why ``exchange``'s answer may belong to another request, or None."""
    if exchange.stray:
        return (
            "after this answer had ended the server sent more, unasked: "
            f"{exchange.stray}; a client on this connection would take that for the answer "
            "to its next request (HTTP-02)"
        )
    previous = exchange.previous
    if previous is None or previous.request_body is None or not suspect(exchange):
        return None
    answered = f"answered {previous.status}" if previous.status is not None else previous.error
    return (
        "this request followed, on the same connection, "
        f"{previous.method} {previous.redacted_url} ({answered}) with a "
        f"{len(previous.request_body)}-byte body; a server that answers before reading a "
        "body and keeps the connection open reads that body as the start of the next "
        "request, which is then answered as garbage (HTTP-02)"
    )


def suspect(exchange: Exchange) -> bool:
    """Whether ``exchange``'s answer may be the server's answer to the body of the refused
    request before it on the connection: only sending the request again on a fresh
    connection tells (a 400 after a 400 is usually just that)."""
    previous = exchange.previous
    if previous is None or not previous.request_body or not _misread(exchange):
        return False
    # A request that was served had its body read.
    return previous.status is None or not 200 <= previous.status < 300


def _misread(exchange: Exchange) -> bool:
    if exchange.status is None:
        return exchange.error_kind in ("garbled", "reset", "cut-off", "unusable")
    return exchange.status in _MISREAD_STATUSES
