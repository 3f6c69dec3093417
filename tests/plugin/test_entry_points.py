"""The ways to start the suite: the console command, --pyargs, --help and --help-pytest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.engine.requirements import Catalogue
from conformance.plugin.options import OPTIONS

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The console command (``python -m conformance.cli``) with ``args``."""
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_console_command_help_is_the_suites_options_first() -> None:
    result = _cli("--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "usage: kv-conformance [options] [pytest options]"
    assert any(line.lstrip().startswith("--target-url=URL") for line in lines[:40])
    listed = {line.split()[0] for line in lines if line.startswith("  --")}
    # Every option of the suite, as pytest --help shows it, from the one definition.
    assert {option.shown for option in OPTIONS} <= listed
    for option in ("--target-url=URL", "--token=TOKEN", "--profile={core,mattermost}", "--seed=N"):
        assert option in listed
    assert "--help-pytest" in result.stdout
    example = "kv-conformance --kv-reference-fault delete-is-noop -k deleted_key"
    assert f"\n  {example}\n" in result.stdout
    assert len(lines) < 120  # pytest's own help is over 500 lines
    assert _cli("-h").stdout == result.stdout


def test_console_command_help_pytest_is_pytests_whole_help() -> None:
    result = _cli("--help-pytest")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("usage: kv-conformance [options]"), lines[0]
    assert len(lines) > 300
    for text in ("-k EXPRESSION", "--junit-xml=path", "KV API conformance (kv-conformance):"):
        assert text in result.stdout
    assert "  --target-url=URL" in result.stdout


def test_console_command_ignores_the_pytest_configuration_where_it_runs(
    tmp_path: Path,
) -> None:
    # The user's own repository, as in both CI recipes: its pytest settings would break the
    # run (--cov is unknown here, no check_*.py exists), and its conftest.py is its own.
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'myapp'\nversion = '0'\n"
        "[tool.pytest.ini_options]\naddopts = '--cov=myapp'\npython_files = ['check_*.py']\n"
    )
    (tmp_path / "conftest.py").write_text("raise SystemExit('the user conftest was loaded')\n")
    before = sorted(path.name for path in tmp_path.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "--kv-hold=0", "--kv-examples=10"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    core = len(Catalogue.load().in_profile("core")) - 1  # RST-01 needs --restart-cmd
    assert f"\nCONFORMANT (core profile): {core} pass" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # nothing left there


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--kv-timeot", "3"], "kv-conformance: unrecognized arguments: --kv-timeot 3; see "),
        (["--kv-timeout", "abc"], "kv-conformance: argument --kv-timeout: invalid float value"),
    ],
)
def test_a_command_line_pytest_cannot_parse_is_one_sentence(args: list[str], sentence: str) -> None:
    result = _cli(*args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(sentence), result.stderr
    assert "usage:" not in result.stdout + result.stderr


def test_version_is_the_suites_then_its_libraries() -> None:
    result = _cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(
        r"kv-conformance \d+\.\d+\.\d+ \(pytest \S+, hypothesis \S+, schemathesis \S+\)\n",
        result.stdout,
    ), result.stdout


def test_n_without_the_parallel_extra_says_what_to_install() -> None:
    # As where pytest-xdist is not installed: blocked as a plugin and as a module.
    code = (
        "import sys; sys.modules['xdist'] = None; from conformance.cli import main; "
        "raise SystemExit(main(['-p', 'no:xdist', '-p', 'no:xdist.looponfail', '-n', '2']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "-n needs pytest-xdist: install the parallel extra" in result.stderr


def test_benchmark_prints_its_figures() -> None:
    # One short round: that the figures are printed, never how large (machines are noisy).
    result = subprocess.run(
        [
            *(sys.executable, "-m", "conformance.tools.bench", "--rounds=1", "--operations=20"),
            *("--throughput-rounds=1", "--plugin-runs=1", "--latency-ms=0,20", "--no-hang"),
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
    labels = ("requests issued", "raw-HTTP floor", "overhead ratio", "ratio to that floor")
    for label in (*labels, "dependent chain", "round trip", r"wall / \(chain x rtt\)"):
        found = re.search(rf"^    {label} +([0-9.]+)", out, re.MULTILINE)
        assert found, f"no {label!r} line"
        assert float(found.group(1)) > 0
    assert "the server 20 ms away" in out
    assert out.count("raw-HTTP floor") == 1  # loopback only: sequential across 20 ms is slow
    assert out.count(" clients: ") == 3  # throughput at 1, 8 and 50 clients
    assert re.search(r"the plugin adds [-+][0-9.]+ s", out)
