"""The pytest plugin: options, the one configuration fixture, and the hooks that turn test
outcomes into requirement verdicts. The engine lives in plain classes (Target, Harness)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import NoReturn, TypeVar

import pytest
from _pytest import junitxml

from conformance import __version__
from conformance.engine.baseline import Baseline
from conformance.engine.config import ConfigError, Settings
from conformance.engine.failures import NotTested, OutOfTime, RequirementFailure, Unsupported
from conformance.engine.harness import Harness
from conformance.engine.requirements import PROFILES, Catalogue
from conformance.engine.target import Target
from conformance.engine.verdicts import Verdict, Verdicts
from conformance.plugin.parallel import (
    FACTS,
    JUDGED,
    Controller,
    encode_judged,
    is_controller,
    is_worker,
    shared_seed,
)
from conformance.report.html import SUMMARY, HtmlReport
from conformance.report.summary import RunFacts, build_summary, write_summary

SETTINGS = pytest.StashKey[Settings]()
TARGET = pytest.StashKey[Target]()
VERDICTS = pytest.StashKey[Verdicts]()
TESTS = pytest.StashKey[dict[str, list[str]]]()  # requirement -> node ids of its tests
CONTROLLER = pytest.StashKey[Controller]()  # under xdist, in the controller
MARKER = "requirement"
DURABILITY, RESTART = "DUR-01", "RST-01"
LAST = (DURABILITY, RESTART)  # run after every other check, in this order


# Properties of the run, in JUnit XML.
def _suite_properties(settings: Settings) -> list[tuple[str, object]]:
    return [
        ("kv_seed", settings.seed),
        ("kv_profile", settings.profile),
        ("kv_suite_version", __version__),
    ]


# Hypothesis' own note on for_all's wrapper names no value (the harness adds the example).
HYPOTHESIS_EMPTY_NOTE = re.compile(r"(Falsifying|Failing)( explicit)? (example|test case): run\(")
# Exit statuses: 0 conformant, 1 a requirement failed, 2 configuration or target trouble.
EXIT_FAILED = 1
EXIT_CONFIGURATION = 2


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kv-conformance", "KV API conformance (kv-conformance)")
    group.addoption(
        "--target-url",
        dest="target_url",
        metavar="URL",
        help="base URL of the server under test (its site URL; the KV routes are under "
        "--kv-path). Default: the embedded reference server. Env: KV_TARGET_URL",
    )
    group.addoption(
        "--token",
        dest="kv_tokens",
        action="append",
        metavar="TOKEN",
        help="a bearer token; give two, of two different users (identities A and B). "
        "Env: KV_TOKENS=A,B",
    )
    group.addoption(
        "--profile",
        dest="kv_profile",
        choices=PROFILES,
        help="core: the documented contract, accepting legitimate variations (default); "
        "mattermost: also byte-level parity with the upstream plugin. Env: KV_PROFILE",
    )
    group.addoption(
        "--kv-path",
        dest="kv_path",
        metavar="PATH",
        help="path of the KV routes under the base URL "
        "(default /plugins/com.mattermost.apps/api/v1/kv)",
    )
    group.addoption(
        "--kv-timeout",
        dest="kv_timeout",
        type=float,
        metavar="SECONDS",
        help="per-request timeout (default 10)",
    )
    group.addoption(
        "--kv-strict",
        dest="kv_strict",
        action="store_true",
        help="SHOULD requirements that are not met fail the run (pytest's own --strict is "
        "something else)",
    )
    group.addoption(
        "--seed",
        dest="kv_seed",
        type=int,
        metavar="N",
        help="seed for generated values and sequences; the seed in use is printed",
    )
    group.addoption(
        "--kv-examples",
        dest="kv_examples",
        type=int,
        metavar="N",
        help="examples per property-based check (default 40; 500 with --thorough)",
    )
    group.addoption(
        "--thorough",
        dest="kv_thorough",
        action="store_true",
        help="nightly budget: 500 examples per check and longer operation sequences",
    )
    group.addoption(
        "--kv-summary",
        dest="kv_summary",
        metavar="PATH",
        help="write the run's summary as JSON: verdict per requirement, configuration "
        "(tokens redacted), seed, timings",
    )
    group.addoption(
        "--kv-hold",
        dest="kv_hold",
        type=float,
        metavar="SECONDS",
        help="entries written at the start of the run must still read back this long after "
        "(DUR-01; default 5, 60 with --thorough)",
    )
    group.addoption(
        "--max-duration",
        dest="kv_max_duration",
        type=float,
        metavar="SECONDS",
        help="limit for the whole run: checks stop in time to leave a fifth of it (at most "
        "30 s) for cleanup; checks not run are reported not tested",
    )
    group.addoption(
        "--restart-cmd",
        dest="kv_restart_cmd",
        metavar="CMD",
        help="a shell command that restarts the server under test; with it, RST-01 checks "
        "that every acknowledged set survives the restart",
    )
    group.addoption(
        "--baseline",
        dest="kv_baseline",
        metavar="FILE",
        help="an earlier run's --kv-summary file: requirements that failed there are known "
        "failures (shown as xfail) and only regressions fail the run",
    )
    group.addoption(
        "--kv-reference-fault",
        dest="kv_reference_faults",
        action="append",
        metavar="NAME",
        help="switch on a named fault in the embedded reference server, to see what a "
        "failing run looks like (python -m conformance.reference --list-faults)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(id): the catalogue requirement this conformance check judges"
    )
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlReport(config), "kv-conformance-html")
    if is_worker(config) and config.option.kv_seed is None:
        config.option.kv_seed = shared_seed(config)
    if is_controller(config):
        _start_controller(config)


def _start_controller(config: pytest.Config) -> None:
    """Under xdist the controller runs no test: it gathers the workers' verdicts and facts."""
    verdicts = Verdicts(Catalogue.load())
    config.stash[TESTS] = {}
    controller = Controller(config, verdicts, config.stash[TESTS])  # chooses the seed
    try:
        settings = Settings.build(config.getoption, os.environ)
        if settings.restart_command:
            raise ConfigError("--restart-cmd stops the server for every worker: run it without -n")
    except ConfigError as error:
        _stop_for_configuration(str(error))
    config.stash[SETTINGS] = settings
    config.stash[VERDICTS] = verdicts
    config.stash[CONTROLLER] = controller
    config.pluginmanager.register(controller, "kv-conformance-controller")


def _requirement_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    return str(marker.args[0]) if marker else None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    checks = [item for item in items if _requirement_id(item)]
    if not checks:
        return  # not a conformance run (e.g. the project's own tests): stay out of the way
    try:
        settings = Settings.build(config.getoption, os.environ)
    except ConfigError as error:
        _stop_for_configuration(str(error))
    catalogue = Catalogue.load()
    config.stash[SETTINGS] = settings
    config.stash[VERDICTS] = Verdicts(catalogue)
    config.stash[TESTS] = {}
    outside = [
        item
        for item in checks
        if settings.profile not in catalogue[_requirement_id(item) or ""].profiles
        or (_requirement_id(item) == RESTART and not settings.restart_command)
    ]
    if outside:
        config.hook.pytest_deselected(items=outside)
        items[:] = [item for item in items if item not in outside]
    # The durability check reads what the run wrote first, so it goes last; the restart,
    # which disturbs the server, after it.
    items.sort(
        key=lambda item: (
            LAST.index(_requirement_id(item) or "") + 1 if _requirement_id(item) in LAST else 0
        )
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if SETTINGS not in config.stash or config.option.collectonly:
        return  # nothing to check, so no server to start or reach
    settings = config.stash[SETTINGS]
    try:
        target = Target.open(settings, config.stash[VERDICTS].catalogue)
    except ConfigError as error:
        _stop_for_configuration(str(error))
    config.stash[TARGET] = target
    if any(_requirement_id(item) == DURABILITY for item in session.items):
        target.plant_early_entries()
    where = "embedded reference server" if settings.embedded else "target"
    faults = (
        f" with faults {', '.join(settings.reference_faults)}" if settings.reference_faults else ""
    )
    _write_line(
        config,
        f"kv-conformance: {where} {target.base_url}{faults}, profile {settings.profile}, "
        f"seed {settings.seed} (rerun with --seed {settings.seed}), run marker {target.marker}",
    )


def _stop_for_configuration(sentence: str) -> NoReturn:
    """End the run before any check: exit status 2, the sentence, no traceback."""
    pytest.exit(f"kv-conformance: {sentence}", returncode=EXIT_CONFIGURATION)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = config.stash.get(TARGET, None)
    if target is not None:
        target.close()


@pytest.fixture(scope="session")
def kv_target(
    pytestconfig: pytest.Config, record_testsuite_property: Callable[[str, object], None]
) -> Target:
    """The one configured target of this run (its seed and profile go into JUnit XML)."""
    target = pytestconfig.stash[TARGET]
    if not is_worker(pytestconfig):  # under xdist the controller records them
        for name, value in _suite_properties(target.settings):
            record_testsuite_property(name, value)
    return target


@pytest.fixture
def kv(kv_target: Target) -> Iterator[Harness]:
    """A check's harness; removes what the check wrote."""
    if kv_target.out_of_time():
        raise NotTested(
            f"not run: the run reached --max-duration ({kv_target.settings.max_duration:g} s)"
        )
    harness = Harness(kv_target)
    yield harness
    harness.cleanup()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    requirement_id = _requirement_id(item)
    if requirement_id is None or VERDICTS not in item.config.stash:
        return report
    if call.excinfo is None and report.when != "call":
        return report
    settings = item.config.stash[SETTINGS]
    _note(item, report, "requirement", requirement_id)
    _note(item, report, "level", item.config.stash[VERDICTS].catalogue[requirement_id].level)
    _note(item, report, "seed", str(settings.seed))
    judged = _judge(item, report, call, requirement_id)
    verdicts = item.config.stash[VERDICTS]
    for judged_id, verdict, reason in judged:
        verdicts.record(judged_id, verdict, reason)
    _note(item, report, "verdict", judged[0][1])
    if is_worker(item.config):
        report.user_properties.append((JUDGED, encode_judged(judged)))
    failed = [judged_id for judged_id, verdict, _ in judged if verdict == "fail"]
    if failed and settings.baseline is not None and settings.baseline.knows(failed[-1]):
        # Known from the baseline: shown as an expected failure; only regressions fail.
        report.outcome = "skipped"
        report.wasxfail = f"{failed[-1]} already failed in the baseline {settings.baseline.path}"
        _note(item, report, "baseline", "known failure")
    item.config.stash[TESTS].setdefault(requirement_id, []).append(item.nodeid)
    return report


def _note(item: pytest.Item, report: pytest.TestReport, name: str, value: str) -> None:
    """A property of the test: on this report (HTML rows) and on the item, whose later
    teardown report is the one junitxml writes as <property> elements."""
    report.user_properties.append((name, value))
    item.user_properties.append((name, value))


def _judge(
    item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None], requirement_id: str
) -> list[tuple[str, Verdict, str]]:
    """Verdicts from one test outcome: (requirement, verdict, reason), the test's own first.
    Adjusts the report: unsupported and not tested are skips, an unmet SHOULD an xfail."""
    if call.excinfo is None:
        return [(requirement_id, "pass", "")]
    error = call.excinfo.value
    failure = _find(error, RequirementFailure)
    skip: Exception | None = error if isinstance(error, NotTested | Unsupported) else None
    if skip is None and failure is None:
        # Hypothesis may wrap OutOfTime (stopping mid-sequence looks flaky to it).
        skip = _find(error, OutOfTime)
    if skip is not None:
        verdict: Verdict = "not tested" if isinstance(skip, NotTested) else "unsupported"
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"{verdict}: {skip}")
        return [(requirement_id, verdict, str(skip))]
    if failure is None:
        return [(requirement_id, "error", f"{type(error).__name__} in the suite")]
    failed = failure.requirement
    _note(item, report, "requirement_failed", failed.id)
    report.longrepr = _explain(failure, item)
    verdict = "fail"
    if failed.level != "MUST" and not item.config.stash[SETTINGS].strict:
        # An unmet SHOULD (or MAY) is a warning: shown as xfail, exit status 0.
        verdict = "warn"
        report.outcome = "skipped"
        report.wasxfail = (
            f"{failed.id} ({failed.level}) not met: expected {failure.expected}; "
            f"received {failure.received}"
        )
    if failed.id == requirement_id:
        return [(requirement_id, verdict, "")]
    return [
        (requirement_id, "error", f"not judged: {failed.id} failed first"),
        (failed.id, verdict, ""),
    ]


def _explain(failure: RequirementFailure, item: pytest.Item) -> str:
    """What a failure shows (terminal, HTML, JUnit): the requirement, expected vs received,
    the reproduction and Hypothesis' notes; the suite's own source would only distract."""
    notes = [
        str(note)
        for note in getattr(failure, "__notes__", ())
        if not HYPOTHESIS_EMPTY_NOTE.match(str(note))
    ]
    return "\n".join([failure.render(), *notes, f"Checked by {item.nodeid}"])


_E = TypeVar("_E", bound=BaseException)


def _find(error: BaseException, kind: type[_E]) -> _E | None:
    """The first ``kind`` in an exception, its exception groups or its causes."""
    pending: list[BaseException] = [error]
    visited: set[int] = set()  # contexts can form cycles
    while pending:
        current = pending.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, kind):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    verdicts = config.stash.get(VERDICTS, None)
    summary = config.stash.get(SUMMARY, None)
    if verdicts is None or summary is None:
        return
    if not verdicts.by_requirement:
        if summary["incomplete_reason"]:  # interrupted before any check ended
            terminalreporter.write_line(f"Incomplete run: {summary['incomplete_reason']}.")
        return
    terminalreporter.section("kv-conformance verdicts")
    for line in verdicts.lines():
        terminalreporter.write_line(line)
    settings = config.stash[SETTINGS]
    verdict = "CONFORMANT" if verdicts.conformant() else "NOT CONFORMANT"
    counts = ", ".join(
        f"{verdicts.count(v)} {v}"
        for v in ("pass", "fail", "warn", "unsupported", "not tested", "error")
        if verdicts.count(v)
    )
    if summary["incomplete_reason"]:
        verdict = summary["verdict"]
        terminalreporter.write_line(f"Incomplete run: {summary['incomplete_reason']}.")
    terminalreporter.write_line(f"{verdict} ({settings.profile} profile): {counts}", bold=True)
    if summary["cleanup"]["left_behind"]:
        terminalreporter.write_line(
            f"Cleanup: {summary['cleanup']['left_behind']} keys of this run may be left behind "
            f"(their deletes got no answer, or 502-504, three times); each contains "
            f"{', '.join(summary['cleanup']['markers'])}."
        )
    terminalreporter.write_line(f"Seed {settings.seed}: rerun with --seed {settings.seed}.")
    if settings.baseline is not None:
        _write_comparison(terminalreporter, settings.baseline, verdicts)
    if verdicts.count("not tested") and len(summary["configuration"]["tokens"]) < 2:
        terminalreporter.write_line(
            "Some requirements were not tested: give --token twice, with tokens of two "
            "different users, for a conformance verdict."
        )


def _write_comparison(
    terminalreporter: pytest.TerminalReporter, baseline: Baseline, verdicts: Verdicts
) -> None:
    comparison = baseline.compare(verdicts.by_requirement)
    terminalreporter.write_line(
        f"Against the baseline {baseline.path}: regressions {len(comparison.regressions)}, "
        f"known failures {len(comparison.known)}, improvements {len(comparison.improvements)}."
    )
    for title, changes in (
        ("Regression", comparison.regressions),
        ("Known", comparison.known),
        ("Improvement", comparison.improvements),
    ):
        for change in changes:
            terminalreporter.write_line(
                f"  {title}: {change.id} was {change.before}, is {change.after}"
            )


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml write their reports
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The exit status says what the verdicts say (pytest's own statuses otherwise); the
    summary goes to --kv-summary and into the HTML report. An xdist worker only hands its
    facts to the controller, which does this for the whole run."""
    config = session.config
    verdicts = config.stash.get(VERDICTS, None)
    target = config.stash.get(TARGET, None)
    controller = config.stash.get(CONTROLLER, None)
    if verdicts is None:
        return
    if target is not None:
        timed_out = target.out_of_time()
        # Clean up now, not at unconfigure, so the summary can say whether anything was left.
        target.finish()
        facts = RunFacts.of(target, timed_out=timed_out)
        if is_worker(config):
            config.workeroutput[FACTS] = facts.as_json()  # type: ignore[attr-defined]
            return
    elif controller is not None and controller.facts:
        facts = RunFacts.merge(controller.facts)
        _junit_suite_properties(config)
    else:
        return
    settings = config.stash[SETTINGS]
    incomplete = None
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    if interrupted:
        incomplete = "interrupted before every check had run"
    elif facts.timed_out:
        incomplete = f"--max-duration ({settings.max_duration:g} s) reached"
    summary = build_summary(
        settings,
        facts,
        verdicts,
        config.stash[TESTS],
        incomplete=incomplete,
        interrupted=interrupted,
    )
    config.stash[SUMMARY] = summary
    path = config.getoption("kv_summary")
    if path:
        write_summary(Path(path), summary)
    if exitstatus not in (0, 1) or not verdicts.by_requirement:
        return
    session.exitstatus = _exit_status(verdicts, settings.baseline)


def _junit_suite_properties(config: pytest.Config) -> None:
    """The seed, profile and version in JUnit XML; under xdist the workers' fixture cannot."""
    xml = config.stash.get(junitxml.xml_key, None)
    if xml is None:
        return
    settings = config.stash[SETTINGS]
    for name, value in _suite_properties(settings):
        xml.add_global_property(name, value)


def _exit_status(verdicts: Verdicts, baseline: Baseline | None) -> int:
    """1 if a requirement failed (with a baseline: a regression failed); 2 if nothing failed
    but something could not be judged (the setup, not the server); 0 otherwise."""
    judged: list[str] = list(verdicts.by_requirement.values())
    if baseline is not None:
        judged = [change.after for change in baseline.compare(verdicts.by_requirement).regressions]
    if "fail" in judged:
        return EXIT_FAILED
    if "error" in judged or "not tested" in judged:
        return EXIT_CONFIGURATION
    return 0


def _write_line(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)
