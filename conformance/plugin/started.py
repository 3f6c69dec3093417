"""When the pytest session started: the start every report gives for the run, and the origin
of its duration.

From pytest's session start, as pytest's own closing ``in N s`` and JUnit XML's testsuite
``time`` and ``timestamp`` count, and in the process that writes the reports: under
pytest-xdist, the controller, so the workers' start-up is in the duration, as the user waited
for it. (Python's own start and the import of pytest's plugins, before any hook, are not.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Started:
    at: float  # seconds since the epoch, for the timestamp
    monotonic: float  # for the duration, which a clock change must not bend

    @classmethod
    def now(cls) -> Started:
        return cls(time.time(), time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.monotonic


STARTED: pytest.StashKey[Started] = pytest.StashKey()


def note_start(config: pytest.Config) -> None:
    config.stash[STARTED] = Started.now()


def session_start(config: pytest.Config) -> Started | None:
    return config.stash.get(STARTED, None)
