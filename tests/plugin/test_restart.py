"""--restart-cmd: acknowledged sets must survive a restart. The reference server keeps them
with its SQLite store and loses them with its memory store; each is restarted by SIGKILL."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.intermediaries import free_port
from tests.support.restart_server import TOKENS
from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
# As a module from the repository root: run as a script, tests/support/http.py would shadow
# the standard library's http package.
RESTART = [sys.executable, "-m", "tests.support.restart_server"]


@pytest.fixture
def server_state(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A reference server started by the restart command itself, killed at the end."""
    state = tmp_path / "server"
    state.mkdir()
    store = f"sqlite:{state / 'kv.sqlite3'}" if request.param == "sqlite" else "memory"
    (state / "store").write_text(store, encoding="utf-8")
    subprocess.run([*RESTART, str(state)], check=True, timeout=120, cwd=REPOSITORY)
    yield state
    with contextlib.suppress(ProcessLookupError):
        os.kill(int((state / "pid").read_text(encoding="utf-8")), signal.SIGKILL)


@pytest.mark.parametrize(
    ("server_state", "verdict"), [("sqlite", "pass"), ("memory", "fail")], indirect=["server_state"]
)
def test_restart_keeps_acknowledged_sets(
    pytester: pytest.Pytester, server_state: Path, verdict: str
) -> None:
    url = (server_state / "url").read_text(encoding="utf-8")
    pid_before = (server_state / "pid").read_text(encoding="utf-8")
    command = f"cd {shlex.quote(str(REPOSITORY))} && {shlex.join([*RESTART, str(server_state)])}"
    run = run_suite(
        pytester,
        "--target-url",
        url,
        *(f"--token={token}" for token in TOKENS),
        f"--restart-cmd={command}",
        "--seed=1",
        "-k",
        "restart or absent_key",
    )
    assert run.verdicts == {"ABS-01": "pass", "RST-01": verdict}, run.stdout
    assert (server_state / "pid").read_text(encoding="utf-8") != pid_before  # it did restart
    if verdict == "fail":
        assert "the value acknowledged before the restart" in run.stdout


@pytest.mark.parametrize("server_state", ["memory"], indirect=True)
def test_without_restart_cmd_the_check_is_left_out(
    pytester: pytest.Pytester, server_state: Path
) -> None:
    url = (server_state / "url").read_text(encoding="utf-8")
    run = run_suite(
        pytester,
        "--target-url",
        url,
        *(f"--token={token}" for token in TOKENS),
        "-k",
        "restart or absent_key",
    )
    assert run.ret == 0
    assert run.verdicts == {"ABS-01": "pass"}


def test_failing_restart_command_is_reported_not_judged(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--restart-cmd=exit 3", "-k", "restart")
    assert run.ret == 2
    assert run.verdicts == {"RST-01": "not tested"}
    assert "--restart-cmd 'exit 3' failed (exit 3)" in run.stdout


def test_the_readmes_restart_example(tmp_path: Path) -> None:
    # As a user would: the new server is left running in the background, holding the
    # command's stdout, which once kept the run waiting for minutes.
    port, pid_file = free_port(), tmp_path / "kv.pid"
    serve = (
        f"{shlex.quote(sys.executable)} -m conformance.reference --port {port} "
        "--token token-aaaa --token token-bbbb "
        f"--store sqlite:{tmp_path / 'kv.db'} --pid-file {pid_file}"
    )
    restart = f"kill -9 $(cat {pid_file}); {serve} --wait-for-port &"
    first = subprocess.Popen(serve, shell=True, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("http://127.0.0.1:")
        result = subprocess.run(
            [
                *(sys.executable, "-m", "conformance.cli", "--kv-summary=summary.json"),
                *(f"--target-url=http://127.0.0.1:{port}", "--token=token-aaaa"),
                *("--token=token-bbbb", f"--restart-cmd={restart}"),
                *("--max-duration=120", "-k", "restart or absent_key"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            os.kill(int((tmp_path / "kv.pid").read_text()), signal.SIGKILL)
        first.kill()
        first.communicate()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    verdicts = {
        entry["id"]: entry["verdict"]
        for entry in json.loads((tmp_path / "summary.json").read_text())["requirements"]
    }
    assert verdicts == {"ABS-01": "pass", "RST-01": "pass"}


def test_a_restart_command_that_never_returns_is_bounded(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--restart-cmd=sleep 600", "--max-duration=10", "-k", "restart")
    assert run.ret == 2
    assert run.verdicts == {"RST-01": "not tested"}
    assert "--restart-cmd 'sleep 600' did not finish within" in run.stdout
