"""Runs split over pytest-xdist workers (``pytest -n N``).

Each worker opens its own target (its own embedded server, or its own run marker on the
given server) and runs its share of the checks under the seed the controller chose. Workers
send each test's verdicts with its report, and their run facts (latencies, cleanup) when
they finish; the controller gathers both into its run, which writes the one record, HTML
report and exit status, as a serial run would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.engine.record import RunFacts
    from conformance.plugin.judging import Judged

JUDGED = "kv_judged"  # user property carrying a test's verdicts from worker to controller
EXCHANGES = "kv_exchanges"  # user property: the numbers of a failure's exchanges
FACTS = "kv_facts"  # workeroutput key carrying a worker's RunFacts
SEED = "kv_seed"  # workerinput key: the seed every worker uses


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


def encode_judged(judged: list[Judged]) -> str:
    return json.dumps(judged)


class Controller:
    """The controller's side: the seed handed to every worker, verdicts from reports (to
    ``on_judged``, with the test's node id and its failure's exchanges), facts from finished
    workers."""

    def __init__(
        self, seed: int, on_judged: Callable[[list[Judged], str, list[int]], None]
    ) -> None:
        self.seed = seed
        self.facts: list[RunFacts] = []
        self._on_judged = on_judged

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[SEED] = self.seed

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from conformance.engine.record import RunFacts  # noqa: PLC0415 (only in a run)

        data = getattr(node, "workeroutput", {}).get(FACTS)
        if data is not None:
            self.facts.append(RunFacts.from_json(data))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if JUDGED in properties:
            exchanges = json.loads(str(properties.get(EXCHANGES, "[]")))
            self._on_judged(json.loads(str(properties[JUDGED])), report.nodeid, exchanges)
