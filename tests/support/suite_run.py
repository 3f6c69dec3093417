"""Run the conformance suite from the project's tests, as a user would.

By default in its own process, which keeps each run's state (plugins, faulthandler, signal
handlers, imported modules) apart from the test worker's. The fault matrix runs the suite
some eighty times, so it runs it in the worker's process (``in_process``), which saves each
run the start of an interpreter and the import of pytest's plugins, Hypothesis and
schemathesis (about a second); the embedded server is still a process of its own. The
verdicts come from the run's own JSON summary (--kv-summary) either way.
"""

from __future__ import annotations

import gc
import importlib
import json
import pkgutil
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from conformance.engine.verdicts import Verdict


@dataclass
class SuiteRun:
    ret: int
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # per requirement
    checks: dict[str, set[str]] = field(default_factory=dict)  # per requirement: its test names
    stdout: str = ""

    def checks_of(self, requirements: set[str]) -> set[str]:
        """The names of the tests that judged ``requirements`` in this run (a -k selection)."""
        return {name for requirement in requirements for name in self.checks[requirement]}

    @property
    def failed(self) -> set[str]:
        """Requirements the server did not meet: failed MUSTs and unmet SHOULDs."""
        return {rid for rid, verdict in self.verdicts.items() if verdict in ("fail", "warn")}


def run_pytest(
    pytester: pytest.Pytester, *args: str, timeout: float = 120, in_process: bool = False
) -> pytest.RunResult:
    """pytest running the suite's checks (``--pyargs conformance.suite``) with ``args``, in a
    process of its own unless ``in_process`` (then ``timeout`` does not apply)."""
    options = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", *args]
    if in_process:
        _import_what_the_suite_imports()
        return pytester.runpytest_inprocess(*options)
    return pytester.runpytest_subprocess(*options, timeout=timeout)


@cache
def _import_what_the_suite_imports() -> None:
    """Import, once per process, every module the suite's checks import. An in-process run
    (pytester) removes the modules first imported during it; what is imported here stays, so
    only the checks' own modules are imported again, and libraries never twice."""
    import conformance.plugin.run  # noqa: PLC0415 (what a run loads)
    import conformance.suite  # noqa: PLC0415

    for module in pkgutil.iter_modules(conformance.suite.__path__, "conformance.suite."):
        importlib.import_module(module.name)
    for name in [name for name in sys.modules if name.startswith("conformance.suite")]:
        del sys.modules[name]  # collected afresh by each run, as from a new process
    # What exists now lives as long as the process: the garbage collector need not look at
    # it again in every run (it would, as often as a run allocates).
    gc.freeze()


def run_suite(pytester: pytest.Pytester, *args: str, in_process: bool = False) -> SuiteRun:
    summary = (
        Path(pytester.path) / f"summary-{len(list(Path(pytester.path).glob('summary-*')))}.json"
    )
    result = run_pytest(
        pytester,
        "--assert=plain",  # as the kv-conformance command runs it (see conformance/cli.py)
        f"--kv-summary={summary}",
        *args,
        timeout=600,
        in_process=in_process,
    )
    run = SuiteRun(ret=int(result.ret), stdout=result.stdout.str())
    if summary.exists():
        data = json.loads(summary.read_text(encoding="utf-8"))
        run.verdicts = {entry["id"]: entry["verdict"] for entry in data["requirements"]}
        run.checks = {
            entry["id"]: {nodeid.rpartition("::")[2] for nodeid in entry["tests"]}
            for entry in data["requirements"]
        }
    return run
