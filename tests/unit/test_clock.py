"""The run clock: the checks' deadline, the cleanup's reserve, and a remembered interrupt."""

from __future__ import annotations

import pytest

from conformance.engine.clock import FINISH_MARGIN_SECONDS, RunClock
from conformance.engine.failures import OutOfTime


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_without_a_limit_every_request_gets_its_timeout() -> None:
    clock = RunClock(None)
    assert clock.allow(10) == 10
    assert not clock.out_of_time()


def test_checks_stop_a_fifth_before_the_end_and_the_cleanup_uses_it() -> None:
    time = FakeTime()
    clock = RunClock(100, now=time)  # checks until 78 s (100 - 2 - 20); cleanup until 98 s
    time.now += 70
    assert clock.allow(10) == pytest.approx(8)  # shortened to end at the checks' deadline
    time.now += 8
    assert clock.out_of_time()
    with pytest.raises(OutOfTime):
        clock.allow(10)
    clock.begin_cleanup()
    assert clock.allow(30) == pytest.approx(100 - FINISH_MARGIN_SECONDS - 78)
    assert clock.out_of_time()  # still: the checks' time is over


def test_a_request_cut_short_by_the_deadline_is_out_of_time_not_the_servers() -> None:
    time = FakeTime()
    clock = RunClock(100, now=time)
    time.now += 78
    with pytest.raises(OutOfTime):
        clock.check_cut_short(10, 2)  # given 2 of its 10 s, and the deadline has passed
    clock.check_cut_short(10, 10)  # its own timeout: the server's doing


def test_an_interrupt_is_raised_again_by_every_request_but_the_cleanups() -> None:
    clock = RunClock(None)
    clock.interrupt()
    with pytest.raises(KeyboardInterrupt):
        clock.allow(10)
    clock.begin_cleanup()
    assert clock.allow(10) == 10
