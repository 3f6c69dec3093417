"""The run's lanes: independent work at once, outcomes in item order, the dependent chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from conformance.engine.lanes import Lanes


@pytest.fixture
def lanes() -> Iterator[Lanes]:
    lanes = Lanes(4)
    yield lanes
    lanes.close()


def test_outcomes_come_in_item_order_with_their_errors(lanes: Lanes) -> None:
    def work(number: int) -> int:
        if number == 2:
            raise ValueError("two")
        return number * 10

    outcomes = lanes.run(list(range(6)), work)
    assert [o.result for o in outcomes] == [0, 10, None, 30, 40, 50]
    assert isinstance(outcomes[2].error, ValueError)
    assert all(o.ran for o in outcomes)


def test_items_run_at_once_on_threads_of_their_own(lanes: Lanes) -> None:
    barrier = threading.Barrier(4, timeout=10)  # only passes if four items wait together
    names = lanes.run(list(range(4)), lambda _: (barrier.wait(), threading.current_thread().name))
    assert all(o.error is None for o in names), [o.error for o in names]
    assert len({o.result[1] for o in names if o.result}) == 4


def test_after_an_error_later_items_not_started_are_not_run() -> None:
    lanes = Lanes(2)
    started: list[int] = []
    first_failed = threading.Event()

    def work(number: int) -> None:
        started.append(number)
        if number == 0:
            first_failed.set()
            raise ValueError("first")
        first_failed.wait(10)

    try:
        outcomes = lanes.run(list(range(50)), work, stop_after_error=True)
    finally:
        lanes.close()
    assert isinstance(outcomes[0].error, ValueError)
    assert not all(o.ran for o in outcomes)
    assert len(started) < 50


def test_work_from_a_lane_runs_there_one_item_after_another(lanes: Lanes) -> None:
    def inner(_: int) -> str:
        return threading.current_thread().name

    def outer(_: int) -> list[str | None]:
        return [o.result for o in lanes.run([1, 2, 3], inner)]

    (outcome,) = [o for o in lanes.run([0, 1], outer) if o.index == 0]
    assert outcome.result is not None
    assert len(set(outcome.result)) == 1


def test_one_lane_runs_everything_on_the_calling_thread() -> None:
    lanes = Lanes(1)
    names = lanes.run([1, 2], lambda _: threading.current_thread().name)
    assert {o.result for o in names} == {threading.current_thread().name}


def test_the_chain_counts_the_busiest_lane_or_the_share_of_each() -> None:
    lanes = Lanes(4)
    try:
        for _ in range(3):  # three requests from the main thread, one after another
            lanes.count_request()

        def send(count: int) -> None:
            for _ in range(count):
                lanes.count_request()

        lanes.run([5, 1, 1, 1], send)  # the longest item: 5
        assert lanes.chain == 3 + 5
        lanes.run([2] * 40, send)  # 80 requests over 4 lanes: at least 20 each
        assert lanes.chain == 3 + 5 + 20
    finally:
        lanes.close()
