"""Per-requirement verdicts, gathered from test outcomes, and the run's overall verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from conformance.engine.requirements import Catalogue

Verdict = Literal["pass", "fail", "warn", "unsupported", "not tested", "error"]
# When a requirement has several tests, the worst outcome is its verdict.
SEVERITY: dict[Verdict, int] = {
    "pass": 0,
    "unsupported": 1,
    "not tested": 2,
    "warn": 3,
    "error": 4,
    "fail": 5,
}


@dataclass
class Verdicts:
    catalogue: Catalogue
    by_requirement: dict[str, Verdict] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def record(self, requirement_id: str, verdict: Verdict, reason: str = "") -> None:
        current = self.by_requirement.get(requirement_id)
        if current is None or SEVERITY[verdict] > SEVERITY[current]:
            self.by_requirement[requirement_id] = verdict
            if reason:
                self.reasons[requirement_id] = reason

    def conformant(self) -> bool:
        """No failure, error or untested requirement. (Under --kv-strict an unmet SHOULD is
        recorded as a failure, so warnings never block a verdict here.)"""
        bad: set[Verdict] = {"fail", "error", "not tested"}
        return not any(verdict in bad for verdict in self.by_requirement.values())

    def count(self, verdict: Verdict) -> int:
        return sum(1 for value in self.by_requirement.values() if value == verdict)

    def lines(self) -> list[str]:
        rows = []
        for requirement_id in self.catalogue:
            verdict = self.by_requirement.get(requirement_id)
            if verdict is None:
                continue
            requirement = self.catalogue[requirement_id]
            reason = self.reasons.get(requirement_id, "")
            rows.append(
                f"{verdict.upper():12} {requirement_id:8} {requirement.level:6} "
                f"{requirement.statement}" + (f"  [{reason}]" if reason else "")
            )
        return rows
