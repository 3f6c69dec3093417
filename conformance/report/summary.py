"""The run's machine-readable summary (JSON): verdicts, configuration without secrets, timing."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.engine.config import Settings
from conformance.engine.latency import Latencies
from conformance.engine.target import Target, token_variable
from conformance.engine.verdicts import Verdicts

VERDICT_NAMES = ("pass", "fail", "warn", "unsupported", "not tested", "error")


@dataclass(frozen=True)
class RunFacts:
    """What the summary needs from the processes that ran checks: one, or one per xdist
    worker (each with its own embedded server and run marker)."""

    base_url: str
    markers: tuple[str, ...]
    identities: int
    started: float
    latencies: dict[str, list[float]]
    left_behind: int
    timed_out: bool  # --max-duration was reached

    @classmethod
    def of(cls, target: Target, *, timed_out: bool) -> RunFacts:
        return cls(
            base_url=target.base_url,
            markers=(target.marker,),
            identities=target.identities,
            started=target.started,
            latencies=target.latencies.samples(),
            left_behind=target.left_behind,
            timed_out=timed_out,
        )

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunFacts:
        return cls(**{**data, "markers": tuple(data["markers"])})

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
        )


def build_summary(
    settings: Settings,
    facts: RunFacts,
    verdicts: Verdicts,
    tests: dict[str, list[str]],
    *,
    incomplete: str | None = None,
    interrupted: bool = False,
) -> dict[str, Any]:
    """``incomplete``: why not every check ran (interrupted, --max-duration), if so. An
    interrupted run has no verdict: INCOMPLETE."""
    finished = time.time()
    requirements: list[dict[str, Any]] = []
    for requirement_id, requirement in verdicts.catalogue.items():  # catalogue order
        verdict = verdicts.by_requirement.get(requirement_id)
        if verdict is None:
            continue
        requirements.append(
            {
                "id": requirement_id,
                "level": requirement.level,
                "statement": requirement.statement,
                "source": requirement.source,
                "verdict": verdict,
                "reason": verdicts.reasons.get(requirement_id, ""),
                "tests": tests.get(requirement_id, []),
            }
        )
    counts: dict[str, dict[str, int]] = {}
    for entry in requirements:
        by_level = counts.setdefault(entry["level"], dict.fromkeys(VERDICT_NAMES, 0))
        by_level[entry["verdict"]] += 1
    summary: dict[str, Any] = {
        "suite": "kv-conformance",
        "suite_version": __version__,
        "verdict": (
            "INCOMPLETE"
            if interrupted
            else "CONFORMANT"
            if verdicts.conformant()
            else "NOT CONFORMANT"
        ),
        "complete": incomplete is None,
        "incomplete_reason": incomplete,
        "cleanup": {
            "left_behind": facts.left_behind,
            "markers": list(facts.markers),
        },
        "configuration": {
            "target": "embedded reference server" if settings.embedded else facts.base_url,
            "base_url": facts.base_url,
            "kv_path": settings.kv_path,
            "profile": settings.profile,
            "tokens": [f"${token_variable(i)}" for i in range(facts.identities)],
            "timeout_seconds": settings.timeout,
            "strict": settings.strict,
            "seed": settings.seed,
            "examples": settings.examples,
            "reference_faults": list(settings.reference_faults),
            "baseline": settings.baseline.path if settings.baseline else None,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(facts.started)),
        "duration_seconds": round(finished - facts.started, 3),
        "counts": counts,
        "requirements": requirements,
        "latency_ms": _table(facts.latencies),
    }
    baseline = settings.baseline
    if baseline is not None:
        comparison = baseline.compare(verdicts.by_requirement)
        summary["baseline"] = {
            "file": baseline.path,
            "regressions": [change.as_json() for change in comparison.regressions],
            "known": [change.as_json() for change in comparison.known],
            "improvements": [change.as_json() for change in comparison.improvements],
        }
    return summary


def _table(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    latencies = Latencies()
    latencies.add(samples)
    return latencies.table()


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
