"""--restart-cmd: acknowledged sets must survive a restart. The reference server keeps them
with its SQLite store and loses them with its memory store; each is restarted by SIGKILL."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
