"""What a check works with: two identities, keys of its own, failures that explain themselves.

A ``Harness`` lives for one test. It records every exchange so a failure can print the
requests that led to it as numbered curl commands, refuses to address a key without the run's
marker, and removes what the test wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import example as hypothesis_example
from hypothesis import strategies as st

from conformance.client import OWN_TOKEN, Exchange, _Default
from conformance.failures import NotTested, RequirementFailure, Unsupported
from conformance.jsonvalue import JsonError, parse
from conformance.target import IDENTITY_NAMES, PREFIX, Target


class Actor:
    """One identity: sends requests with its own token unless told otherwise."""

    def __init__(self, harness: Harness, index: int) -> None:
        self.harness = harness
        self.name = IDENTITY_NAMES[index]
        self.client = harness.target.clients[index]

    def send(
        self,
        method: str,
        key: str,
        *,
        prefix: str = "",
        body: bytes | None = None,
        authorization: str | _Default | None = OWN_TOKEN,
        headers: dict[str, str] | None = None,
        url: str | None = None,
        allow_no_answer: bool = False,
    ) -> Exchange:
        target = self.harness.target
        # Only keys carrying the run's marker are ever addressed; the bare KV root names none.
        addressed = key if url is None else url
        kv_root = self.client.base_url + self.client.kv_path
        if target.marker not in addressed and addressed.rstrip("/") != kv_root:
            raise AssertionError(f"suite bug: {addressed!r} is outside this run's namespace")
        if method in ("POST", "PUT"):
            self.harness.note_write(prefix, key)
        exchange = self.client.send(
            method,
            key,
            prefix=prefix,
            body=body,
            authorization=authorization,
            headers=headers,
            url=url,
        )
        self.harness.steps.append(exchange)
        if exchange.status is None and not allow_no_answer:
            self.harness.fail(
                "HTTP-01", f"an answer within {target.settings.timeout:g} s", exchange.summary()
            )
        return exchange

    def set(self, key: str, body: bytes, *, prefix: str = "", method: str = "POST") -> Exchange:
        return self.send(method, key, prefix=prefix, body=body)

    def get(self, key: str, *, prefix: str = "") -> Exchange:
        return self.send("GET", key, prefix=prefix)

    def delete(self, key: str, *, prefix: str = "") -> Exchange:
        return self.send("DELETE", key, prefix=prefix)


class Harness:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.settings = target.settings
        self.steps: list[Exchange] = []
        self.written: set[tuple[str, str]] = set()
        self.a = Actor(self, 0)
        self._b = Actor(self, 1) if target.identities > 1 else None

    @property
    def b(self) -> Actor:
        if self._b is None:
            raise NotTested("needs a second identity: give --token twice (two different users)")
        return self._b

    def key(self, label: str = "") -> str:
        return self.target.new_key(label)

    def note_write(self, prefix: str, key: str) -> None:
        """Remember a write attempt, before it is sent, so cleanup removes its effect."""
        self.target.note_write(prefix, key)
        self.written.add((prefix, key))

    # -- verdicts ---------------------------------------------------------------------------

    def fail(self, requirement_id: str, expected: str, received: str | None = None) -> NoReturn:
        if received is None:
            received = self.steps[-1].summary() if self.steps else "(nothing sent)"
        raise RequirementFailure(
            self.target.catalogue[requirement_id], expected, received, self.steps
        )

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
