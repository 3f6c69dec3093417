"""What is written stays: through the run, in numbers, and across a restart.

DUR-01 and RST-01 run last (the plugin orders them): DUR-01 reads entries written when the
run started; RST-01 restarts the server.
"""

from __future__ import annotations

import time

import pytest

from conformance.engine.actor import Actor
from conformance.engine.concurrency import body_for, read_value
from conformance.engine.failures import NotTested
from conformance.engine.harness import Harness
from conformance.engine.jsonvalue import same_json
from conformance.engine.restart import restart
from conformance.engine.target import EarlyEntry
from conformance.wire.exchange import Exchange

CAPACITY = 1000
RESTART_KEYS_PER_ROUTE = 50
BACK_AFTER_RESTART_SECONDS = 60.0
POLL_SECONDS = 0.2


def same_value(exchange: Exchange, body: bytes) -> bool:
    return exchange.status == 200 and same_json(exchange.response_body, body)


@pytest.mark.requirement("CAP-01")
def test_an_identity_holds_a_thousand_entries(kv: Harness) -> None:
    keys = [kv.key(f"-many{n}") for n in range(CAPACITY)]

    def write(key: str) -> Exchange:
        return kv.a.send("POST", key, body=body_for(key), allow_no_answer=True)

    # Over the run's lanes: --kv-connections sets in flight at once.
    written = kv.in_parallel(keys, write)
    acknowledged = {
        key: exchange
        for key, exchange in zip(keys, written, strict=True)
        if exchange.status in (200, 201)
    }
    refused = [exchange for exchange in written if exchange.status not in (200, 201)]

    def read(key: str) -> Exchange:
        return kv.a.send("GET", key, allow_no_answer=True)

    held = list(acknowledged)  # read only once every set has been answered
    got = kv.in_parallel(held, read)
    missing = [
        (acknowledged[key], answer)
        for key, answer in zip(held, got, strict=True)
        if read_value(answer) != (True, key)
    ]
    if refused:
        kv.fail(
            "CAP-01",
            f"all {CAPACITY} sets acknowledged",
            f"{len(refused)} not acknowledged; the first: {refused[0].summary()}",
            steps=refused[:1],
        )
    if missing:
        kv.fail(
            "CAP-01",
            f"every one of {CAPACITY} entries set by identity A readable while all are held",
            f"{len(missing)} of them read otherwise; the first: {missing[0][1].summary()}",
            steps=missing[0],
        )


@pytest.mark.requirement("DUR-01")
def test_entries_written_at_the_start_are_unchanged_at_the_end(kv: Harness) -> None:
    early = [entry for entry in kv.target.early if entry.acknowledged]
    if not early:
        raise NotTested("no entry written at the start of the run was acknowledged")
    # The point is the passing of time: wait until the oldest entry is --kv-hold old.
    hold_until = min(entry.written_at for entry in early) + kv.settings.hold_seconds
    while (remaining := hold_until - time.monotonic()) > 0:
        time.sleep(min(remaining, 1.0))
    actors = kv.actors

    def read(entry: EarlyEntry) -> None:
        got = actors[entry.identity].get(entry.key, prefix=entry.prefix)
        age = time.monotonic() - entry.written_at
        kv.check(
            same_value(got, entry.body),
            "DUR-01",
            f"the value set {age:.1f} s earlier, at the start of the run: {entry.body.decode()}",
        )

    kv.in_parallel(early, read)


@pytest.mark.requirement("RST-01")
def test_acknowledged_sets_survive_a_restart(kv: Harness) -> None:
    command = kv.settings.restart_command
    assert command, "suite bug: RST-01 is deselected without --restart-cmd"
    planned = [
        (actor, prefix, kv.key("-restart"), body_for(f"{actor.name}.{prefix}.{number}"))
        for actor in kv.actors
        for prefix in kv.routes()
        for number in range(RESTART_KEYS_PER_ROUTE)
    ]

    def write(plan: tuple[Actor, str, str, bytes]) -> bool:
        actor, prefix, key, body = plan
        return actor.set(key, body, prefix=prefix).status in (200, 201)

    acknowledged = kv.in_parallel(planned, write)
    written = [plan for plan, ok in zip(planned, acknowledged, strict=True) if ok]
    if not written:
        raise NotTested("no set was acknowledged before the restart, so none can be checked")
    with kv.target.breaker.restarting():
        restart(command, kv.target.clock)
        wait_until_back(kv, *written[0][:3])

    def read(plan: tuple[Actor, str, str, bytes]) -> None:
        actor, prefix, key, body = plan
        got = actor.get(key, prefix=prefix)
        kv.check(
            same_value(got, body),
            "RST-01",
            f"the value acknowledged before the restart: {body.decode()} "
            f"({len(written)} sets acknowledged before it)",
        )

    kv.in_parallel(written, read)


def wait_until_back(kv: Harness, actor: Actor, prefix: str, key: str) -> None:
    """Poll until the restarted server answers (refusals meanwhile are expected)."""
    deadline = time.monotonic() + BACK_AFTER_RESTART_SECONDS
    while actor.send("GET", key, prefix=prefix, allow_no_answer=True).status in (None, 502, 503):
        if time.monotonic() > deadline:
            kv.fail(
                "RST-01",
                f"the server answering within {BACK_AFTER_RESTART_SECONDS:g} s after the "
                "restart command finished",
            )
        time.sleep(POLL_SECONDS)
