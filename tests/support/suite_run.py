"""Run the conformance suite from the project's tests, as a user would, in its own process.

A separate process keeps each run's state (plugins, faulthandler, imported modules) apart from
the test worker's; the verdicts come from the run's own JSON summary (--kv-summary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.engine.verdicts import Verdict


@dataclass
class SuiteRun:
    ret: int
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # per requirement
    stdout: str = ""

    @property
    def failed(self) -> set[str]:
        """Requirements the server did not meet: failed MUSTs and unmet SHOULDs."""
        return {rid for rid, verdict in self.verdicts.items() if verdict in ("fail", "warn")}


def run_pytest(pytester: pytest.Pytester, *args: str, timeout: float = 120) -> pytest.RunResult:
    """pytest running the suite's checks (``--pyargs conformance.suite``) with ``args``."""
    return pytester.runpytest_subprocess(
        "--pyargs", "conformance.suite", "-p", "no:cacheprovider", *args, timeout=timeout
    )


def run_suite(pytester: pytest.Pytester, *args: str) -> SuiteRun:
    summary = (
        Path(pytester.path) / f"summary-{len(list(Path(pytester.path).glob('summary-*')))}.json"
    )
    result = run_pytest(
        pytester,
        "--assert=plain",  # as the kv-conformance command runs it (see conformance/cli.py)
        f"--kv-summary={summary}",
        *args,
        timeout=600,
    )
    run = SuiteRun(ret=int(result.ret), stdout=result.stdout.str())
    if summary.exists():
        data = json.loads(summary.read_text(encoding="utf-8"))
        run.verdicts = {entry["id"]: entry["verdict"] for entry in data["requirements"]}
    return run
