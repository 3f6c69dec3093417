"""Command-line parsing for the project's own commands: a bad argument ends with one sentence
and exit status 2, never a traceback nor a page of usage text."""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn


class UsageError(Exception):
    """A bad argument found after parsing; the message is the sentence to print."""


class Parser(argparse.ArgumentParser):
    """``argparse`` whose errors are one line: ``PROG: sentence``."""

    def error(self, message: str) -> NoReturn:
        # argparse prints its usage text first; the sentence alone says what to change.
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the port must be a number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be 0 to 65535, not {value}")
    return value


def milliseconds(text: str) -> float:
    """Zero or more milliseconds, a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be zero or more milliseconds, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value
