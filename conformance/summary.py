"""The run's machine-readable summary (JSON): verdicts, configuration without secrets, timing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.target import Target, token_variable
from conformance.verdicts import Verdicts

VERDICT_NAMES = ("pass", "fail", "warn", "unsupported", "not tested", "error")


def build_summary(
    target: Target,
    verdicts: Verdicts,
    tests: dict[str, list[str]],
    *,
    incomplete: str | None = None,
    interrupted: bool = False,
) -> dict[str, Any]:
    """``incomplete``: why not every check ran (interrupted, --max-duration), if so. An
    interrupted run has no verdict: INCOMPLETE."""
    settings = target.settings
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
            "left_behind": target.left_behind,
            "marker": target.marker,
        },
        "configuration": {
            "target": "embedded reference server" if settings.embedded else target.base_url,
            "base_url": target.base_url,
            "kv_path": settings.kv_path,
            "profile": settings.profile,
            "tokens": [f"${token_variable(i)}" for i in range(len(target.tokens[:2]))],
            "timeout_seconds": settings.timeout,
            "strict": settings.strict,
            "seed": settings.seed,
            "examples": settings.examples,
            "reference_faults": list(settings.reference_faults),
            "baseline": settings.baseline.path if settings.baseline else None,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(target.started)),
        "duration_seconds": round(finished - target.started, 3),
        "counts": counts,
        "requirements": requirements,
        "latency_ms": target.latencies.table(),
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


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
