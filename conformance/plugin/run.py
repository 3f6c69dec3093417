"""One conformance run inside pytest: the object the plugin's hooks delegate to.

The entry module (``conformance.plugin``) registers a ``KVRun`` with the plugin manager only
once a conformance check is collected (or, under pytest-xdist, in the controller), as
pytest-xdist does with its ``DSession`` and pytest-html with its ``Report``: a pytest run that
collects no check never imports this module, and none of these hooks run in it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from _pytest import junitxml
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.engine.clock import catch_interrupts
from conformance.engine.config import ConfigError, Settings
from conformance.engine.failures import RequirementFailure
from conformance.engine.record import RunFacts, RunRecord, build_record, suite_properties
from conformance.engine.requirements import Catalogue
from conformance.engine.target import Target
from conformance.engine.verdicts import FAILED, Verdicts
from conformance.plugin.har import HAR_OUTPUT, evidence_extras, worker_numbering
from conformance.plugin.judging import Judge, Judged, find, note
from conformance.plugin.markers import requirement_id
from conformance.plugin.parallel import (
    EXCHANGES,
    FACTS,
    JUDGED,
    Controller,
    collects_suite,
    encode_judged,
    is_worker,
    shared_marker,
)
from conformance.plugin.started import session_start
from conformance.plugin.stopped import EXIT_CONFIGURATION, stop_for_configuration
from conformance.report.summary import write_summary
from conformance.report.terminal import closing_lines, opening_line, verdict_lines
from conformance.wire.exchange import Exchange
from conformance.wire.network import Network

NAME = "kv-conformance-run"
# Why a run of the suite under -n runs in the controller's process instead, to stop there.
NOT_DISTRIBUTED: pytest.StashKey[str] = pytest.StashKey()
DURABILITY, RESTART = "DUR-01", "RST-01"
# The durability check reads what the run wrote first, so it goes last; the restart, which
# disturbs the server, after it.
LAST = (DURABILITY, RESTART)
# Exit statuses: 0 conformant, 1 a requirement failed, 2 configuration or target trouble.
EXIT_FAILED = 1


def cache_directory(environ: Mapping[str, str]) -> Path:
    """Where the suite may keep files between runs: $XDG_CACHE_HOME/kv-conformance, by
    default ~/.cache/kv-conformance."""
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kv-conformance"


def _position(item: pytest.Item) -> int:
    """0 for most checks; DUR-01, then RST-01, after them."""
    rid = requirement_id(item)
    return LAST.index(rid) + 1 if rid in LAST else 0


class KVRun:
    def __init__(self, config: pytest.Config, settings: Settings, catalogue: Catalogue) -> None:
        self.config = config
        self.settings = settings
        self.catalogue = catalogue
        self.verdicts = Verdicts(catalogue)
        self.tests: dict[str, list[str]] = {}  # requirement -> node ids of its tests
        self.judge = Judge(catalogue, settings.strict, settings.baseline)
        self.target: Target | None = None
        self.not_selected: tuple[str, ...] = ()  # by the user's selection
        self.controller: Controller | None = None  # under xdist, in the controller
        self.record: RunRecord | None = None  # once the run has ended
        self._restore_interrupts: Callable[[], None] = lambda: None

    @classmethod
    def start(cls, config: pytest.Config) -> KVRun:
        """The run of this pytest process, registered; a configuration error stops pytest."""
        undistributed = config.stash.get(NOT_DISTRIBUTED, None)
        if undistributed is not None:
            stop_for_configuration(config, undistributed)
        try:
            settings = Settings.build(config.getoption, os.environ)
        except ConfigError as error:
            stop_for_configuration(config, str(error))
        run = cls(config, settings, Catalogue.load())
        config.pluginmanager.register(run, NAME)
        # Hypothesis keeps what it computes once (its Unicode tables: 1.5 s for UTF-8, which
        # schemathesis asks for) under its home directory, by default .hypothesis/ in the
        # current one: a fresh checkout in CI would compute them again on every run, and the
        # user's directory would keep the folder. No example database is used.
        set_hypothesis_home_dir(cache_directory(os.environ) / "hypothesis")
        return run

    @classmethod
    def start_controller(cls, config: pytest.Config) -> KVRun | None:
        """Under xdist the controller runs no check: it gathers the workers' verdicts and
        facts, and writes the one record of the run.

        A run of the suite that cannot start (bad configuration, a target that cannot be
        tested) is given to no worker: each would stop, and xdist would start another in its
        place, until it gave up with no sentence and no report. It runs in this process
        instead, which stops it before any check with the sentence and writes every output."""
        if collects_suite(config):
            sentence = cls._why_not_distributed(config)
            if sentence is not None:
                config.stash[NOT_DISTRIBUTED] = sentence
                config.option.dist, config.option.tx = "no", []  # xdist starts no worker
                return None
        if config.option.kv_seed is None:  # one seed, chosen here, for every worker
            config.option.kv_seed = secrets.randbelow(2**32)
        run = cls.start(config)
        # The opening line only where the workers run the suite's checks.
        announce = run.announce_workers if collects_suite(config) else None
        run.controller = Controller(run.settings.seed, run.add, announce)
        config.pluginmanager.register(run.controller, f"{NAME}-controller")
        return run

    @staticmethod
    def _why_not_distributed(config: pytest.Config) -> str | None:
        if config.getoption("kv_restart_cmd"):
            return "--restart-cmd stops the server for every worker: run it without -n"
        try:
            settings = Settings.build(config.getoption, os.environ)
            if not settings.embedded:
                # The preflight, once here before every worker's; one lane, so that it is
                # only the preflight (no concurrency probe: each worker makes its own).
                Target.open(replace(settings, connections=1), Catalogue.load()).close()
        except ConfigError as error:
            return str(error)
        return None

    # -- collection -------------------------------------------------------------------------

    def select(self, items: list[pytest.Item]) -> None:
        """Leave out checks outside the profile (and RST-01 without --restart-cmd); order the
        checks that must come last."""
        outside = [
            item
            for item in items
            if (rid := requirement_id(item)) is not None
            and (
                self.settings.profile not in self.catalogue[rid].profiles
                or (rid == RESTART and not self.settings.restart_command)
            )
        ]
        if outside:
            self.config.hook.pytest_deselected(items=outside)
            items[:] = [item for item in items if item not in outside]
        items.sort(key=_position)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return  # nothing to check, so no server to start or reach
        self.not_selected = self._not_selected(session.items)
        har = self.config.stash.get(HAR_OUTPUT, None)
        try:
            self.target = Target.open(
                self.settings,
                self.catalogue,
                shared_marker(self.config),
                har=har.recorder() if har is not None else None,
                numbering=worker_numbering(self.config),
            )
        except ConfigError as error:
            stop_for_configuration(self.config, str(error))
        self._restore_interrupts = catch_interrupts(self.target.clock)
        if any(requirement_id(item) == DURABILITY for item in session.items):
            self.target.plant_early_entries()
        self._write_line(self.opening_line())

    def _not_selected(self, items: list[pytest.Item]) -> tuple[str, ...]:
        """Requirements of the profile no selected check judges (-k, -m, node ids)."""
        selected = {requirement_id(item) for item in items}
        return tuple(
            requirement.id
            for requirement in self.catalogue.in_profile(self.settings.profile)
            if requirement.id not in selected
            and not (requirement.id == RESTART and not self.settings.restart_command)
        )

    def opening_line(self) -> str:
        assert self.target is not None
        return opening_line(
            self.settings,
            url=self.target.base_url,
            proxy=self.target.proxy,
            markers=self.target.marker,
        )

    def announce_workers(self, markers: dict[str, str]) -> None:
        """Under xdist, the controller's opening line: what the workers share, and each
        worker's run marker (an embedded server's port is its worker's own)."""
        settings = self.settings
        url = None if settings.embedded else settings.target_url
        proxy = Network(settings.network).proxy_shown(url) if url is not None else None
        self._write_line(opening_line(settings, url=url, proxy=proxy, markers=markers))

    # -- fixtures ---------------------------------------------------------------------------

    def fixture_target(self, record_property: Callable[[str, object], None]) -> Target:
        if self.target is None:
            raise pytest.UsageError("kv-conformance: the target was not opened (--collect-only?)")
        if not is_worker(self.config):  # under xdist the controller records them
            for name, value in suite_properties(self.settings):
                record_property(name, value)
        return self.target

    # -- judging ----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """What the HAR names as the sender of the requests from now on (``_kvTest``)."""
        if self.target is not None:
            self.target.sender = (item.nodeid, requirement_id(item) or "")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        own = requirement_id(item)
        if own is None or (call.excinfo is None and report.when != "call"):
            return report
        note(item, report, "requirement", own)
        note(item, report, "level", self.catalogue[own].level)
        note(item, report, "seed", str(self.settings.seed))
        judged, evidence = self._judged(item, report, call, own)
        numbers = [step.number for step in evidence if step.number]
        self.add(judged, item.nodeid, numbers)
        note(item, report, "verdict", judged[0][1])
        if any(verdict in FAILED for _, verdict, _ in judged):
            self._link_exchanges(report, evidence)
        if is_worker(self.config):
            report.user_properties.append((JUDGED, encode_judged(judged)))
            if numbers:
                report.user_properties.append((EXCHANGES, json.dumps(numbers)))
        self.judge.mark_known(item, report, judged)
        return report

    def add(self, judged: list[Judged], nodeid: str, exchanges: Sequence[int] = ()) -> None:
        """The verdicts of one test (of this process, or of an xdist worker's), and the
        numbers of the exchanges behind its failure."""
        for judged_id, verdict, reason in judged:
            self.verdicts.record(judged_id, verdict, reason, exchanges)
        self.tests.setdefault(judged[0][0], []).append(nodeid)

    def _link_exchanges(self, report: pytest.TestReport, evidence: list[Exchange]) -> None:
        """The failure's exchanges by number in its report row (pytest-html extras), and
        with --kv-har the link to the file they are in."""
        har = self.config.stash.get(HAR_OUTPUT, None)
        extras = evidence_extras(evidence, har.link() if har is not None else None)
        if extras:
            report.extras = [*getattr(report, "extras", []), *extras]  # type: ignore[attr-defined]

    def _judged(
        self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None], own: str
    ) -> tuple[list[Judged], list[Exchange]]:
        """The verdicts, and the exchanges that are the evidence of a failure among them."""
        if self.target is not None and self.target.clock.interrupted:
            # Ctrl-C came during this check, and Python dropped the KeyboardInterrupt where
            # it was raised: what the check made of it is no verdict. Stop after it.
            item.session.shouldstop = "interrupted"
            reason = "interrupted before it finished"
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"not tested: {reason}")
            return [(own, "not tested", reason)], []
        judged = self.judge.judge(item, report, call, own)
        failure = find(call.excinfo.value, RequirementFailure) if call.excinfo else None
        evidence = list(failure.steps) if failure is not None else []
        stopped = self.target.breaker.take_failure() if self.target is not None else None
        if stopped is not None:
            judged = self.judge.stopped_checks(item, report, judged, stopped)
            evidence += [step for step in stopped.steps if step not in evidence]
        return judged, evidence

    # -- the end ----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml write their reports
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """The exit status says what the verdicts say (pytest's own statuses otherwise); the
        record goes to --kv-summary and into the HTML report. An xdist worker only hands its
        facts to the controller, which does this for the whole run."""
        facts = self._facts()
        if facts is None:
            return
        if is_worker(self.config):
            self.config.workeroutput[FACTS] = facts.as_json()  # type: ignore[attr-defined]
            return
        if self.controller is not None:
            self.controller.stop_workers(self.config)
            self._junit_suite_properties()
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or facts.interrupted
        started = session_start(self.config)
        self.record = build_record(
            self.settings,
            facts,
            self.verdicts,
            self.tests,
            interrupted=interrupted,
            started=facts.started if started is None else started.at,
            duration=None if started is None else started.elapsed(),
        )
        path = self.config.getoption("kv_summary")
        if path:
            write_summary(Path(path), self.record)
        if interrupted:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif exitstatus in (0, 1) and self.verdicts.by_requirement:
            session.exitstatus = self._exit_status(self.record)

    def _facts(self) -> RunFacts | None:
        if self.target is not None:
            timed_out = self.target.out_of_time()
            # Clean up now, not at unconfigure, so the record can say whether anything was left.
            self.target.finish()
            return RunFacts.of(self.target, timed_out=timed_out, not_selected=self.not_selected)
        if self.controller is not None and self.controller.facts:
            return RunFacts.merge(self.controller.facts)
        return None

    def _junit_suite_properties(self) -> None:
        """The seed, profile and version in JUnit XML; under xdist the workers' fixture cannot."""
        xml = self.config.stash.get(junitxml.xml_key, None)
        if xml is not None:
            for name, value in suite_properties(self.settings):
                xml.add_global_property(name, value)

    @staticmethod
    def _exit_status(record: RunRecord) -> int:
        """1 if a requirement failed (with a baseline: a regression failed); 2 if nothing failed
        but something could not be judged (the setup, not the server); 0 otherwise."""
        judged: list[str] = [entry.verdict for entry in record.requirements]
        if record.comparison is not None:
            judged = [change.after for change in record.comparison.regressions]
        if "fail" in judged:
            return EXIT_FAILED
        if "error" in judged or "not tested" in judged:
            return EXIT_CONFIGURATION
        return 0

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        record = self.record
        if record is None:
            return
        if record.requirements:
            terminalreporter.section("kv-conformance verdicts")
            for line in verdict_lines(record):
                terminalreporter.write_line(line)
            for closing in closing_lines(record):
                terminalreporter.write_line(closing.text, bold=closing.bold)
        elif record.incomplete_reason:  # interrupted before any check ended
            terminalreporter.write_line(f"Incomplete run: {record.incomplete_reason}.")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._restore_interrupts()
        set_hypothesis_home_dir(None)
        if self.target is not None:
            self.target.close()

    def _write_line(self, text: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(text)
