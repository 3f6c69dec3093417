"""Runs split over pytest-xdist workers (``pytest -n N``).

Each worker opens its own target (its own embedded server, or the given server) and runs its
share of the checks under the seed and with the run marker the controller chose for it; the
controller, which so knows every marker before any check runs, prints the opening line once.
Workers send each test's verdicts with its report, and their run facts (latencies, cleanup)
when they finish; the controller gathers both into its run, which writes the one record, HTML
report and exit status, as a serial run would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.engine.record import RunFacts
    from conformance.plugin.judging import Judged

JUDGED = "kv_judged"  # user property carrying a test's verdicts from worker to controller
EXCHANGES = "kv_exchanges"  # user property: the numbers of a failure's exchanges
FACTS = "kv_facts"  # workeroutput key carrying a worker's RunFacts
_SUITE = Path(__file__).resolve().parent.parent / "suite"
SEED = "kv_seed"  # workerinput key: the seed every worker uses
MARKER = "kv_marker"  # workerinput key: the worker's own run marker


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    """A run that hands its tests to xdist workers (this process runs none)."""
    if is_worker(config) or not config.pluginmanager.hasplugin("xdist"):
        return False
    return bool(config.getoption("numprocesses", None)) and config.getoption("dist") != "no"


def shared_seed(config: pytest.Config) -> int | None:
    """The seed a worker must use, chosen by the controller."""
    if is_worker(config):
        seed = config.workerinput.get(SEED)  # type: ignore[attr-defined]
        return int(seed) if seed is not None else None
    return None


def shared_marker(config: pytest.Config) -> str | None:
    """The run marker the controller chose for this worker."""
    if is_worker(config):
        marker = config.workerinput.get(MARKER)  # type: ignore[attr-defined]
        return str(marker) if marker is not None else None
    return None


def collects_suite(config: pytest.Config) -> bool:
    """Whether the run's arguments name the suite's checks (``kv-conformance``, ``--pyargs
    conformance.suite``, their folder or one above it). The controller collects nothing
    itself, and the plugin is in every pytest run of its environment (the project's own tests
    run with -n): only a run of the checks is a conformance run."""
    for arg in config.args:
        name = arg.partition("::")[0]
        if config.option.pyargs and (name == "conformance" or name.startswith("conformance.suite")):
            return True
        path = (config.invocation_params.dir / name).resolve()
        if path.is_relative_to(_SUITE) or _SUITE.is_relative_to(path):
            return True
    return False


def encode_judged(judged: list[Judged]) -> str:
    return json.dumps(judged)


class Controller:
    """The controller's side: the seed and a run marker handed to every worker, the markers
    announced (to ``on_start``, if given) before the first test starts, verdicts from reports
    (to ``on_judged``, with the test's node id and its failure's exchanges), facts from
    finished workers."""

    def __init__(
        self,
        seed: int,
        on_judged: Callable[[list[Judged], str, list[int]], None],
        on_start: Callable[[dict[str, str]], None] | None,
    ) -> None:
        self.seed = seed
        self.facts: list[RunFacts] = []
        self.markers: dict[str, str] = {}  # worker id (gw0, ...) -> its run marker
        self._on_judged = on_judged
        self._on_start: Callable[[dict[str, str]], None] | None = on_start

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        from conformance.engine.namespace import new_marker  # noqa: PLC0415 (only in a run)

        node.workerinput[SEED] = self.seed
        node.workerinput[MARKER] = self.markers[str(node.gateway.id)] = new_marker()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        # The first test's start: every worker has been configured, and xdist's lines about
        # starting them are done.
        if self._on_start is not None:
            self._on_start(dict(self.markers))
            self._on_start = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from conformance.engine.record import RunFacts  # noqa: PLC0415 (only in a run)

        data = getattr(node, "workeroutput", {}).get(FACTS)
        if data is not None:
            self.facts.append(RunFacts.from_json(data))

    @staticmethod
    def stop_workers(config: pytest.Config) -> None:
        """Wait for the workers to exit. xdist does it only after the run's record is written,
        and under load it took seconds: the user waits for it, so the run's duration (in the
        record, as in pytest's own line and JUnit XML) includes it. xdist's own call later
        then finds no worker left."""
        nodemanager = getattr(config.pluginmanager.getplugin("dsession"), "nodemanager", None)
        if nodemanager is not None:
            nodemanager.teardown_nodes()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if JUDGED in properties:
            exchanges = json.loads(str(properties.get(EXCHANGES, "[]")))
            self._on_judged(json.loads(str(properties[JUDGED])), report.nodeid, exchanges)
