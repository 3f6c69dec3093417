"""The circuit breaker: after --kv-unanswered-limit missing answers, HTTP-01 fails with all
of them as evidence and the checks stop; the cleanup still sends."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.engine.breaker import Breaker
from conformance.engine.clock import RunClock
from conformance.engine.failures import Stopped
from conformance.engine.requirements import Catalogue
from conformance.wire.exchange import Exchange, Redactor

ANSWERED = Redactor({}).request("GET", "http://127.0.0.1:1/kv/k", {}, None, ())
UNANSWERED = replace(ANSWERED, error="no complete answer within 1 s", error_kind="timeout")


def answered() -> Exchange:
    return replace(ANSWERED, status=200)


def test_opens_at_the_limit_with_every_missing_answer_as_evidence() -> None:
    clock = RunClock(None)
    breaker = Breaker(3, clock, Catalogue.load(), timeout=1)
    for exchange in (UNANSWERED, answered(), UNANSWERED):
        breaker.observe(exchange)
    assert not breaker.open
    assert clock.allow(1) == 1
    breaker.observe(UNANSWERED)
    assert breaker.open
    with pytest.raises(Stopped, match="3 requests of the run without an answer"):
        clock.allow(1)
    failure = breaker.take_failure()
    assert failure is not None
    assert failure.requirement.id == "HTTP-01"
    assert len(failure.steps) == 3
    assert "3 requests got no answer" in failure.received
    assert breaker.take_failure() is None  # reported once
    clock.begin_cleanup()
    assert clock.allow(1) == 1  # the cleanup still sends


def test_a_limit_of_zero_never_opens() -> None:
    clock = RunClock(None)
    breaker = Breaker(0, clock, Catalogue.load(), timeout=1)
    for _ in range(100):
        breaker.observe(UNANSWERED)
    assert not breaker.open
    assert clock.allow(1) == 1


def test_the_cleanups_missing_answers_do_not_count() -> None:
    clock = RunClock(None)
    clock.begin_cleanup()
    breaker = Breaker(1, clock, Catalogue.load(), timeout=1)
    breaker.observe(UNANSWERED)
    assert not breaker.open
