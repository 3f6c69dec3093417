"""What a check works with: two identities, keys of its own, failures that explain themselves.

A ``Harness`` lives for one test. It is the ``Evidence`` of every request the test sends
(through ``Actor.send``, the one request path): it keeps each exchange so a failure can print
the requests that led to it as numbered curl commands, makes a missing answer an HTTP-01
failure, and removes what the test wrote.

Independent work runs on the run's lanes (``conformance.engine.lanes``): the examples of
``for_all`` and the items of ``in_parallel``. What a failure shows is kept per thread, so an
example's reproduction holds its own requests only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import example as hypothesis_example
from hypothesis import strategies as st

from conformance.engine.actor import IDENTITY_NAMES, Actor
from conformance.engine.failures import NotTested, RequirementFailure, Unsupported
from conformance.engine.jsonvalue import JsonError, json_equal, parse, same_json
from conformance.engine.lanes import Outcome
from conformance.engine.namespace import Entry
from conformance.engine.target import PREFIX, Target
from conformance.wire.exchange import Exchange

JOIN_GRACE_SECONDS = 5.0
T = TypeVar("T")
R = TypeVar("R")


class Harness:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.settings = target.settings
        self._local = threading.local()  # this thread's steps
        self._lock = threading.Lock()
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

    @property
    def steps(self) -> list[Exchange]:
        """The requests sent so far by this thread for the check (or for the current
        example): what a failure shows by default."""
        steps: list[Exchange] | None = getattr(self._local, "steps", None)
        if steps is None:
            steps = self._local.steps = []
        return steps

    # -- Evidence: what Actor.send hands back ---------------------------------------------

    def note_write(self, entry: Entry) -> None:
        """A write attempt, noted before it is sent, so cleanup removes its effect."""
        with self._lock:
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
        sent: list[int] = []

        def main(identity: int, name: str) -> None:
            client = self.target.client(identity)
            actor = Actor(
                identity, client, self.target.namespace, evidence, concurrent_writers=True
            )
            try:
                barrier.wait(timeout=JOIN_GRACE_SECONDS)
                work(actor, name)
            except BaseException as error:  # handed to the caller's thread
                errors.append(error)
                barrier.abort()
            finally:
                sent.append(actor.sent)
                self.target.client_closed(actor.client)
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
        self.target.lanes.note_concurrent(max(sent, default=0))
        if errors:
            raise errors[0]

    def in_parallel(self, items: Iterable[T], work: Callable[[T], R]) -> list[R]:
        """``work(item)`` for each item, on the run's lanes (``--kv-connections`` at once),
        for work whose items do not depend on each other; the results in item order. Every
        item runs; then the first error in item order is raised."""
        caller = threading.get_ident()
        before = list(self.steps)

        def one(item: T) -> tuple[R, list[Exchange]]:
            if threading.get_ident() == caller:  # run here, one after another
                return work(item), []
            # A failure shows what the caller sent before, then this item's requests.
            steps = self.steps
            steps[:] = before
            result = work(item)
            return result, steps[len(before) :]

        outcomes = self.target.lanes.run(list(items), one)
        _raise_first(outcomes)
        results: list[R] = []
        for outcome in outcomes:
            assert outcome.result is not None
            result, steps = outcome.result
            self.steps.extend(steps)  # in item order, for a failure after the batch
            results.append(result)
        return results

    def each_route(self, work: Callable[[str], None]) -> None:
        """``work(prefix)`` for every route at once (each with keys of its own)."""
        self.in_parallel(self.routes(), work)

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

    def stored(self, actor: Actor, key: str, body: bytes, *, prefix: str = "", before: str) -> None:
        """A precondition: ``actor`` sets ``key`` to ``body`` and reads it back. What check
        ``before`` does next means something only if the value is stored (against a server
        that stores nothing, "no effect" and "not shared" hold vacuously), so when it is not,
        the requirement that failed (SET-01 or VAL-01) is named and ``before`` is not judged."""
        accepted = actor.set(key, body, prefix=prefix)
        self.check(
            accepted.status in (200, 201),
            "SET-01",
            f"200 or 201 to a valid set (a precondition of {before}: it needs the value stored)",
        )
        self.reads_back(actor, key, body, prefix=prefix, before=before)

    def reads_back(
        self, actor: Actor, key: str, body: bytes, *, prefix: str = "", before: str
    ) -> None:
        """A precondition: ``key`` reads as ``body`` (just set), else VAL-01 fails and the
        check of ``before`` is not judged."""
        self.check(
            self.holds(actor.get(key, prefix=prefix), body),
            "VAL-01",
            f"200 with the value just set, {_preview(body)} (a precondition of {before}: it "
            "needs the value stored)",
        )

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
    def holds(exchange: Exchange, body: bytes) -> bool:
        """Whether a GET's answer is the value ``body``: 200 and JSON-equal. Every check
        compares values this way (MM-01 alone compares bytes, as its statement says)."""
        return exchange.status == 200 and same_json(exchange.response_body, body)

    @staticmethod
    def is_absent(exchange: Exchange) -> bool:
        """The two legitimate ways to say "no such key": 404, or 200 with the object {}."""
        if exchange.status == 404:
            return True
        if exchange.status != 200:
            return False
        try:
            return bool(json_equal(parse(exchange.response_body), {}))
        except JsonError:
            return False

    # -- property-based checks ----------------------------------------------------------------

    def for_all(
        self,
        check: Callable[..., None],
        *,
        explicit: Sequence[dict[str, Any]] = (),
        max_examples: int | None = None,
        **strategies: st.SearchStrategy[Any],
    ) -> None:
        """Run ``check(**example)`` on the ``explicit`` examples, then on examples drawn by
        Hypothesis under the run's seed and budget; a failure shows the minimal example.

        With more than one lane the examples (independent: each uses keys of its own) are
        drawn first and run at once; a failure is then replayed through Hypothesis, one
        example after another, so that it shrinks as in a sequential run. The examples
        before the first failure are not sent again: with the same seed, Hypothesis draws
        the same examples in the same order whatever the check does until it fails."""
        budget = max_examples or self.settings.examples
        if self.target.lanes.size == 1:
            self._hypothesis(check, explicit, strategies, budget, lambda number, example: False)
            return
        drawn: list[dict[str, Any]] = []
        self._hypothesis(drawn.append, explicit, strategies, budget, None, shrink=False)
        shown = [_shown(example) for example in drawn]

        def one(example: dict[str, Any]) -> None:
            self.steps.clear()
            check(**example)

        outcomes = self.target.lanes.run(drawn, one, stop_after_error=True)
        first = next((outcome for outcome in outcomes if outcome.error is not None), None)
        if first is None:
            return
        failure = first.error
        assert failure is not None
        if not isinstance(failure, RequirementFailure) or _no_answer(failure):
            # Out of time, not supported, interrupted, or a request that got no answer: a
            # replay would only wait again.
            _note_example(failure, drawn[first.index], self.settings.seed)
            raise failure
        passed = first.index

        def already_passed(number: int, example: dict[str, Any]) -> bool:
            return number < passed and _shown(example) == shown[number]

        self._hypothesis(check, explicit, strategies, budget, already_passed)
        # Not failed again when replayed alone: the failure seen at once stands.
        _note_example(failure, drawn[first.index], self.settings.seed)
        failure.add_note(
            "(This failure came while other examples were sent at once; sent again alone, "
            "the same example passed.)"
        )
        raise failure

    def _hypothesis(
        self,
        check: Callable[..., None],
        explicit: Sequence[dict[str, Any]],
        strategies: dict[str, st.SearchStrategy[Any]],
        budget: int,
        skip: Callable[[int, dict[str, Any]], bool] | None,
        *,
        shrink: bool = True,
    ) -> None:
        """One Hypothesis run over the examples; ``skip(number, example)`` passes an example
        without sending it; ``skip`` None hands each example to ``check`` as it is."""
        calls = [0]

        @seed(self.settings.seed)
        @settings(
            max_examples=budget,
            deadline=None,
            database=None,  # a different server must not replay old failures first
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            # No "explain" phase: its coverage notes are about the suite, not the server.
            phases=[Phase.explicit, Phase.generate, Phase.target]
            + ([Phase.shrink] if shrink else []),
        )
        @given(st.fixed_dictionaries(strategies))
        def run(example: dict[str, Any]) -> None:
            number = calls[0]
            calls[0] += 1
            if skip is None:
                check(example)
                return
            if skip(number, example):
                return
            self.steps.clear()
            try:
                check(**example)
            except RequirementFailure as failure:
                # Hypothesis re-raises the failure of the smallest example it found.
                _note_example(failure, example, self.settings.seed)
                raise

        for case in reversed(explicit):
            run = hypothesis_example(example=case)(run)
        run()

    def cleanup(self) -> None:
        self.target.sweep(self.written)
        self.written.clear()


def _shown(example: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in example.items())


def _note_example(error: BaseException, example: dict[str, Any], run_seed: int) -> None:
    if isinstance(error, RequirementFailure):
        if error.example is not None:
            return  # noted already (Hypothesis re-raises the same failure)
        error.example = example
    error.add_note(f"Example (Hypothesis, --seed {run_seed}): {_shown(example)}")


def _no_answer(failure: RequirementFailure) -> bool:
    """A failure whose evidence is a request without an answer (HTTP-01's timeout and kin)."""
    return bool(failure.steps) and failure.steps[-1].status is None


def _raise_first(outcomes: Sequence[Outcome[Any]]) -> None:
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error


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


def _preview(body: bytes) -> str:
    text = body[:60].decode("utf-8", "replace")
    return text + ("…" if len(body) > 60 else "")
