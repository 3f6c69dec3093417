"""The one way the suite sends a request: ``Actor.send``.

Checks, concurrent workers, the capacity and durability entries, the preflight, the sweep and
the fuzzing cases all send through an ``Actor``: it refuses any key outside the run's
namespace, notes every write before it is sent (for the cleanup), sends through a client
whose budget is the run clock, and hands every exchange to the check that sent it (its
``Evidence``), which keeps it for the failure's reproduction and makes a missing answer the
evidence of HTTP-01.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn, Protocol

from conformance.engine.namespace import Entry, RunNamespace
from conformance.wire.client import OWN_TOKEN, KVClient, _Default
from conformance.wire.exchange import Exchange

IDENTITY_NAMES = ("A", "B")
WRITE_METHODS = frozenset({"POST", "PUT"})
DELETED = frozenset({200, 204})  # a delete acknowledged


def token_variable(index: int) -> str:
    """The shell variable a token is shown as: KV_TOKEN, KV_TOKEN_B, KV_TOKEN_3, ..."""
    return "KV_TOKEN" if index == 0 else "KV_TOKEN_B" if index == 1 else f"KV_TOKEN_{index + 1}"


class Evidence(Protocol):
    """What a check keeps of the requests it sends (the Harness)."""

    def note_write(self, entry: Entry) -> None: ...

    def record(self, exchange: Exchange) -> None: ...

    def no_answer(self, exchange: Exchange) -> NoReturn: ...


class Actor:
    """One identity, sending over one client (one keep-alive connection)."""

    def __init__(
        self,
        index: int,
        client: KVClient,
        namespace: RunNamespace,
        evidence: Evidence | None = None,
        *,
        concurrent_writers: bool = False,
    ) -> None:
        self.index = index
        self.name = IDENTITY_NAMES[index]
        self.client = client
        self.namespace = namespace
        self.evidence = evidence
        self.sent = 0  # requests this actor sent (a concurrent client's share of the chain)
        # Other clients may write the same keys at once: an acknowledged delete proves
        # nothing about what is left (see RunNamespace.forget).
        self.concurrent_writers = concurrent_writers

    def send(
        self,
        method: str,
        key: str,
        *,
        prefix: str = "",
        body: bytes | None = None,
        authorization: str | _Default | None = OWN_TOKEN,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        allow_no_answer: bool = False,
    ) -> Exchange:
        """Send one request of the run. ``url`` addresses it instead of ``key`` (routing checks,
        fuzzing); ``key`` and ``prefix`` still name the entry a write may create. Without
        ``allow_no_answer``, a request that got no answer fails HTTP-01 (with evidence)."""
        self.namespace.guard(key if url is None else url, self.client.kv_root)
        entry = (self.index, prefix, key)
        withdraw = None
        if method in WRITE_METHODS:
            withdraw = self.namespace.note_write(entry)
            if self.evidence is not None:
                self.evidence.note_write(entry)
        forgettable = method == "DELETE" and url is None and not self.concurrent_writers
        version = self.namespace.version(entry) if forgettable else 0
        self.sent += 1
        try:
            exchange = self.client.send(
                method,
                key,
                prefix=prefix,
                body=body,
                authorization=authorization,
                headers=headers,
                url=url,
            )
        except BaseException as error:
            if withdraw is not None and getattr(error, "not_sent", False):
                withdraw()  # the clock refused it: nothing reached the server
            raise
        if forgettable and exchange.status in DELETED:
            self.namespace.forget(entry, version)
        if self.evidence is not None:
            self.evidence.record(exchange)
            if exchange.status is None and not allow_no_answer:
                self.evidence.no_answer(exchange)
        return exchange

    def set(self, key: str, body: bytes, *, prefix: str = "", method: str = "POST") -> Exchange:
        return self.send(method, key, prefix=prefix, body=body)

    def get(self, key: str, *, prefix: str = "") -> Exchange:
        return self.send("GET", key, prefix=prefix)

    def delete(self, key: str, *, prefix: str = "") -> Exchange:
        return self.send("DELETE", key, prefix=prefix)
