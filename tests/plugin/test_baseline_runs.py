"""--baseline end to end: only regressions fail the run; known failures and improvements are
listed, in the terminal, the JSON summary and JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

CHECKS = "deleted_key or isolated"  # DEL-01 and ISO-01: enough to see each kind of change


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pytest(
        pytester,
        "--seed",
        "4",
        "-k",
        CHECKS,
        *args,
        in_process=True,
    )


@pytest.fixture
def base(pytester: pytest.Pytester) -> str:
    """A baseline in which DEL-01 fails."""
    result = run(pytester, "--kv-reference-fault", "delete-is-noop", "--kv-summary=base.json")
    assert result.ret == 1
    return "base.json"


def test_known_failure_passes_the_gate_but_not_the_verdict(
    pytester: pytest.Pytester, base: str
) -> None:
    result = run(
        pytester,
        "--kv-reference-fault",
        "delete-is-noop",
        f"--baseline={base}",
        "--kv-summary=now.json",
        "--junitxml=junit.xml",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "NOT CONFORMANT (core profile): 1 pass, 1 fail",
            "Against the baseline base.json: regressions 0, known failures 1, improvements 0.",
            "  Known: DEL-01 was fail, is fail",
            "*1 passed*1 xfailed*",
        ]
    )
    summary = json.loads(Path(pytester.path, "now.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "NOT CONFORMANT"
    assert summary["configuration"]["baseline"] == base
    assert summary["baseline"]["known"] == [{"id": "DEL-01", "before": "fail", "after": "fail"}]
    junit = Path(pytester.path, "junit.xml").read_text(encoding="utf-8")
    assert '<property name="baseline" value="known failure" />' in junit


def test_regression_fails_the_run(pytester: pytest.Pytester, base: str) -> None:
    result = run(
        pytester,
        "--kv-reference-fault",
        "delete-is-noop",
        "--kv-reference-fault",
        "shared-between-users",
        f"--baseline={base}",
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "Against the baseline base.json: regressions 1, known failures 1, improvements 0.",
            "  Regression: ISO-01 was pass, is fail",
            "  Known: DEL-01 was fail, is fail",
        ]
    )


def test_improvement_is_listed(pytester: pytest.Pytester, base: str) -> None:
    result = run(pytester, f"--baseline={base}", "--kv-summary=now.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "PARTIAL (core profile): 2 pass",
            "  Improvement: DEL-01 was fail, is pass",
        ]
    )
    summary = json.loads(Path(pytester.path, "now.json").read_text(encoding="utf-8"))
    assert summary["baseline"]["improvements"] == [
        {"id": "DEL-01", "before": "fail", "after": "pass"}
    ]


def test_baseline_of_another_profile_is_a_configuration_error(
    pytester: pytest.Pytester, base: str
) -> None:
    result = run(pytester, f"--baseline={base}", "--profile", "mattermost")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*kv-conformance: the baseline base.json is of the core profile: run with --profile core*"]
    )
