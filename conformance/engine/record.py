"""The run record: everything a run's reports say, typed, built once at the end of the run.

The JSON summary, the HTML additions, the JUnit properties and the terminal lines are all
rendered from one ``RunRecord`` (``conformance.report``), so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance import __version__
from conformance.engine.actor import token_variable
from conformance.engine.baseline import Comparison
from conformance.engine.config import Settings
from conformance.engine.latency import Latencies
from conformance.engine.verdicts import (
    CONFORMANT,
    INCOMPLETE,
    NOT_CONFORMANT,
    PARTIAL,
    VERDICTS,
    RunVerdict,
    Verdict,
    Verdicts,
)

if TYPE_CHECKING:
    from conformance.engine.target import Target


@dataclass(frozen=True)
class RunFacts:
    """What the record needs from the processes that ran checks: one, or one per xdist
    worker (each with its own embedded server and run marker)."""

    base_url: str
    markers: tuple[str, ...]
    identities: int
    started: float
    latencies: dict[str, list[float]]
    left_behind: int
    timed_out: bool  # --max-duration was reached
    interrupted: bool = False  # Ctrl-C, even where Python dropped the KeyboardInterrupt
    # Requirements of the profile the user's selection (-k, -m, node ids) left out.
    not_selected: tuple[str, ...] = ()
    # The run's traffic: requests sent, connections opened, lanes (--kv-connections), the
    # round trip the preflight measured, and the longest chain of dependent requests.
    requests: int = 0
    connections: int = 0
    lanes: int = 1
    round_trip_ms: float | None = None
    chain: int = 0
    warnings: tuple[str, ...] = ()  # found by the run (e.g. it fell back to one lane)

    @classmethod
    def of(cls, target: Target, *, timed_out: bool, not_selected: tuple[str, ...] = ()) -> RunFacts:
        return cls(
            base_url=target.base_url,
            markers=(target.marker,),
            identities=target.identities,
            started=target.started,
            latencies=target.latencies.samples(),
            left_behind=target.left_behind,
            timed_out=timed_out,
            interrupted=target.clock.interrupted,
            not_selected=not_selected,
            requests=target.requests,
            connections=target.connections,
            lanes=target.lanes.size,
            round_trip_ms=(
                round(target.round_trip * 1000, 2) if target.round_trip is not None else None
            ),
            chain=target.lanes.chain,
            warnings=tuple(target.warnings),
        )

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunFacts:
        return cls(
            **{
                **data,
                "markers": tuple(data["markers"]),
                "not_selected": tuple(data["not_selected"]),
                "warnings": tuple(data.get("warnings", ())),
            }
        )

    @classmethod
    def merge(cls, parts: list[RunFacts]) -> RunFacts:
        latencies = Latencies()
        for part in parts:
            latencies.add(part.latencies)
        return cls(
            base_url=parts[0].base_url,
            markers=tuple(marker for part in parts for marker in part.markers),
            identities=min(part.identities for part in parts),
            started=min(part.started for part in parts),
            latencies=latencies.samples(),
            left_behind=sum(part.left_behind for part in parts),
            timed_out=any(part.timed_out for part in parts),
            interrupted=any(part.interrupted for part in parts),
            not_selected=tuple(sorted({rid for part in parts for rid in part.not_selected})),
            requests=sum(part.requests for part in parts),
            connections=sum(part.connections for part in parts),
            lanes=sum(part.lanes for part in parts),
            round_trip_ms=min(
                (part.round_trip_ms for part in parts if part.round_trip_ms is not None),
                default=None,
            ),
            # The workers ran side by side: the run's chain is the longest of theirs.
            chain=max(part.chain for part in parts),
            warnings=tuple(dict.fromkeys(w for part in parts for w in part.warnings)),
        )


@dataclass(frozen=True)
class RequirementResult:
    id: str
    level: str
    statement: str
    source: str
    verdict: Verdict
    reason: str
    tests: tuple[str, ...]  # node ids
    exchanges: tuple[int, ...] = ()  # a failure's evidence: the run's exchange numbers


@dataclass(frozen=True)
class RunRecord:
    verdict: RunVerdict
    incomplete_reason: str | None  # why not every check ran, if so
    settings: Settings
    facts: RunFacts
    started: str  # ISO 8601, UTC
    duration_seconds: float
    requirements: tuple[RequirementResult, ...]  # catalogue order, judged ones only
    latency_ms: dict[str, dict[str, float]]
    comparison: Comparison | None  # with --baseline
    suite_version: str = __version__

    @property
    def complete(self) -> bool:
        return self.incomplete_reason is None

    @property
    def target(self) -> str:
        return "embedded reference server" if self.settings.embedded else self.facts.base_url

    @property
    def warnings(self) -> list[str]:
        """What every report says above its verdict."""
        said = list(self.facts.warnings)
        if not self.settings.embedded and self.settings.network.insecure:
            said.insert(
                0,
                "TLS certificates were not verified (--kv-insecure): the server's identity "
                "was not checked in this run",
            )
        return said

    @property
    def traffic(self) -> str:
        """The run's traffic in one sentence (every report says it the same way)."""
        facts = self.facts
        round_trip = (
            f", round trip {facts.round_trip_ms:g} ms" if facts.round_trip_ms is not None else ""
        )
        return (
            f"{facts.requests} requests over {facts.connections} connections "
            f"({facts.lanes} at once at most){round_trip}; longest chain of dependent "
            f"requests {facts.chain}"
        )

    @property
    def tokens(self) -> list[str]:
        return [f"${token_variable(i)}" for i in range(self.facts.identities)]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for entry in self.requirements if entry.verdict == verdict)

    def counts(self) -> dict[str, dict[Verdict, int]]:
        """Per level (in the order first met), the number of requirements of each verdict."""
        counts: dict[str, dict[Verdict, int]] = {}
        for entry in self.requirements:
            counts.setdefault(entry.level, dict.fromkeys(VERDICTS, 0))[entry.verdict] += 1
        return counts


def suite_properties(settings: Settings) -> list[tuple[str, object]]:
    """The run's properties in JUnit XML (the seed, the profile, the suite's version)."""
    return [
        ("kv_seed", settings.seed),
        ("kv_profile", settings.profile),
        ("kv_suite_version", __version__),
    ]


def _reason(verdicts: Verdicts, requirement_id: str, tests: list[str]) -> str:
    """Every verdict says why; a pass names the checks that met it."""
    reason = verdicts.reasons.get(requirement_id, "")
    if verdicts.by_requirement[requirement_id] == "pass":
        names = sorted({nodeid.rpartition("::")[2] for nodeid in tests})
        return f"met in {', '.join(names)}" if names else reason or "met"
    return reason or verdicts.by_requirement[requirement_id]


def build_record(
    settings: Settings,
    facts: RunFacts,
    verdicts: Verdicts,
    tests: dict[str, list[str]],
    *,
    interrupted: bool,
    started: float | None = None,
    duration: float | None = None,
) -> RunRecord:
    """An interrupted run (pytest saw it, or the run clock did) has no verdict: INCOMPLETE.

    ``started`` (seconds since the epoch) and ``duration`` (seconds) are the whole run's, as
    the user waited for it; by default, from when ``facts`` started to now."""
    started = facts.started if started is None else started
    duration = time.time() - started if duration is None else duration
    interrupted = interrupted or facts.interrupted
    incomplete = None
    if interrupted:
        incomplete = "interrupted before every check had run"
    elif facts.timed_out:
        incomplete = f"--max-duration ({settings.max_duration:g} s) reached"
    elif facts.not_selected:
        incomplete = (
            f"the selection (-k, -m or test ids) left out {len(facts.not_selected)} "
            f"requirements of the profile: {', '.join(facts.not_selected)}"
        )
    requirements = tuple(
        RequirementResult(
            id=requirement_id,
            level=requirement.level,
            statement=requirement.statement,
            source=requirement.source,
            verdict=verdicts.by_requirement[requirement_id],
            reason=_reason(verdicts, requirement_id, tests.get(requirement_id, [])),
            tests=tuple(tests.get(requirement_id, [])),
            exchanges=tuple(verdicts.exchanges.get(requirement_id, ())),
        )
        for requirement_id, requirement in verdicts.catalogue.items()
        if requirement_id in verdicts.by_requirement
    )
    latencies = Latencies()
    latencies.add(facts.latencies)
    return RunRecord(
        verdict=(
            INCOMPLETE
            if interrupted
            else NOT_CONFORMANT
            if not verdicts.conformant()
            else PARTIAL
            if facts.not_selected
            else CONFORMANT
        ),
        incomplete_reason=incomplete,
        settings=settings,
        facts=facts,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        duration_seconds=round(duration, 3),
        requirements=requirements,
        latency_ms=latencies.table(),
        comparison=(
            settings.baseline.compare(verdicts.by_requirement)
            if settings.baseline is not None
            else None
        ),
    )
