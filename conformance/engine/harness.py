"""What a check works with: two identities, keys of its own, failures that explain themselves.

A ``Harness`` lives for one test. It is the ``Evidence`` of every request the test sends
(through ``Actor.send``, the one request path): it keeps each exchange so a failure can print
the requests that led to it as numbered curl commands, makes a missing answer an HTTP-01
failure, and removes what the test wrote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import example as hypothesis_example
from hypothesis import strategies as st

from conformance.engine.actor import IDENTITY_NAMES, Actor
from conformance.engine.failures import NotTested, RequirementFailure, Unsupported
from conformance.engine.jsonvalue import JsonError, parse
from conformance.engine.namespace import Entry
from conformance.engine.target import PREFIX, Target
from conformance.wire.exchange import Exchange

JOIN_GRACE_SECONDS = 5.0


class Harness:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.settings = target.settings
        self.steps: list[Exchange] = []
        self.written: set[Entry] = set()
        self.a = target.actor(0, self)
        self._b = target.actor(1, self) if target.identities > 1 else None

    @property
    def b(self) -> Actor:
        if self._b is None:
            raise NotTested("needs a second identity: give --token twice (two different users)")
        return self._b

    @property
    def actors(self) -> list[Actor]:
        """Every identity there is: A, and B when a second token was given."""
        return [self.a] if self._b is None else [self.a, self._b]

    def key(self, label: str = "") -> str:
        return self.target.new_key(label)

    # -- Evidence: what Actor.send hands back ---------------------------------------------

    def note_write(self, entry: Entry) -> None:
        """A write attempt, noted before it is sent, so cleanup removes its effect."""
        self.written.add(entry)

    def record(self, exchange: Exchange) -> None:
        self.steps.append(exchange)

    def no_answer(self, exchange: Exchange) -> NoReturn:
        self.fail("HTTP-01", f"an answer within {self.settings.timeout:g} s", exchange.summary())

    # -- concurrent clients -----------------------------------------------------------------

    def concurrently(self, identities: Sequence[int], work: Callable[[Actor, str], None]) -> None:
        """Run ``work(actor, name)`` in one thread per entry of ``identities`` (the identity
        each thread acts as; names like A#1), each over a connection of its own, all released
        at once; re-raise the first error. Their writes are this check's to clean up; of
        their exchanges, the check keeps what it needs and names it with ``fail(steps=...)``
        (interleaved, the last 30 of thousands would reproduce nothing)."""
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(identities))
        evidence = _WorkerEvidence(self)

        def main(identity: int, name: str) -> None:
            actor = Actor(identity, self.target.client(identity), self.target.namespace, evidence)
            try:
                barrier.wait(timeout=JOIN_GRACE_SECONDS)
                work(actor, name)
            except BaseException as error:  # handed to the caller's thread
                errors.append(error)
                barrier.abort()
            finally:
                actor.client.close()

        counters: dict[int, int] = {}
        threads = []
        for identity in identities:
            number = counters[identity] = counters.get(identity, 0) + 1
            name = f"{IDENTITY_NAMES[identity]}#{number}"
            threads.append(
                threading.Thread(target=main, args=(identity, name), name=f"kv-client-{name}")
            )
        for thread in threads:
            thread.start()
        # Every request is bounded by the timeout and the run clock, so the threads end.
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    # -- verdicts ---------------------------------------------------------------------------

    def fail(
        self,
        requirement_id: str,
        expected: str,
        received: str | None = None,
        *,
        steps: Sequence[Exchange] | None = None,
    ) -> NoReturn:
        """Fail ``requirement_id``; the reproduction is ``steps`` (default: every request of
        the check so far, or of the current example)."""
        shown = list(self.steps if steps is None else steps)
        if received is None:
            received = shown[-1].summary() if shown else "(nothing sent)"
        raise RequirementFailure(self.target.catalogue[requirement_id], expected, received, shown)

    def check(
        self, condition: bool, requirement_id: str, expected: str, received: str | None = None
    ) -> None:
        if not condition:
            self.fail(requirement_id, expected, received)

    def require_prefix_route(self, requirement_id: str) -> None:
        """Raise Unsupported when the server does not offer the optional prefix route."""
        if not self.target.supports("prefix"):
            raise Unsupported(
                f"the prefix route is not supported (a set on /kv/{PREFIX}/{{key}} answered "
                f"404), so {requirement_id} does not apply"
            )

    def routes(self) -> list[str]:
        """The prefixes to exercise: the plain route, and the prefix route if supported."""
        return self.target.routes()

    def methods_that_set(self) -> list[str]:
        return ["POST", "PUT"] if self.target.supports("put") else ["POST"]

    # -- reading answers --------------------------------------------------------------------

    @staticmethod
    def is_absent(exchange: Exchange) -> bool:
        """The two legitimate ways to say "no such key": 404, or 200 with the object {}."""
        if exchange.status == 404:
            return True
        if exchange.status != 200:
            return False
        try:
            return bool(parse(exchange.response_body) == {})
        except JsonError:
            return False

    # -- property-based checks ----------------------------------------------------------------

    def for_all(
        self,
        check: Callable[..., None],
        *,
        explicit: Sequence[dict[str, Any]] = (),
        **strategies: st.SearchStrategy[Any],
    ) -> None:
        """Run ``check(**example)`` on the ``explicit`` examples, then on examples drawn by
        Hypothesis under the run's seed and budget; a failure shows the minimal example."""

        @seed(self.settings.seed)
        @settings(
            max_examples=self.settings.examples,
            deadline=None,
            database=None,  # a different server must not replay old failures first
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            # No "explain" phase: its coverage notes are about the suite, not the server.
            phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
        )
        @given(st.fixed_dictionaries(strategies))
        def run(example: dict[str, Any]) -> None:
            self.steps.clear()
            try:
                check(**example)
            except RequirementFailure as failure:
                # Hypothesis re-raises the failure of the smallest example it found.
                failure.example = example
                shown = ", ".join(f"{name}={value!r}" for name, value in example.items())
                failure.add_note(f"Example (Hypothesis, --seed {self.settings.seed}): {shown}")
                raise

        for case in reversed(explicit):
            run = hypothesis_example(example=case)(run)
        run()

    def cleanup(self) -> None:
        self.target.sweep(self.written)
        self.written.clear()


class _WorkerEvidence:
    """A concurrent worker's writes are its check's; its exchanges are kept by the check."""

    def __init__(self, harness: Harness) -> None:
        self._harness = harness

    def note_write(self, entry: Entry) -> None:
        self._harness.note_write(entry)

    def record(self, exchange: Exchange) -> None:
        pass

    def no_answer(self, exchange: Exchange) -> NoReturn:
        self._harness.no_answer(exchange)
