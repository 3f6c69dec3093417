"""The run's lanes: worker threads that send independent requests at once.

Across a network a run's time is (requests sent one after another) x (round trip). Work that
does not depend on other work (the examples of a property, the setup and read-back of many
entries, the cleanup's deletes) is spread over ``--kv-connections`` lanes, so the run takes
about as long as its longest chain of dependent requests. Each lane is a thread; a client
gives each thread its own keep-alive connection (``conformance.wire.client``), so a lane
keeps its connections from one check to the next. Every request still goes through
``Actor.send``.

The lanes also count the run's dependent chain: for each batch, the most requests one lane
sent; between batches, every request the calling thread sent. The benchmark compares the
run's wall time with that chain times the round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """What became of one item: its result, the exception it raised, or not run (cancelled
    after an earlier item failed)."""

    index: int
    result: R | None = None
    error: BaseException | None = None
    ran: bool = True


class Lanes:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("at least one lane")
        self.size = size
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._chain = 0  # requests on the run's longest dependent chain so far

    # -- running work -------------------------------------------------------------------

    def run(
        self,
        items: Sequence[T],
        work: Callable[[T], R],
        *,
        stop_after_error: bool = False,
    ) -> list[Outcome[R]]:
        """``work(item)`` for every item, up to ``size`` at once; the outcomes in item order.

        With ``stop_after_error``, once an item raises, the items after it that have not
        started are not run (those before it still are: the first failure in item order is
        what a sequential run would have found). From a lane itself (a check's work that
        asks for more lanes), or with one lane, the items run one after another here."""
        if self.size == 1 or len(items) <= 1 or self.in_lane():
            return self._inline(items, work, stop_after_error)
        executor = self._start()
        counts: list[int] = [0] * len(items)

        def one(index: int) -> R:
            self._local.sent = 0
            try:
                return work(items[index])
            finally:
                counts[index] = self._local.sent

        futures: list[Future[R]] = [executor.submit(one, index) for index in range(len(items))]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                if stop_after_error:
                    failed = [
                        futures.index(f)
                        for f in done
                        if not f.cancelled() and f.exception() is not None
                    ]
                    if failed:
                        for later in futures[min(failed) + 1 :]:
                            later.cancel()
        except BaseException:  # Ctrl-C while waiting: start nothing more; let lanes finish
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        self._note_batch(counts)
        return [_outcome(index, future) for index, future in enumerate(futures)]

    def _inline(
        self, items: Sequence[T], work: Callable[[T], R], stop_after_error: bool
    ) -> list[Outcome[R]]:
        outcomes: list[Outcome[R]] = []
        for index, item in enumerate(items):
            if stop_after_error and any(o.error is not None for o in outcomes):
                outcomes.append(Outcome(index, ran=False))
                continue
            try:
                outcomes.append(Outcome(index, result=work(item)))
            except Exception as error:  # handed to the caller, as from a lane
                outcomes.append(Outcome(index, error=error))
        return outcomes

    def in_lane(self) -> bool:
        return bool(getattr(self._local, "lane", False))

    def _start(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.size, thread_name_prefix="kv-lane", initializer=self._mark_lane
                )
            return self._executor

    def _mark_lane(self) -> None:
        self._local.lane = True

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    # -- the dependent chain ------------------------------------------------------------

    def count_request(self) -> None:
        """One request sent by the calling thread (called by the run for every request)."""
        if self.in_lane():
            self._local.sent = getattr(self._local, "sent", 0) + 1
        elif threading.current_thread() is threading.main_thread():
            with self._lock:
                self._chain += 1

    def note_concurrent(self, longest: int) -> None:
        """A batch of threads of the check's own (concurrent clients) whose busiest sent
        ``longest`` requests: that many more on the chain."""
        with self._lock:
            self._chain += longest

    def _note_batch(self, counts: list[int]) -> None:
        # The items shared ``size`` lanes: the chain grows by the busiest lane's share, at
        # least the longest item. (A bound that holds for any schedule.)
        longest = max(counts, default=0)
        spread = -(-sum(counts) // self.size)
        self.note_concurrent(max(longest, spread))

    @property
    def chain(self) -> int:
        with self._lock:
            return self._chain


def _outcome(index: int, future: Future[R]) -> Outcome[R]:
    if future.cancelled():
        return Outcome(index, ran=False)
    error = future.exception()
    if error is not None:
        return Outcome(index, error=error)
    return Outcome(index, result=future.result())
