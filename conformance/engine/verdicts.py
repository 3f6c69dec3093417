"""The verdict vocabulary, per-requirement verdicts gathered from outcomes, and the run's.

Every module that names a verdict takes it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from conformance.engine.requirements import Catalogue

Verdict = Literal["pass", "fail", "warn", "unsupported", "not applicable", "not tested", "error"]
# In the order reports list them.
VERDICTS: Final[tuple[Verdict, ...]] = (
    "pass",
    "fail",
    "warn",
    "unsupported",
    "not applicable",
    "not tested",
    "error",
)
# Verdicts that stop a run from being conformant.
GATING: Final[frozenset[Verdict]] = frozenset({"fail", "error", "not tested"})
# Verdicts that count as "already not met" in a baseline (a warning there may be a failure now,
# under --kv-strict), and those that count as met.
NOT_MET: Final[frozenset[Verdict]] = GATING | {"warn"}
# Unsupported: an optional feature is absent. Not applicable: the server never reached the
# situation the requirement governs (SIZE-03 when oversize values are stored whole).
MET: Final[frozenset[Verdict]] = frozenset({"pass", "unsupported", "not applicable"})
# Verdicts drawn from evidence: their exchanges are listed (report rows, JSON summary).
FAILED: Final[frozenset[Verdict]] = frozenset({"fail", "warn", "error"})
# When a requirement has several tests, the worst outcome is its verdict.
SEVERITY: Final[dict[Verdict, int]] = {
    "pass": 0,
    "not applicable": 1,
    "unsupported": 2,
    "not tested": 3,
    "warn": 4,
    "error": 5,
    "fail": 6,
}

RunVerdict = Literal["CONFORMANT", "NOT CONFORMANT", "INCOMPLETE", "PARTIAL", "ERROR"]
CONFORMANT: Final = "CONFORMANT"
# A selection (-k, -m, node ids) left requirements out and nothing that ran failed: never
# conformant, whatever passed.
PARTIAL: Final = "PARTIAL"
NOT_CONFORMANT: Final = "NOT CONFORMANT"
INCOMPLETE: Final = "INCOMPLETE"  # interrupted: no verdict
ERROR: Final = "ERROR"  # stopped before any check: the configuration or the target's trouble


@dataclass
class Verdicts:
    catalogue: Catalogue
    by_requirement: dict[str, Verdict] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    # The run's numbers (HAR ``_kvExchange``) of the exchanges behind each failure.
    exchanges: dict[str, list[int]] = field(default_factory=dict)

    def record(
        self,
        requirement_id: str,
        verdict: Verdict,
        reason: str = "",
        exchanges: Sequence[int] = (),
    ) -> None:
        if verdict in FAILED and exchanges:
            known = self.exchanges.setdefault(requirement_id, [])
            known.extend(number for number in exchanges if number not in known)
        current = self.by_requirement.get(requirement_id)
        if current is None or SEVERITY[verdict] > SEVERITY[current]:
            self.by_requirement[requirement_id] = verdict
            if reason:
                self.reasons[requirement_id] = reason

    def conformant(self) -> bool:
        """No failure, error or untested requirement. (Under --kv-strict an unmet SHOULD is
        recorded as a failure, so warnings never block a verdict here.)"""
        return not any(verdict in GATING for verdict in self.by_requirement.values())

    def count(self, verdict: Verdict) -> int:
        return sum(1 for value in self.by_requirement.values() if value == verdict)
