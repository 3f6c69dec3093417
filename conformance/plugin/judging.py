"""From one test's outcome to requirement verdicts, and the report adjusted to say so."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

import pytest

from conformance.engine.baseline import Baseline
from conformance.engine.failures import (
    NotApplicable,
    NotTested,
    OutOfTime,
    RequirementFailure,
    Unsupported,
)
from conformance.engine.requirements import Catalogue
from conformance.engine.verdicts import Verdict

# Hypothesis' own note on for_all's wrapper names no value (the harness adds the example).
HYPOTHESIS_EMPTY_NOTE = re.compile(r"(Falsifying|Failing)( explicit)? (example|test case): run\(")

Judged = tuple[str, Verdict, str]  # (requirement, verdict, reason)


@dataclass(frozen=True)
class Judge:
    catalogue: Catalogue
    strict: bool
    baseline: Baseline | None

    def judge(
        self,
        item: pytest.Item,
        report: pytest.TestReport,
        call: pytest.CallInfo[None],
        own: str,
    ) -> list[Judged]:
        """Verdicts from one test outcome of requirement ``own``, its own first. Adjusts the
        report: unsupported and not tested are skips, an unmet SHOULD an xfail."""
        if call.excinfo is None:
            return [(own, "pass", "met")]
        error = call.excinfo.value
        failure = find(error, RequirementFailure)
        skip: Exception | None = (
            error if isinstance(error, NotTested | Unsupported | NotApplicable) else None
        )
        if skip is None and failure is None:
            # Hypothesis may wrap OutOfTime (stopping mid-sequence looks flaky to it).
            skip = find(error, OutOfTime)
        if skip is not None:
            verdict: Verdict = (
                "not tested"
                if isinstance(skip, NotTested)
                else "not applicable"
                if isinstance(skip, NotApplicable)
                else "unsupported"
            )
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"{verdict}: {skip}")
            return [(own, verdict, str(skip))]
        if failure is None:
            return [(own, "error", f"{type(error).__name__} in the suite")]
        failed = failure.requirement
        note(item, report, "requirement_failed", failed.id)
        report.longrepr = explain(failure, item)
        verdict = "fail"
        if failed.level != "MUST" and not self.strict:
            # An unmet SHOULD (or MAY) is a warning: shown as xfail, exit status 0.
            verdict = "warn"
            report.outcome = "skipped"
            report.wasxfail = (
                f"{failed.id} ({failed.level}) not met: expected {failure.expected}; "
                f"received {failure.received}"
            )
        if failed.id == own:
            return [(own, verdict, failure.reason)]
        return [
            (own, "error", f"not judged: {failed.id} failed first ({failure.reason})"),
            (failed.id, verdict, failure.reason),
        ]

    def stopped_checks(
        self,
        item: pytest.Item,
        report: pytest.TestReport,
        judged: list[Judged],
        failure: RequirementFailure,
    ) -> list[Judged]:
        """The breaker opened during this test: HTTP-01 fails here, with its evidence (the
        requests left unanswered), whatever the test's own verdict."""
        failed = failure.requirement.id
        shown = explain(failure, item)
        if any(rid == failed and verdict == "fail" for rid, verdict, _ in judged):
            report.longrepr = f"{report.longrepr}\n\n{shown}"  # this check's, then the run's
            return judged
        note(item, report, "requirement_failed", failed)
        if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            shown = f"{report.longrepr[2]}\n{shown}"
        report.outcome = "failed"
        report.longrepr = shown
        if hasattr(report, "wasxfail"):  # a SHOULD's warning: the report is a failure now
            del report.wasxfail
        return [*judged, (failed, "fail", failure.reason)]

    def mark_known(
        self, item: pytest.Item, report: pytest.TestReport, judged: list[Judged]
    ) -> None:
        """A failure the baseline already had is shown as an expected failure: only
        regressions fail the run."""
        failed = [judged_id for judged_id, verdict, _ in judged if verdict == "fail"]
        if failed and self.baseline is not None and self.baseline.knows(failed[-1]):
            report.outcome = "skipped"
            report.wasxfail = f"{failed[-1]} already failed in the baseline {self.baseline.path}"
            note(item, report, "baseline", "known failure")


def note(item: pytest.Item, report: pytest.TestReport, name: str, value: str) -> None:
    """A property of the test: on this report (HTML rows) and on the item, whose later
    teardown report is the one junitxml writes as <property> elements."""
    report.user_properties.append((name, value))
    item.user_properties.append((name, value))


def explain(failure: RequirementFailure, item: pytest.Item) -> str:
    """What a failure shows (terminal, HTML, JUnit): the requirement, expected vs received,
    the reproduction and Hypothesis' notes; the suite's own source would only distract."""
    notes = [
        str(note)
        for note in getattr(failure, "__notes__", ())
        if not HYPOTHESIS_EMPTY_NOTE.match(str(note))
    ]
    return "\n".join([failure.render(), *notes, f"Checked by {item.nodeid}"])


_E = TypeVar("_E", bound=BaseException)


def find(error: BaseException, kind: type[_E]) -> _E | None:
    """The first ``kind`` in an exception, its exception groups or its causes."""
    pending: list[BaseException] = [error]
    visited: set[int] = set()  # contexts can form cycles
    while pending:
        current = pending.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, kind):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None
