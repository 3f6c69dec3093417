"""Run ``python -m conformance.reference`` as a subprocess for the length of a test."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from conformance.engine.embedded import START_DEADLINE_SECONDS, spawn_reference

__all__ = ["START_DEADLINE_SECONDS", "reference_process", "spawn_reference"]


@contextmanager
def reference_process(args: Sequence[str]) -> Iterator[str]:
    """The base URL of a reference server that is terminated when the block ends."""
    process, url = spawn_reference(args)
    try:
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=START_DEADLINE_SECONDS)
