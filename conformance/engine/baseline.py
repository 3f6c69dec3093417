"""Gating on regressions: this run's verdicts against an earlier run's JSON summary.

With a baseline, a requirement that was already failing is a *known* failure and does not
fail the run; only *regressions* (failing now, not failing in the baseline) do. The run's
own verdict (CONFORMANT / NOT CONFORMANT) is unchanged: a baseline changes what gates, not
what is true.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.engine.verdicts import GATING, MET, NOT_MET


class BaselineError(ValueError):
    """The baseline cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Change:
    id: str
    before: str  # the baseline's verdict, or "absent" for a requirement it did not judge
    after: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Comparison:
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    known: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Baseline:
    path: str
    profile: str
    verdicts: dict[str, str]

    @classmethod
    def load(cls, path: str) -> Baseline:
        try:
            data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
            profile = str(data["configuration"]["profile"])
            verdicts = {str(e["id"]): str(e["verdict"]) for e in data["requirements"]}
        except OSError as error:
            raise BaselineError(
                f"cannot read the baseline {path} ({error.strerror}); give the path of an "
                "earlier run's --kv-summary file"
            ) from None
        except (ValueError, KeyError, TypeError):
            raise BaselineError(
                f"{path} is not a kv-conformance summary; give --baseline the JSON file an "
                "earlier run wrote with --kv-summary"
            ) from None
        return cls(path=path, profile=profile, verdicts=verdicts)

    def knows(self, requirement_id: str) -> bool:
        """Whether the requirement was already not met in the baseline."""
        return self.verdicts.get(requirement_id) in NOT_MET

    def compare(self, verdicts: Mapping[str, str]) -> Comparison:
        comparison = Comparison()
        for requirement_id, after in verdicts.items():
            before = self.verdicts.get(requirement_id, "absent")
            change = Change(requirement_id, before, after)
            if after in GATING:
                target = comparison.known if before in NOT_MET else comparison.regressions
                target.append(change)
            elif before in NOT_MET and after in MET:
                comparison.improvements.append(change)
        return comparison
