"""Several clients per identity at once: linearizable keys, no lost updates, no torn values."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from conformance.engine import hints
from conformance.engine.actor import Actor
from conformance.engine.concurrency import (
    UNWRITTEN,
    Recorded,
    RegisterWorkload,
    body_for,
    read_value,
)
from conformance.engine.failures import NotTested
from conformance.engine.harness import Harness
from conformance.engine.linearizability import check, minimal_violation, timeline
from conformance.wire.exchange import Exchange

CLIENTS_PER_IDENTITY = 4
SHARED_KEYS = 2
LARGE_VALUE_PAD = 6000  # bytes of filler: a value of about 6 KB, under the 8192-byte limit


def clients(kv: Harness, per_identity: int = CLIENTS_PER_IDENTITY) -> list[int]:
    """The identity of each concurrent client: both identities when there are two."""
    return [identity for identity in range(kv.target.identities) for _ in range(per_identity)]


def fail_on_server_errors(kv: Harness, exchanges: Sequence[Exchange]) -> None:
    """A valid request never gets a 5xx or no answer, however many arrive at once."""
    for exchange in exchanges:
        if exchange.status is None or exchange.status >= 500:
            kv.fail(
                "HTTP-01",
                "an answer below 500 to a valid request sent concurrently",
                steps=[exchange],
            )


@pytest.mark.requirement("CON-01")
def test_concurrent_operations_on_one_key_are_linearizable(kv: Harness) -> None:
    keys = [kv.key("-shared") for _ in range(SHARED_KEYS)]
    workload = RegisterWorkload(
        kv,
        keys,
        operations=kv.settings.concurrent_operations,
        seed=kv.settings.seed,
    )
    workload.run(clients(kv))
    undecided = []
    for (identity, key), recorded in sorted(workload.histories().items()):
        verdict = check([entry.operation for entry in recorded])
        if verdict.outcome == "not linearizable":
            explain_violation(kv, identity, key, recorded)
        if verdict.outcome == "unknown":
            undecided.append(key)
    fail_on_server_errors(kv, [entry.exchange for entry in workload.recorded])
    if undecided:
        raise NotTested(f"the history of {undecided} was too tangled to decide within budget")


def explain_violation(kv: Harness, identity: int, key: str, recorded: list[Recorded]) -> None:
    minimal = minimal_violation([entry.operation for entry in recorded])
    exchanges = {entry.operation: entry.exchange for entry in recorded}
    lines = "\n".join(f"      {line}" for line in timeline(minimal))
    name = "AB"[identity]
    # Both identities use the same keys: a read of the other's value fits one shared user.
    shared = any(
        op.kind == "get" and op.value is not None and not op.value.startswith(f"{name}#")
        for op in minimal
    )
    kv.fail(
        "CON-01",
        f"some order of the operations on {key} by identity {name}, each taking "
        "effect between its request and its answer, explains every read",
        f"none does for these {len(minimal)} operations (times from the first request):\n{lines}"
        + (
            f"\n    Identity {name} read the other identity's value. {hints.SAME_USER}"
            if shared
            else ""
        ),
        steps=[exchanges[op] for op in minimal],
    )


@pytest.mark.requirement("CON-02")
def test_concurrent_sets_of_distinct_keys_are_all_kept(kv: Harness) -> None:
    per_client = max(10, kv.settings.concurrent_operations // 2)
    acknowledged: dict[str, Exchange] = {}
    every: list[Exchange] = []
    lock = threading.Lock()

    def work(actor: Actor, name: str) -> None:
        for number in range(per_client):
            key = kv.key(f"-{name.replace('#', '')}-{number}")
            exchange = actor.send("POST", key, body=body_for(key), allow_no_answer=True)
            with lock:
                every.append(exchange)
                if exchange.status in (200, 201):
                    acknowledged[key] = exchange

    kv.concurrently([0] * (2 * CLIENTS_PER_IDENTITY), work)

    def read_back(key: str) -> None:
        got = kv.a.get(key)
        if read_value(got) != (True, key):
            kv.fail(
                "CON-02",
                f"the value of the acknowledged set, {body_for(key).decode()}, read back "
                f"(one of {len(acknowledged)} sets sent at once)",
                steps=[acknowledged[key], got],
            )

    kv.in_parallel(sorted(acknowledged), read_back)
    fail_on_server_errors(kv, every)


@pytest.mark.requirement("CON-03")
def test_reads_concurrent_with_large_sets_are_never_torn(kv: Harness) -> None:
    key = kv.key("-large")
    writes = max(10, kv.settings.concurrent_operations // 2)
    writers = 2
    writers_done = threading.Event()
    finished: list[str] = []
    torn: list[Exchange] = []
    every: list[Exchange] = []
    lock = threading.Lock()

    def work(actor: Actor, name: str) -> None:
        if int(name.split("#", 1)[1]) <= writers:
            for n in range(writes):
                body = body_for(f"{name}.{n}", LARGE_VALUE_PAD)
                exchange = actor.send("POST", key, body=body, allow_no_answer=True)
                with lock:
                    every.append(exchange)
            with lock:
                finished.append(name)
                if len(finished) == writers:
                    writers_done.set()
            return
        # Readers read until the writers are done (and at most this often).
        for _ in range(writes * 4):
            if writers_done.is_set():
                return
            exchange = actor.send("GET", key, allow_no_answer=True)
            _, value = read_value(exchange, LARGE_VALUE_PAD)
            with lock:
                every.append(exchange)
                if value is not None and value.startswith(UNWRITTEN):
                    torn.append(exchange)

    # The key holds a whole value from the start, so every read has one to see: against a
    # server that stores nothing, "never torn" would hold vacuously.
    kv.stored(kv.a, key, body_for("initial", LARGE_VALUE_PAD), before="CON-03")
    kv.concurrently([0] * (writers + 2), work)
    if torn:
        kv.fail(
            "CON-03",
            f"absent, or one whole value of about {LARGE_VALUE_PAD} bytes that a concurrent "
            f'set wrote ({{"w": ..., "pad": ...}})',
            f"{torn[0].summary()} ({len(torn)} such reads)",
            steps=torn[:1],
        )
    fail_on_server_errors(kv, every)
