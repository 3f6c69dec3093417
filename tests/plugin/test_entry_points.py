"""The ways to start the suite: the console command, --pyargs, and --help."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_console_command_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for option in (
        "--target-url=URL",
        "--token=TOKEN",
        "--profile=",
        "--kv-path=PATH",
        "--kv-strict",
        "--seed=N",
    ):
        assert option in result.stdout


def test_console_command_runs_the_suite_from_anywhere(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "-q", "-k", "absent_key"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PARTIAL (core profile): 1 pass" in result.stdout


def test_benchmark_prints_its_figures() -> None:
    # One short round: that the figures are printed, never how large (machines are noisy).
    result = subprocess.run(
        [
            *(sys.executable, "-m", "conformance.tools.bench", "--rounds=1", "--operations=20"),
            *("--throughput-rounds=1", "--plugin-runs=1"),
            *("--", "--kv-hold=0", "--kv-examples=5"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "round 1: " in out
    assert "CONFORMANT" in out
    for label in ("requests issued", "raw-HTTP floor", "overhead ratio", "ratio to that floor"):
        found = re.search(rf"^  {label} +([0-9.]+)", out, re.MULTILINE)
        assert found, f"no {label!r} line"
        assert float(found.group(1)) > 0
    assert out.count(" clients: ") == 3  # throughput at 1, 8 and 50 clients
    assert re.search(r"the plugin adds [-+][0-9.]+ s", out)
