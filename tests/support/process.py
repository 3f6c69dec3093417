"""Start ``python -m conformance.reference`` as a subprocess and learn its URL, with a deadline."""

from __future__ import annotations

import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

START_DEADLINE_SECONDS = 20.0


def start_reference(args: Sequence[str]) -> tuple[subprocess.Popen[str], str]:
    """The process and the base URL it printed on its first line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.reference", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                process.kill()
                raise AssertionError(f"no URL within {START_DEADLINE_SECONDS} s")
    line = process.stdout.readline().strip()
    if not line:
        process.wait(timeout=START_DEADLINE_SECONDS)
        stderr = process.stderr.read() if process.stderr else ""
        raise AssertionError(f"exited {process.returncode} without a URL: {stderr}")
    return process, line


@contextmanager
def reference_process(args: Sequence[str]) -> Iterator[str]:
    process, url = start_reference(args)
    try:
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=START_DEADLINE_SECONDS)
