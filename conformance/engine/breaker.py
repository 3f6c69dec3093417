"""The circuit breaker: a server that leaves requests unanswered stops the checks.

Each missing answer (a timeout, a reset, an answer cut off) already fails HTTP-01 in the
check that got it, and costs up to ``--kv-timeout``. Once ``--kv-unanswered-limit`` requests
of the run have gone unanswered, the next check would only wait and fail HTTP-01 again, so
the breaker opens: HTTP-01 fails at once with every one of those requests as evidence, the
checks not yet judged are *not tested* with the reason, and the cleanup still runs. Nothing
is retried: every missing answer counts, except while the server is down on purpose (the
restart of RST-01, which judges its own wait for the server to come back).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from conformance.engine.clock import RunClock
from conformance.engine.failures import RequirementFailure
from conformance.engine.requirements import Catalogue
from conformance.wire.exchange import Exchange


class Breaker:
    def __init__(self, limit: int, clock: RunClock, catalogue: Catalogue, timeout: float) -> None:
        self.limit = limit  # 0: never opens
        self._clock = clock
        self._catalogue = catalogue
        self._timeout = timeout
        self._lock = threading.Lock()
        self.unanswered: list[Exchange] = []
        self._failure: RequirementFailure | None = None
        self._reported = False
        self._restarting = False

    def observe(self, exchange: Exchange) -> None:
        """Every exchange of the run (any thread)."""
        if exchange.status is not None or self._clock.cleaning_up or self._restarting:
            return
        with self._lock:
            self.unanswered.append(exchange)
            if self._failure is not None or not self.limit or len(self.unanswered) < self.limit:
                return
            self._failure = self._failed(list(self.unanswered))
        self._clock.stop_checks(
            f"the server left {self.limit} requests of the run without an answer (HTTP-01 "
            "failed); checks after that cannot be judged (--kv-unanswered-limit)"
        )

    @contextlib.contextmanager
    def restarting(self) -> Iterator[None]:
        """While the server restarts on purpose, its refusals are expected, not counted."""
        self._restarting = True
        try:
            yield
        finally:
            self._restarting = False

    @property
    def open(self) -> bool:
        with self._lock:
            return self._failure is not None

    def take_failure(self) -> RequirementFailure | None:
        """HTTP-01's failure, the first time it is asked for after the breaker opened."""
        with self._lock:
            if self._failure is None or self._reported:
                return None
            self._reported = True
            return self._failure

    def _failed(self, unanswered: list[Exchange]) -> RequirementFailure:
        causes = "; ".join(
            f"{exchange.method} {exchange.redacted_url}: {exchange.summary()}"
            for exchange in unanswered
        )
        return RequirementFailure(
            self._catalogue["HTTP-01"],
            f"an answer to every request within {self._timeout:g} s",
            f"{len(unanswered)} requests got no answer, so the run stopped its checks: {causes}",
            unanswered,
        )
