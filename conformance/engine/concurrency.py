"""Concurrent workloads for the concurrency checks: several clients per identity at once.

Each client is a thread with its own connection (``Harness.concurrently``). Operations are
recorded with their invocation and completion times (monotonic clock) for the linearizability
checker.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.engine.actor import Actor
from conformance.engine.jsonvalue import JsonError, json_equal, parse
from conformance.engine.linearizability import Operation
from conformance.wire.exchange import Exchange

if TYPE_CHECKING:  # the harness runs the workload's clients
    from conformance.engine.harness import Harness

UNWRITTEN = "unwritten: "  # how read_value shows a body no set of the workload wrote


@dataclass(frozen=True)
class Recorded:
    key: str
    identity: int
    operation: Operation
    exchange: Exchange


def read_value(exchange: Exchange, pad: int = 0) -> tuple[bool, str | None]:
    """(understood, value) of a get in these workloads: value None is absent; a body that is
    no value a set of the workload wrote (with ``pad`` characters of filler) is returned as
    its text, so it matches no set."""
    if exchange.status == 404:
        return True, None
    if exchange.status != 200:
        return False, None
    try:
        parsed = parse(exchange.response_body)
    except JsonError:
        return True, f"{UNWRITTEN}not JSON {exchange.body_preview}"
    if json_equal(parsed, {}):
        return True, None
    if isinstance(parsed, dict) and isinstance(parsed.get("w"), str):
        written = str(parsed["w"])
        expected = {"w": written, "pad": pad_for(written, pad)} if pad else {"w": written}
        if json_equal(parsed, expected):
            return True, written
    # The client's redacted preview: a server may echo a token in what it answers.
    return True, f"{UNWRITTEN}{exchange.body_preview}"


def pad_for(written: str, length: int) -> str:
    """Filler unique to one write, so that half of one value joined to half of another
    is no value any set wrote."""
    return (written + "|") * (length // (len(written) + 1)) + "+" * (length % (len(written) + 1))


def body_for(written: str, pad: int = 0) -> bytes:
    if pad:
        return json.dumps({"w": written, "pad": pad_for(written, pad)}).encode()
    return json.dumps({"w": written}).encode()


class RegisterWorkload:
    """Random sets (unique values), gets and deletes of a few shared keys by several clients
    per identity; the history of each (identity, key)."""

    def __init__(
        self,
        harness: Harness,
        keys: Sequence[str],
        *,
        operations: int,
        seed: int,
        pad: int = 0,
    ) -> None:
        self.harness = harness
        self.keys = list(keys)
        self.operations = operations
        self.seed = seed
        self.pad = pad
        self.recorded: list[Recorded] = []
        self._lock = threading.Lock()

    def run(self, identities: Sequence[int]) -> None:
        self.harness.concurrently(identities, self._client)

    def _client(self, actor: Actor, name: str) -> None:
        rng = random.Random(f"{self.seed}-{name}")
        for n in range(self.operations):
            key = rng.choice(self.keys)
            kind = rng.choices(["set", "get", "delete"], weights=[4, 4, 2])[0]
            written = f"{name}.{n}"
            body = body_for(written, self.pad) if kind == "set" else None
            method = {"set": "POST", "get": "GET", "delete": "DELETE"}[kind]
            invoked = time.monotonic()
            exchange = actor.send(method, key, body=body, allow_no_answer=True)
            completed: float | None = time.monotonic()
            if kind == "get":
                understood, value = read_value(exchange, self.pad)
                if not understood:
                    completed = None  # a failed read tells nothing
            else:
                value = written if kind == "set" else None
                if exchange.status is None or not 200 <= exchange.status < 300:
                    completed = None  # may or may not have taken effect
            operation = Operation(name, kind, value, invoked, completed)  # type: ignore[arg-type]
            with self._lock:
                self.recorded.append(Recorded(key, actor.index, operation, exchange))

    def histories(self) -> dict[tuple[int, str], list[Recorded]]:
        """The recorded operations of each (identity, key)."""
        by_register: dict[tuple[int, str], list[Recorded]] = {}
        for entry in self.recorded:
            by_register.setdefault((entry.identity, entry.key), []).append(entry)
        return by_register
