"""The ways to start the suite: the console command, --pyargs, and --help."""

from __future__ import annotations

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
    assert "CONFORMANT (core profile): 1 pass" in result.stdout
