"""The embedded reference server, run in its own process so it does not share the suite's GIL."""

from __future__ import annotations

import secrets
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import IO

from conformance.engine.config import ConfigError

START_DEADLINE_SECONDS = 30.0


class ReferenceStartError(RuntimeError):
    """The reference server process did not print its URL."""


def spawn_reference(
    args: Sequence[str],
    *,
    deadline_seconds: float = START_DEADLINE_SECONDS,
    stderr: IO[str] | int = subprocess.PIPE,
    new_session: bool = False,
    tokens: Sequence[str] = (),
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m conformance.reference ARGS``; the process and the URL it printed.

    ``tokens`` go to it on stdin (``--tokens-from-stdin``), never on its command line, which
    any user of the machine can read; stdin then stays open, and the server ends when it
    closes: when ``stop`` closes it, or when this process ends, even killed.

    Waits on its stdout with a deadline (no sleeping); on failure the process is gone and
    ``ReferenceStartError`` says why.
    """
    stdin_args = ["--tokens-from-stdin"] if tokens else []
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.reference", *stdin_args, *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.PIPE if tokens else subprocess.DEVNULL,
        text=True,
        start_new_session=new_session,  # True: the server outlives its starter
    )
    if tokens:
        assert process.stdin is not None
        process.stdin.write("".join(f"{token}\n" for token in tokens) + "\n")
        process.stdin.flush()
    assert process.stdout is not None
    deadline = time.monotonic() + deadline_seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                process.kill()
                process.communicate()
                raise ReferenceStartError(f"it printed no URL within {deadline_seconds:.0f} s")
    url = process.stdout.readline().strip()
    if not url:
        _, output = process.communicate(timeout=deadline_seconds)
        detail = (output or "").strip()
        raise ReferenceStartError(f"it exited with status {process.returncode}: {detail}")
    return process, url


class EmbeddedServer:
    """``python -m conformance.reference`` on port 0, with two fresh tokens."""

    def __init__(self, faults: Sequence[str] = (), latency_ms: float = 0.0) -> None:
        self.tokens = (secrets.token_urlsafe(18), secrets.token_urlsafe(18))
        self.faults = tuple(faults)
        self.latency_ms = latency_ms
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> EmbeddedServer:
        args = [
            "--port=0",
            f"--latency-ms={self.latency_ms:g}",
            *(f"--fault={fault}" for fault in self.faults),
        ]
        try:
            self._process, self.url = spawn_reference(args, tokens=self.tokens)
        except ReferenceStartError as error:
            raise ConfigError(
                f"the embedded reference server did not start ({error}); run "
                "`python -m conformance.reference --token A` to see why"
            ) from None
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()  # (communicate closes its stdin too, which also ends it)
        try:
            self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
        self._process = None
