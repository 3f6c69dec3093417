"""The embedded reference server, run in its own process so it does not share the suite's GIL."""

from __future__ import annotations

import secrets
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence

from conformance.config import ConfigError

START_DEADLINE_SECONDS = 30.0


class EmbeddedServer:
    """``python -m conformance.reference`` on port 0, with two fresh tokens."""

    def __init__(self, faults: Sequence[str] = ()) -> None:
        self.tokens = (secrets.token_urlsafe(18), secrets.token_urlsafe(18))
        self.faults = tuple(faults)
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> EmbeddedServer:
        args = [sys.executable, "-m", "conformance.reference", "--port", "0"]
        # --opt=value: a generated token may start with "-".
        args += [f"--token={token}" for token in self.tokens]
        args += [f"--fault={fault}" for fault in self.faults]
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self._process = process
        assert process.stdout is not None
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    self.stop()
                    raise ConfigError(
                        f"the embedded reference server did not start within "
                        f"{START_DEADLINE_SECONDS:.0f} s; run `python -m conformance.reference "
                        "--token A` to see why"
                    )
        self.url = process.stdout.readline().strip()
        if not self.url:
            self.stop()
            raise ConfigError(
                "the embedded reference server exited at start; run "
                "`python -m conformance.reference --token A` to see why"
            )
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
        self._process = None
