"""Run the conformance suite inside the project's tests (pytest inside pytest)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.verdicts import SEVERITY, Verdict


@dataclass
class SuiteRun:
    ret: int
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # worst verdict per requirement
    failed: set[str] = field(default_factory=set)  # requirements named by a failure

    def deviations(self) -> set[str]:
        """Requirements the server did not meet: failed MUSTs and unmet SHOULDs."""
        return set(self.failed)


def run_suite(pytester: pytest.Pytester, *args: str) -> SuiteRun:
    """The suite in-process (fast), reading verdicts from the reports' user properties."""
    recorder = pytester.inline_run("--pyargs", "conformance.suite", "-p", "no:cacheprovider", *args)
    run = SuiteRun(ret=int(recorder.ret or 0))
    for report in recorder.getreports("pytest_runtest_logreport"):
        properties = dict(report.user_properties)
        requirement = properties.get("requirement")
        if "requirement_failed" in properties:
            run.failed.add(str(properties["requirement_failed"]))
        verdict = properties.get("verdict")
        if requirement and verdict:
            current = run.verdicts.get(str(requirement))
            if current is None or SEVERITY[verdict] > SEVERITY[current]:  # type: ignore[index]
                run.verdicts[str(requirement)] = verdict  # type: ignore[assignment]
    return run
