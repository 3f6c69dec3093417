"""The run's machine-readable summary (``--kv-summary``), rendered from the run record.

The configuration is shown without secrets: tokens as ``$KV_TOKEN`` / ``$KV_TOKEN_B``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.engine.record import RunRecord
from conformance.engine.verdicts import ERROR, FAILED


def as_json(record: RunRecord) -> dict[str, Any]:
    settings = record.settings
    summary: dict[str, Any] = {
        "suite": "kv-conformance",
        "suite_version": record.suite_version,
        "verdict": record.verdict,
        # Said first, as in every report: certificates were not checked.
        "warnings": record.warnings,
        "complete": record.complete,
        "incomplete_reason": record.incomplete_reason,
        "cleanup": {
            "left_behind": record.facts.left_behind,
            "markers": list(record.facts.markers),
        },
        "configuration": {
            "target": record.target,
            "base_url": record.facts.base_url,
            "kv_path": settings.kv_path or "/",
            "profile": settings.profile,
            "tokens": record.tokens,
            "timeout_seconds": settings.timeout,
            "strict": settings.strict,
            "seed": settings.seed,
            "examples": settings.examples,
            "connections": settings.connections,
            "max_duration_seconds": settings.max_duration,
            "unanswered_limit": settings.unanswered_limit,
            "reference_faults": list(settings.reference_faults),
            "baseline": settings.baseline.path if settings.baseline else None,
            "network": None if settings.embedded else settings.network.describe(),
        },
        "started": record.started,
        "duration_seconds": record.duration_seconds,
        "counts": record.counts(),
        "requirements": [
            {
                "id": entry.id,
                "level": entry.level,
                "statement": entry.statement,
                "source": entry.source,
                "verdict": entry.verdict,
                "reason": entry.reason,
                "tests": list(entry.tests),
                # A failure's exchanges, by the numbers the HAR (--kv-har) gives them.
                **({"exchanges": list(entry.exchanges)} if entry.verdict in FAILED else {}),
            }
            for entry in record.requirements
        ],
        "latency_ms": record.latency_ms,
        "traffic": {
            "requests": record.facts.requests,
            "connections": record.facts.connections,
            "lanes": record.facts.lanes,
            "round_trip_ms": record.facts.round_trip_ms,
            "dependent_chain": record.facts.chain,
        },
    }
    if record.comparison is not None and settings.baseline is not None:
        summary["baseline"] = {
            "file": settings.baseline.path,
            "regressions": [change.as_json() for change in record.comparison.regressions],
            "known": [change.as_json() for change in record.comparison.known],
            "improvements": [change.as_json() for change in record.comparison.improvements],
        }
    return summary


def write_stopped_summary(path: Path, sentence: str, target: str) -> None:
    """The summary of a run that stopped before any check: why, and no verdicts."""
    summary = {
        "suite": "kv-conformance",
        "suite_version": __version__,
        "verdict": ERROR,
        "warnings": [],
        "complete": False,
        "incomplete_reason": sentence,
        "cleanup": {"left_behind": 0, "markers": []},
        "configuration": {"target": target},
        "counts": {},
        "requirements": [],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_summary(path: Path, record: RunRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(as_json(record), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
