"""Additions to the pytest-html report: the verdict, the failures (what was expected and
received, and every step that reproduces them), the requirement matrix, latencies, rendered
from the run record; and pytest-html's own page adjusted to match (SHOULD warnings called
warnings, one duration format, failure text shown whole, the environment folded at the end of
the summary).

Everything a person needs first is plain HTML in the page (pytest-html draws its results
table with JavaScript; the verdict, failures and matrix do not need it). Registered only when
pytest-html is active (its hooks do not exist otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

import pytest

from conformance.engine.verdicts import (
    CONFORMANT,
    ERROR,
    INCOMPLETE,
    PARTIAL,
    VERDICTS,
    Verdict,
)
from conformance.report.failure_text import FailureText, read_failure

if TYPE_CHECKING:
    from conformance.engine.baseline import Comparison
    from conformance.engine.record import RequirementResult, RunRecord

# pytest-html's name for the outcome a SHOULD warning (and, with --baseline, a known failure)
# is reported as; its rows and filters key on it, so only the words shown change.
XFAILED = "XFailed"
WARNING_LABEL, KNOWN_LABEL = "Warning", "Known failure"


class HtmlReport:
    def __init__(
        self, record: Callable[[], RunRecord | None], stopped: Callable[[], str | None]
    ) -> None:
        self._record = record  # the run's record, once the run has ended
        self._stopped = stopped  # why the run stopped before any check, if it did
        self._page: Any = None  # pytest-html's ReportData: what its template renders
        # Failed requirement -> the first of its failures' texts seen, read into its parts.
        self._failures: dict[str, FailureText] = {}

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "KV API compliance report (kv-conformance)"
        self._page = report

    def pytest_html_duration_format(self, duration: float) -> str:
        return duration_text(duration)

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        record = self._record()
        stopped = self._stopped()
        if record is not None:
            prefix.extend(render(record, self._failures, self._tests_line(record)))
        elif stopped is not None:
            prefix.extend(render_stopped(stopped))
        else:
            return  # not a conformance run: pytest-html's page as it is
        prefix.append(self._environment())
        if self._page is not None:
            relabel(self._page, baseline=record is not None and record.comparison is not None)

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, "<th>Requirement</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        properties = dict(report.user_properties)
        # The anchor the requirement matrix links to.
        cells.insert(
            1,
            f'<td id="{test_anchor(report.nodeid)}">'
            f"{escape(str(properties.get('requirement', '')))}</td>",
        )
        if hasattr(report, "wasxfail") and "verdict" in properties:
            # Shown as a warning (or a known failure); relabel() gives pytest-html's script
            # back the outcome name it filters and sorts by.
            label = KNOWN_LABEL if properties.get("baseline") else WARNING_LABEL
            cells[0] = f'<td class="col-result">{label}</td>'
        failed = properties.get("requirement_failed")
        if isinstance(failed, str) and failed not in self._failures:
            found = read_failure(report.longreprtext, failed, report.nodeid)
            if found is not None:
                self._failures[failed] = found

    def _tests_line(self, record: RunRecord) -> str:
        """pytest-html's "N tests took 00:00:05", in the report's one duration format."""
        outcomes = getattr(self._page, "outcomes", {})
        counted = ("passed", "failed", "xpassed", "xfailed")
        tests = sum(outcomes[name]["value"] for name in counted if name in outcomes)
        took = duration_text(record.duration_seconds)
        return f"{tests} test{'' if tests == 1 else 's'} took {took}."

    def _environment(self) -> str:
        """pytest-html's environment table (Python, platform, packages, plugins), folded."""
        environment = getattr(self._page, "data", {}).get("environment", {})
        rows = "".join(
            f"<tr><th>{escape(str(key))}</th><td>{_environment_value(value)}</td></tr>"
            for key, value in environment.items()
        )
        return (
            '<details id="kv-environment"><summary>Environment: Python, platform, packages '
            f"and pytest plugins</summary><table>{rows}</table></details>"
        )


def _environment_value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in value.items())
    return escape(str(value))


def relabel(page: Any, *, baseline: bool) -> None:
    """pytest-html's words for what the suite calls otherwise, in its data before it renders:
    the filter's "Expected failures" are warnings (and known failures, with a baseline); a
    row's result keeps the outcome name the script filters by, its cell shows the label;
    durations sort by their value in milliseconds (the script reads "N ms")."""
    page.outcomes["xfailed"]["label"] = "Warnings" + (" and known failures" if baseline else "")
    for entries in page.data["tests"].values():
        for entry in entries:
            if entry.get("result") in (WARNING_LABEL, KNOWN_LABEL):
                entry["result"] = XFAILED
            if isinstance(entry.get("duration"), str):
                entry["duration"] = f"{milliseconds(entry['duration'])} ms"


def duration_text(seconds: float) -> str:
    """The report's one duration format: 13 ms, 5.2 s, 2 min 05 s."""
    ms = round(seconds * 1000)
    if ms < 1000:
        return f"{ms} ms"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def milliseconds(text: str) -> int:
    """The value of a duration_text() (0 for anything else)."""
    if match := re.fullmatch(r"(\d+) ms", text):
        return int(match[1])
    if match := re.fullmatch(r"(\d+(?:\.\d+)?) s", text):
        return round(float(match[1]) * 1000)
    if match := re.fullmatch(r"(\d+) min (\d+) s", text):
        return (int(match[1]) * 60 + int(match[2])) * 1000
    return 0


def test_anchor(nodeid: str) -> str:
    return "kv-test-" + re.sub(r"[^A-Za-z0-9_-]", "-", nodeid.rsplit("::", 1)[-1])


# The additions' look, and pytest-html's page adjusted: its environment (shown folded at the
# end of the summary instead) and its "took 00:00:05" line hidden, failure text shown whole
# and wrapped (a collapsed box cut lines in two), links that look like links.
STYLE = (
    "<style>"
    "#environment-header,#environment,p.run-count{display:none}"
    ".logwrapper{max-height:none;overflow:visible}.logwrapper .logexpander{display:none}"
    ".logwrapper .log{top:0;height:auto;padding-right:5px;white-space:pre-wrap;"
    "overflow-wrap:anywhere}"
    "#kv-report{color:#24292f}#kv-report a,.col-links a{color:#0969da}"
    "#kv-report h3{margin:14px 0 6px}"
    "#kv-warnings dl{margin:0}#kv-warnings dt{margin-top:6px}"
    "#kv-warnings dd{margin-left:16px;color:black}"
    ".kv-failure{margin-top:6px}.kv-failure p{margin:0}.kv-failure summary{cursor:pointer}"
    # Expected and received as the terminal shows them: whole, a timeline's columns aligned.
    ".kv-evidence,pre.kv-steps{display:block;margin:1px 0 0 16px;color:black;"
    "font:11px/1.35 monospace;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".kv-failure .kv-fold,.kv-failure .kv-reproduce{display:block;margin:1px 0 0 16px;"
    "color:#57606a}"
    "details.kv-failure[open] .kv-fold{display:none}"
    "pre.kv-steps{background:#f6f8fa;padding:3px 6px}"
    # A step's wrapped lines indented under its first, so each step starts at the margin.
    "pre.kv-steps .kv-line{display:block;padding-left:6ch;text-indent:-6ch}"
    "#kv-matrix td.kv-fail,#kv-matrix td.kv-error{color:#cf222e;font-weight:bold}"
    "#kv-matrix td.kv-warn{color:#9a6700;font-weight:bold}#kv-matrix td.kv-pass{color:#1a7f37}"
    "#kv-matrix td,#kv-matrix th,#kv-counts td,#kv-counts th,#kv-latency td,#kv-latency th,"
    "#kv-configuration td,#kv-configuration th,#kv-environment td,#kv-environment th"
    "{padding:2px 8px;text-align:left;vertical-align:top}"
    "#kv-environment{color:#24292f}#kv-environment summary{cursor:pointer;margin:14px 0 6px}"
    "</style>"
)


def _network_rows(record: RunRecord) -> list[tuple[str, str]]:
    network = record.settings.network.describe()
    options = record.settings.network
    trust = (
        "NOT VERIFIED (--kv-insecure)"
        if options.insecure
        else f"{options.ca_bundle} only (--kv-ca-bundle)"
        if options.ca_bundle
        else "the system's trust store"
        + "".join(f", {path} ({name})" for name, path in options.environment_cas)
    )
    proxies = network["proxies"]
    assert isinstance(proxies, dict)
    proxy = ", ".join(f"{scheme}: {url}" for scheme, url in proxies.items()) or "none"
    if network["no_proxy"]:
        proxy += f" (not for {network['no_proxy']})"
    return [("TLS certificates", trust), ("Proxy", proxy)]


def render_stopped(sentence: str) -> list[str]:
    """A run that stopped before any check: no verdicts, only why and what to do."""
    return [
        STYLE,
        f'<h2 id="kv-verdict" style="color:#cf222e">{ERROR}</h2>',
        f'<p id="kv-incomplete"><b>The run stopped before any check:</b> {escape(sentence)}.</p>',
        "<p>No requirement was judged; correct the configuration and run again.</p>",
    ]


def render(record: RunRecord, failures: dict[str, FailureText], tests_line: str) -> list[str]:
    """The record as HTML, in the order a person asks: the verdict, what failed and how to
    reproduce it, the matrix; then the configuration, counts and latency."""
    settings = record.settings
    colour = {CONFORMANT: "#1a7f37", PARTIAL: "#9a6700", INCOMPLETE: "#9a6700"}.get(
        record.verdict, "#cf222e"
    )
    rows = [
        ("Target", record.target),
        ("Profile", settings.profile),
        ("Suite version", record.suite_version),
        ("Seed", f"{settings.seed} (rerun with --seed {settings.seed})"),
        *(
            [("Reference faults", ", ".join(settings.reference_faults))]
            if settings.reference_faults
            else []
        ),
        *([("Baseline", settings.baseline.path)] if settings.baseline else []),
        *([] if settings.embedded else _network_rows(record)),
        ("Started", record.started),
        ("Duration", duration_text(record.duration_seconds)),
        ("Traffic", record.traffic),
    ]
    return [
        STYLE,
        '<div id="kv-report">',
        *(
            f'<p class="kv-warning" style="color:#9a6700"><b>Warning:</b> {escape(text)}.</p>'
            for text in record.warnings
        ),
        f'<h2 id="kv-verdict" style="color:{colour}">{escape(record.verdict)}</h2>',
        f'<p id="kv-verdict-line">{escape(_verdict_line(record))}</p>',
        *(
            [
                '<p id="kv-incomplete"><b>Incomplete run:</b> '
                f"{escape(record.incomplete_reason)}.</p>"
            ]
            if record.incomplete_reason
            else []
        ),
        *_failures(record.requirements, failures),
        *_baseline(record),
        "<h3>Requirement matrix</h3>",
        '<p>Show <a href="?visible=failed,error,xfailed">only failures and warnings</a> '
        'or <a href="?">every test</a> in the results below.</p>',
        _matrix(record.requirements),
        "<h3>Configuration</h3>",
        '<table id="kv-configuration">'
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
        + "</table>",
        "<h3>Verdicts by level</h3>",
        _table(
            "kv-counts",
            ["Level", *VERDICTS],
            [
                [level, *(str(counts[v]) for v in VERDICTS)]
                for level, counts in record.counts().items()
            ],
        ),
        "<h3>Latency per operation (ms)</h3>",
        _table(
            "kv-latency",
            ["Operation", "count", "p50", "p95", "p99"],
            [
                [method, *(str(stats[k]) for k in ("count", "p50", "p95", "p99"))]
                for method, stats in record.latency_ms.items()
            ],
        ),
        f'<p id="kv-tests-line">{escape(tests_line)}</p>',
        "<noscript><p>The table of every test, below, is drawn by pytest-html's script: allow "
        "JavaScript to see it (every failure's reason and reproduction are above).</p></noscript>",
        "</div>",
    ]


def _verdict_line(record: RunRecord) -> str:
    """The counts, then what ran: "4 fail, 1 warn, 26 pass: core profile, ... seed 1"."""
    order: tuple[Verdict, ...] = (
        "fail",
        "error",
        "not tested",
        "warn",
        "pass",
        "unsupported",
        "not applicable",
    )
    counts = ", ".join(f"{record.count(v)} {v}" for v in order if record.count(v))
    settings = record.settings
    faults = settings.reference_faults
    target = record.target + (f" with faults {', '.join(faults)}" if faults else "")
    return (
        f"{counts or 'no requirement judged'}: {settings.profile} profile, {target}, "
        f"seed {settings.seed} (rerun with --seed {settings.seed})."
    )


def _failures(
    requirements: tuple[RequirementResult, ...], failures: dict[str, FailureText]
) -> list[str]:
    """What failed and why, whole, then how to reproduce it; then the warnings."""
    blocks = []
    failed = [entry for entry in requirements if entry.verdict in ("fail", "error")]
    if failed:
        # The first reproduction is shown; the others are folded under their failure's
        # reason, so that every failure's what and why stays on the first screen.
        shown = next((e.id for e in failed if e.id in failures and failures[e.id].steps), "")
        items = [_failure(entry, failures.get(entry.id), entry.id == shown) for entry in failed]
        blocks.append(f'<div id="kv-failures"><h3>Failures</h3>{"".join(items)}</div>')
    warned = [entry for entry in requirements if entry.verdict == "warn"]
    if warned:
        items = [
            f'<dt><a href="#kv-requirement-{escape(entry.id)}"><b>{escape(entry.id)}</b></a> '
            f"({escape(entry.level)}, {escape(entry.verdict)}): {escape(entry.statement)}</dt>"
            f"<dd>{escape(_capitalised(entry.reason))}</dd>"
            for entry in warned
        ]
        blocks.append(
            '<div id="kv-warnings"><h3>Warnings (SHOULD requirements not met)</h3>'
            f"<dl>{''.join(items)}</dl></div>"
        )
    return blocks


def _failure(entry: RequirementResult, found: FailureText | None, shown: bool) -> str:
    """One failure: its requirement and what was expected and received (the text whole,
    line breaks kept), then every step of its reproduction, folded unless ``shown``."""
    rid = escape(entry.id)
    evidence = (
        f"Expected: {found.expected}\nReceived: {found.received}"
        if found is not None
        else _capitalised(entry.reason)
    )
    head = (
        f'<a href="#kv-requirement-{rid}"><b>{rid}</b></a> ({escape(entry.level)}, '
        f"{escape(entry.verdict)}): {escape(entry.statement)}"
        f'<span class="kv-evidence">{escape(evidence)}</span>'
    )
    if found is None or not found.steps:
        return f'<div class="kv-failure" id="kv-failure-{rid}"><p>{head}</p></div>'
    count = found.step_count
    steps = f"{count} step{'' if count == 1 else 's'}"
    row = f'<a href="#{test_anchor(found.test)}">its test\'s row</a>'
    lines = "".join(f'<span class="kv-line">{escape(line)}\n</span>' for line in found.steps)
    return (
        f'<details class="kv-failure" id="kv-failure-{rid}"{" open" if shown else ""}>'
        f'<summary>{head}<span class="kv-fold">{steps} to reproduce: click to show</span>'
        "</summary>"
        f'<p class="kv-reproduce">{escape(found.heading or "Reproduce with")}, {steps} '
        f"(also in {row} below):</p>"
        f'<pre class="kv-steps">{lines}</pre></details>'
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _matrix(requirements: tuple[RequirementResult, ...]) -> str:
    """Requirement, level, statement, verdict (coloured), and links to its tests' rows."""
    rows = []
    for entry in requirements:
        # A pass's reason names its tests, which the last column links to.
        reason = f" ({entry.reason})" if entry.reason and entry.verdict != "pass" else ""
        tests = ", ".join(
            f'<a href="#{test_anchor(nodeid)}">{escape(nodeid.rsplit("::", 1)[-1])}</a>'
            for nodeid in entry.tests
        )
        rows.append(
            f'<tr id="kv-requirement-{escape(entry.id)}"><td>{escape(entry.id)}</td>'
            f"<td>{escape(entry.level)}</td><td>{escape(entry.statement)}</td>"
            f'<td class="kv-{entry.verdict.replace(" ", "-")}">'
            f"{escape(entry.verdict.upper() + reason)}</td>"
            f"<td>{tests}</td></tr>"
        )
    head = "".join(
        f"<th>{name}</th>" for name in ("Requirement", "Level", "Statement", "Verdict", "Tests")
    )
    body = "".join(rows)
    return f'<table id="kv-matrix"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _baseline(record: RunRecord) -> list[str]:
    comparison: Comparison | None = record.comparison
    if comparison is None or record.settings.baseline is None:
        return []
    changes = {
        "regressions": comparison.regressions,
        "known": comparison.known,
        "improvements": comparison.improvements,
    }
    rows = [
        [kind, change.id, change.before, change.after]
        for kind, listed in changes.items()
        for change in listed
    ]
    return [
        f'<p id="kv-baseline">Against the baseline {escape(record.settings.baseline.path)}: '
        f"regressions {len(comparison.regressions)}, known failures "
        f"{len(comparison.known)}, improvements {len(comparison.improvements)}.</p>",
        _table("kv-baseline-changes", ["Change", "Requirement", "Baseline", "Now"], rows),
    ]


def _table(table_id: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
