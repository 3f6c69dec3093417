"""Running --restart-cmd: bounded, and never waiting on what the command leaves running.

A restart command naturally ends with the new server in the background (``server &``). That
server inherits the command's stdout and stderr; read through pipes, they would not close
until the server ends, and the run would wait for it. The command's output goes to a file
instead, and the run waits for the command itself, within the time the run has left.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
import time

from conformance.engine.clock import RunClock
from conformance.engine.failures import NotTested

RESTART_COMMAND_TIMEOUT = 300.0  # seconds, without --max-duration
OUTPUT_LINES_SHOWN = 1


def restart(command: str, clock: RunClock) -> None:
    """Run ``command`` (a shell command line); raise NotTested if it fails or overruns."""
    deadline = clock.deadline
    timeout = RESTART_COMMAND_TIMEOUT
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
    if timeout <= 0:
        raise NotTested("not run: no time was left for --restart-cmd within --max-duration")
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to stop if it overruns
        )
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise NotTested(
                f"--restart-cmd {shlex.quote(command)} did not finish within {timeout:.0f} s; "
                "it must restart the server and return (start the new server in the "
                "background: `... &`)"
            ) from None
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if status != 0:
        last = text.strip().splitlines()[-OUTPUT_LINES_SHOWN:] or [""]
        raise NotTested(
            f"--restart-cmd {shlex.quote(command)} failed (exit {status}) {last[0]}; fix the "
            "command to judge RST-01"
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
