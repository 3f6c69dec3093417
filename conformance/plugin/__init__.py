"""The pytest plugin (entry point ``pytest11``): options, fixtures, and the run they serve.

Thin on purpose, and cheap: installed, it loads in every pytest run of the environment, so
it imports only pytest and the options here. The engine and the reports are imported, and
the run object (``conformance.plugin.run.KVRun``) registered, only once a conformance check
is collected; the hooks of a run live on that object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from conformance.plugin.har import HarOutput
from conformance.plugin.markers import MARKER, requirement_id
from conformance.plugin.options import add_options
from conformance.plugin.parallel import is_controller, is_worker, shared_seed
from conformance.plugin.started import note_start
from conformance.plugin.stopped import STOPPED
from conformance.report.html import HtmlReport

if TYPE_CHECKING:
    from conformance.engine.harness import Harness
    from conformance.engine.record import RunRecord
    from conformance.engine.target import Target
    from conformance.plugin.run import KVRun

RUN: pytest.StashKey[KVRun] = pytest.StashKey()  # the run of this process, once there is one


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(id): the catalogue requirement this conformance check judges"
    )
    if config.pluginmanager.hasplugin("html"):
        # Now: pytest-html asks for its table's columns when the session starts.
        report = HtmlReport(lambda: _record(config), lambda: config.stash.get(STOPPED, None))
        config.pluginmanager.register(report, "kv-conformance-html")
    HarOutput.register(config)  # before the controller's run: it may stop the run
    if is_worker(config) and config.option.kv_seed is None:
        config.option.kv_seed = shared_seed(config)
    if is_controller(config):
        from conformance.plugin.run import KVRun  # noqa: PLC0415 (a run is a cost)

        run = KVRun.start_controller(config)
        if run is not None:  # None: this process runs the checks itself, to stop them
            config.stash[RUN] = run


@pytest.hookimpl(tryfirst=True)  # as near as it gets to where pytest starts its own timing
def pytest_sessionstart(session: pytest.Session) -> None:
    note_start(session.config)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not any(requirement_id(item) for item in items):
        return  # not a conformance run (e.g. the project's own tests): stay out of the way
    from conformance.plugin.run import KVRun  # noqa: PLC0415 (a run is a cost)

    run = KVRun.start(config)
    config.stash[RUN] = run
    run.select(items)


def _record(config: pytest.Config) -> RunRecord | None:
    run = config.stash.get(RUN, None)
    return run.record if run is not None else None


@pytest.fixture(scope="session")
def kv_target(
    pytestconfig: pytest.Config, record_testsuite_property: Callable[[str, object], None]
) -> Target:
    """The one configured target of this run (its seed and profile go into JUnit XML)."""
    return pytestconfig.stash[RUN].fixture_target(record_testsuite_property)


@pytest.fixture
def kv(kv_target: Target) -> Iterator[Harness]:
    """A check's harness; removes what the check wrote."""
    from conformance.engine.failures import NotTested  # noqa: PLC0415 (see the module)
    from conformance.engine.harness import Harness  # noqa: PLC0415

    if kv_target.out_of_time():
        raise NotTested(
            f"not run: the run reached --max-duration ({kv_target.settings.max_duration:g} s)"
        )
    harness = Harness(kv_target)
    yield harness
    harness.cleanup()
