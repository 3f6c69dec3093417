"""--seed repeats a run exactly, and nothing from an earlier run changes a later one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow


def failure_lines(result: pytest.RunResult) -> list[str]:
    """What a failure says, without what differs per run (port, run marker)."""
    lines = [
        line
        for line in result.stdout.lines
        if re.search(r"Expected:|Received:|Example \(Hypothesis|^(FAIL|PASS|ERROR) ", line)
    ]
    return [re.sub(r"kvc-[0-9a-f]{8}-\d+", "KEY", line) for line in lines]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pytest(
        pytester,
        "--kv-reference-fault=float-numbers",
        "-k",
        "latest_write or sequences",
        *args,
        timeout=180,
    )


def test_same_seed_same_findings(pytester: pytest.Pytester) -> None:
    first = run(pytester, "--seed", "11")
    second = run(pytester, "--seed", "11")
    assert first.ret == second.ret == 1
    assert failure_lines(first) == failure_lines(second)
    assert any("Example (Hypothesis, --seed 11)" in line for line in failure_lines(first))


def test_no_example_database_is_kept(pytester: pytest.Pytester) -> None:
    run(pytester, "--seed", "12")
    assert not (Path(pytester.path) / ".hypothesis" / "examples").exists()


def test_seed_is_printed_and_recorded(pytester: pytest.Pytester) -> None:
    result = run_pytest(
        pytester,
        "-k",
        "absent_key",
        "--junitxml=junit.xml",
        timeout=120,
    )
    seed = re.search(r"seed (\d+) \(rerun with --seed \1\)", result.stdout.str())
    assert seed is not None
    result.stdout.fnmatch_lines([f"Seed {seed.group(1)}: rerun with --seed {seed.group(1)}."])
    junit = (Path(pytester.path) / "junit.xml").read_text(encoding="utf-8")
    assert f'<property name="kv_seed" value="{seed.group(1)}" />' in junit
