"""Concurrent workloads for the concurrency checks: several clients per identity at once.

Each client is a thread with its own connection. Operations are recorded with their
invocation and completion times (monotonic clock) for the linearizability checker.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.client import Exchange, KVClient
from conformance.jsonvalue import JsonError, parse
from conformance.linearizability import Operation
from conformance.target import IDENTITY_NAMES, Target

JOIN_GRACE_SECONDS = 5.0
UNWRITTEN = "unwritten: "  # how read_value shows a body no set of the workload wrote


@dataclass(frozen=True)
class Recorded:
    key: str
    identity: int
    operation: Operation
    exchange: Exchange


def run_clients(
    target: Target, identities: Sequence[int], work: Callable[[KVClient, str, int], None]
) -> None:
    """Run ``work(client, name, identity)`` in one thread per entry of ``identities`` (the
    identity each thread acts as; names like A#1), all released at once; re-raise the first
    error."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(identities))
    counters: dict[int, int] = {}

    def main(identity: int, name: str) -> None:
        client = target.client(identity)
        try:
            barrier.wait(timeout=JOIN_GRACE_SECONDS)
            work(client, name, identity)
        except BaseException as error:  # handed to the caller's thread
            errors.append(error)
            barrier.abort()
        finally:
            client.close()

    threads = []
    for identity in identities:
        number = counters[identity] = counters.get(identity, 0) + 1
        name = f"{IDENTITY_NAMES[identity]}#{number}"
        threads.append(
            threading.Thread(target=main, args=(identity, name), name=f"kv-client-{name}")
        )
    for thread in threads:
        thread.start()
    # Every request is bounded by the timeout, so the threads end.
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


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
    if parsed == {}:
        return True, None
    if isinstance(parsed, dict) and isinstance(parsed.get("w"), str):
        written = str(parsed["w"])
        expected = {"w": written, "pad": pad_for(written, pad)} if pad else {"w": written}
        if parsed == expected:
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
        target: Target,
        keys: Sequence[str],
        note_write: Callable[[str, str], None],
        *,
        operations: int,
        seed: int,
        pad: int = 0,
    ) -> None:
        self.target = target
        self.keys = list(keys)
        self.note_write = note_write
        self.operations = operations
        self.seed = seed
        self.pad = pad
        self.recorded: list[Recorded] = []
        self._lock = threading.Lock()

    def run(self, identities: Sequence[int]) -> None:
        for key in self.keys:
            self.note_write("", key)
        run_clients(self.target, identities, self._client)

    def _client(self, client: KVClient, name: str, identity: int) -> None:
        rng = random.Random(f"{self.seed}-{name}")
        for n in range(self.operations):
            key = rng.choice(self.keys)
            kind = rng.choices(["set", "get", "delete"], weights=[4, 4, 2])[0]
            written = f"{name}.{n}"
            body = body_for(written, self.pad) if kind == "set" else None
            method = {"set": "POST", "get": "GET", "delete": "DELETE"}[kind]
            invoked = time.monotonic()
            exchange = client.send(method, key, body=body)
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
                self.recorded.append(Recorded(key, identity, operation, exchange))

    def histories(self) -> dict[tuple[int, str], list[Recorded]]:
        """The recorded operations of each (identity, key)."""
        by_register: dict[tuple[int, str], list[Recorded]] = {}
        for entry in self.recorded:
            by_register.setdefault((entry.identity, entry.key), []).append(entry)
        return by_register
