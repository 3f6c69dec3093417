"""The run's clock: how long the checks may send, the cleanup's reserve, and interruption.

With ``--max-duration``, checks send nothing after the checks' deadline; the cleanup, which
keeps a reserve (a fifth of the limit, at most 30 s), nothing after the end. The clock is the
``Budget`` every client of the run sends under, so a request is never sent, or given more time
than remains, past the deadline that applies.

The clock also remembers an interrupt (Ctrl-C). Python raises ``KeyboardInterrupt`` wherever
the main thread is when the signal is handled, and where that is a garbage-collector callback
or a finaliser the exception is printed and dropped: the run would go on and be judged. Once
interrupted, every later request raises ``KeyboardInterrupt`` again, from a place where it
propagates, and the run's verdict is INCOMPLETE whatever happened to the first one.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, Final

from conformance.engine.failures import OutOfTime, Stopped

CLEANUP_RESERVE_SECONDS: Final = 30.0
# Left at the very end to write the reports and stop the embedded server.
FINISH_MARGIN_SECONDS: Final = 2.0


class RunClock:
    def __init__(
        self, max_duration: float | None, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._now = now
        self._checks_end: float | None = None
        self._end: float | None = None
        if max_duration is not None:
            self._end = now() + max_duration - FINISH_MARGIN_SECONDS
            self._checks_end = self._end - min(CLEANUP_RESERVE_SECONDS, max_duration / 5)
        self._cleaning_up = False
        self.interrupted = False
        self.stopped: str | None = None  # why the checks may send no more, if they may not

    @property
    def deadline(self) -> float | None:
        """The monotonic time after which nothing more is sent now, if any."""
        return self._end if self._cleaning_up else self._checks_end

    def out_of_time(self) -> bool:
        """Whether the checks' deadline has passed (also once the cleanup has begun)."""
        return self._checks_end is not None and self._now() >= self._checks_end

    @property
    def cleaning_up(self) -> bool:
        return self._cleaning_up

    def begin_cleanup(self) -> None:
        """From now on requests may use the reserve."""
        self._cleaning_up = True

    def interrupt(self) -> None:
        self.interrupted = True

    def stop_checks(self, reason: str) -> None:
        """From now on checks send nothing (the cleanup still does): ``reason`` says why."""
        if self.stopped is None:
            self.stopped = reason

    # -- the Budget of conformance.wire.client -------------------------------------------

    def allow(self, timeout: float) -> float:
        """What a request given ``timeout`` may take if sent now: less as the deadline nears.
        Raises OutOfTime once it has passed, KeyboardInterrupt once the run was interrupted
        (except for the cleanup, which still removes what the run wrote), and Stopped once
        the checks were stopped (likewise)."""
        if self.interrupted and not self._cleaning_up:
            raise KeyboardInterrupt
        if self.stopped is not None and not self._cleaning_up:
            raise Stopped(self.stopped)
        deadline = self.deadline
        if deadline is None:
            return timeout
        allowed = min(timeout, deadline - self._now())
        if allowed <= 0:
            raise OutOfTime
        return allowed

    def check_cut_short(self, timeout: float, allowed: float) -> None:
        """Raise OutOfTime if a request allowed less than its ``timeout`` that got no usable
        answer was cut short by the deadline rather than by the timeout."""
        deadline = self.deadline
        if deadline is not None and allowed < timeout and self._now() >= deadline:
            raise OutOfTime


def catch_interrupts(clock: RunClock) -> Callable[[], None]:
    """Let Ctrl-C and SIGTERM (what CI sends on cancel or timeout) mark ``clock`` interrupted
    and raise KeyboardInterrupt, so that the run stops its checks, removes its keys, writes
    its reports (INCOMPLETE) and stops the embedded server; returns the function that puts
    the previous handlers back.

    Only in the main thread (the only one that may set handlers), and only where the
    default is in place: SIGINT ignored (a shell's background job) or either handled by
    someone else stays so. A second SIGTERM while the run winds down is noted, not raised,
    so that the cleanup finishes within its reserve; a second Ctrl-C still stops it.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    installed: dict[int, Any] = {}

    def interrupted(signum: int, frame: FrameType | None) -> None:
        first = not clock.interrupted
        clock.interrupt()
        if signum == signal.SIGINT or first:
            raise KeyboardInterrupt

    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    for signum, default in defaults.items():
        if signal.getsignal(signum) is default:
            installed[signum] = default
            signal.signal(signum, interrupted)

    def restore() -> None:
        for signum, default in installed.items():
            if signal.getsignal(signum) is interrupted:
                signal.signal(signum, default)

    return restore
