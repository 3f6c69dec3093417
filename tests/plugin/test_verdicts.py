"""What the terminal says and what the exit status means, for each kind of verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference import ReferenceServer
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

TOKENS = ["secret-token-alpha", "secret-token-bravo"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pytest(pytester, "--seed", "5", *args, in_process=True)


@pytest.fixture
def faulty() -> Iterator[ReferenceServer]:
    with ReferenceServer(TOKENS, faults=["shared-between-users", "text-content-type"]) as server:
        yield server


def target(server: ReferenceServer) -> list[str]:
    return ["--target-url", server.url, "--token", TOKENS[0], "--token", TOKENS[1]]


def test_must_failure_explains_itself_without_tokens(
    pytester: pytest.Pytester, faulty: ReferenceServer
) -> None:
    result = run(pytester, *target(faulty), "-k", "isolat")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*ISO-01 (MUST): Identity B never reads, changes or removes identity A's entries*",
            "*Expected: B never reads a value written by A*",
            "*Received: 200 text/plain; charset=utf-8*by*A*",
            "*Reproduce with (set $KV_TOKEN and $KV_TOKEN_B first):*",
            '*1. curl -sS -i -X POST -H "Authorization: Bearer $KV_TOKEN"*',
            '*2. curl -sS -i -X GET -H "Authorization: Bearer $KV_TOKEN_B"*',
            "*Example (Hypothesis, --seed 5): steps=*",
            "FAIL*ISO-01*MUST*",
            "NOT CONFORMANT (core profile): 1 fail",
        ]
    )
    output = result.stdout.str() + result.stderr.str()
    for token in TOKENS:
        assert token not in output


def test_should_failure_is_a_warning_unless_strict(
    pytester: pytest.Pytester, faulty: ReferenceServer
) -> None:
    lenient = run(pytester, *target(faulty), "-k", "served_as_json")
    assert lenient.ret == 0
    lenient.stdout.fnmatch_lines(["WARN*VAL-03*SHOULD*", "PARTIAL (core profile): 1 warn"])
    strict = run(pytester, *target(faulty), "-k", "served_as_json", "--kv-strict")
    assert strict.ret == 1
    strict.stdout.fnmatch_lines(["FAIL*VAL-03*SHOULD*", "NOT CONFORMANT (core profile): 1 fail"])


def test_optional_feature_absent_is_unsupported(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--kv-reference-fault", "no-prefix-route", "-k", "prefix")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "UNSUPPORTED*PFX-01*MAY*the prefix route is not supported*",
            "UNSUPPORTED*PFX-02*MUST*",
            "PARTIAL (core profile): 3 unsupported",
        ]
    )


def test_checks_cut_short_by_max_duration_are_not_tested_not_failed(
    pytester: pytest.Pytester,
) -> None:
    # --thorough examples outlast the limit, so it falls in the middle of a check (inside
    # Hypothesis, or of examples on the lanes); the reference server is correct.
    result = run(pytester, "--thorough", "--max-duration=10", "-k", "sequences or values")
    assert result.ret == 2, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(
        [
            "NOT TESTED*not finished: the run reached --max-duration*",
            "Incomplete run: --max-duration (10 s) reached.",
        ]
    )
    assert "FAIL" not in result.stdout.str()
    assert "ERROR" not in result.stdout.str()


def test_profile_selects_requirements(pytester: pytest.Pytester) -> None:
    core = run(pytester, "--collect-only", "-q")
    mattermost = run(pytester, "--collect-only", "-q", "--profile", "mattermost")
    assert "test_mattermost.py" not in core.stdout.str()
    assert "test_mattermost.py::test_values_come_back_byte_for_byte" in mattermost.stdout.str()
    assert "test_values.py::test_values_are_served_as_json" not in mattermost.stdout.str()


def test_a_selection_is_partial_never_conformant(pytester: pytest.Pytester) -> None:
    summary = Path(pytester.path) / "summary.json"
    result = run(pytester, "-k", "deleted_key", f"--kv-summary={summary}")
    assert result.ret == 0  # nothing that ran failed (README: Exit status)
    result.stdout.fnmatch_lines(
        [
            "Incomplete run: the selection (-k, -m or test ids) left out * requirements of the "
            "profile: AUTH-01, *",
            "PARTIAL (core profile): 1 pass",
        ]
    )
    data = json.loads(summary.read_text())
    assert data["verdict"] == "PARTIAL"
    assert data["complete"] is False
    assert "DEL-01" not in data["incomplete_reason"]
    assert "ISO-01" in data["incomplete_reason"]
