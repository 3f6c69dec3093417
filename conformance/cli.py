"""``kv-conformance``: run the suite from anywhere.

It runs the same in any directory: with the suite's own configuration file
(``conformance/suite/kv-conformance.ini``) as pytest's configuration and root, so the
``addopts``, ``python_files`` or ``conftest.py`` of the directory it is started in (the user's
own repository, in CI) do not apply, and with no cache folder left there. To run the suite as
part of one's own pytest, with its configuration, use ``pytest --pyargs conformance.suite``.

``--help`` (``-h``) prints the suite's options, from their one definition, with examples;
``--help-pytest`` prints pytest's whole help, which lists them among pytest's own.

A command line pytest cannot parse ends with one sentence and exit status 2, as any other
configuration error does. ``KV_ARGS``, if set, holds more arguments as one shell-quoted string
(``--restart-cmd "systemctl restart kv" -k "auth or keys"``): CI recipes pass their users'
arguments through it without splitting them on spaces.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Sequence
from importlib import resources
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import TextIO

import pytest

import conformance
from conformance.plugin.stopped import EXIT_CONFIGURATION
from conformance.usage import HELP_PYTEST, short_help

# pytest prints a usage error as "ERROR: usage: ... <prog>: error: <message>" on stderr.
_USAGE_ERROR = re.compile(r"ERROR: usage: .*?: error: (?P<message>.*)", re.DOTALL)
_XDIST_OPTIONS = ("-n", "--numprocesses", "--dist", "--maxprocesses")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args += shlex.split(os.environ.get("KV_ARGS", ""))
    except ValueError as error:  # an unclosed quote
        print(f"kv-conformance: KV_ARGS is not a shell-quoted string ({error})", file=sys.stderr)
        return EXIT_CONFIGURATION
    if args and args[0] in ("--version", "-V"):
        print(_versions())
        return 0
    if HELP_PYTEST not in args and any(arg in ("-h", "--help") for arg in args):
        print(short_help(min(shutil.get_terminal_size((100, 24)).columns, 100)), end="")
        return 0
    # The suite's folder as a path, not --pyargs: pytest then loads no conftest.py of the
    # directory it was started in.
    suite = Path(str(resources.files("conformance") / "suite"))
    own = [
        str(suite),
        f"--config-file={suite / 'kv-conformance.ini'}",
        f"--rootdir={suite}",
        "-p",
        "no:cacheprovider",
    ]
    # This module imported the package before pytest could rewrite its asserts; it needs none.
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # Verdicts come from RequirementFailure, not from assert statements, and rewriting the
    # ~400 modules of the plugins' packages costs about 2 s a run where bytecode is not cached.
    plain = [] if any(arg.startswith("--assert") for arg in args) else ["--assert=plain"]
    if HELP_PYTEST in args:  # pytest's own help, with the suite's options in it
        args = [arg for arg in args if arg != HELP_PYTEST] + ["--help"]
    stderr, stdout = sys.stderr, sys.stdout
    sys.stderr = errors = _UsageErrors(stderr, args)
    sys.stdout = _Renamed(stdout)
    try:
        status = int(pytest.main([*own, *quiet, *plain, *args]))
    finally:
        sys.stderr, sys.stdout = stderr, stdout
    if status == pytest.ExitCode.USAGE_ERROR:
        if errors.sentence is None:  # a usage error not from the command line's syntax
            return EXIT_CONFIGURATION
        print(f"kv-conformance: {errors.sentence}", file=stderr)
        return EXIT_CONFIGURATION
    return status


class _UsageErrors:
    """stderr, except that pytest's usage error (its usage text and the error) is kept back
    and turned into one sentence."""

    def __init__(self, wrapped: TextIO, args: list[str]) -> None:
        self._wrapped = wrapped
        self._args = args
        self.sentence: str | None = None

    def write(self, text: str) -> int:
        found = _USAGE_ERROR.search(re.sub(r"\x1b\[[0-9;]*m", "", text))
        if found is None:
            return self._wrapped.write(text)
        # pytest adds "inifile: ... rootdir: ..." lines: the suite's own, of no use here.
        message = " ".join(
            re.split(r"\s+(?:inifile|rootdir|configfile):", found.group("message"))[0].split()
        )
        self.sentence = _sentence(message, self._args)
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._wrapped, name)


class _Renamed:
    """stdout, except that pytest's help names this command (pytest.main() would name the
    function this command calls)."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:
        return self._wrapped.write(text.replace("usage: pytest.main()", "usage: kv-conformance"))

    def __getattr__(self, name: str) -> object:
        return getattr(self._wrapped, name)


def _sentence(message: str, args: list[str]) -> str:
    parallel = any(arg.split("=")[0] in _XDIST_OPTIONS or arg.startswith("-n") for arg in args)
    if "unrecognized arguments" in message and parallel and not _installed("xdist"):
        return (
            "-n needs pytest-xdist: install the parallel extra "
            "(pip install 'pytest-xdist>=3.6') or run without -n"
        )
    return f"{message}; see kv-conformance --help"


def _versions() -> str:
    """The suite's version, then the versions of what it runs on."""
    libraries = ", ".join(
        f"{name} {version(name)}" for name in ("pytest", "hypothesis", "schemathesis")
    )
    return f"kv-conformance {conformance.__version__} ({libraries})"


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ValueError:  # imported as None: blocked
        return False


if __name__ == "__main__":
    raise SystemExit(main())
