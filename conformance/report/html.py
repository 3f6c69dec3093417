"""Additions to the pytest-html report: the verdict, the requirement matrix, latencies,
rendered from the run record.

Registered only when pytest-html is active (its hooks do not exist otherwise), by the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

import pytest

from conformance.engine.verdicts import CONFORMANT, ERROR, INCOMPLETE, PARTIAL, VERDICTS

if TYPE_CHECKING:
    from conformance.engine.baseline import Comparison
    from conformance.engine.record import RequirementResult, RunRecord


class HtmlReport:
    def __init__(
        self, record: Callable[[], RunRecord | None], stopped: Callable[[], str | None]
    ) -> None:
        self._record = record  # the run's record, once the run has ended
        self._stopped = stopped  # why the run stopped before any check, if it did

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "KV API compliance report (kv-conformance)"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        record = self._record()
        stopped = self._stopped()
        if record is not None:
            prefix.extend(render(record))
        elif stopped is not None:
            prefix.extend(render_stopped(stopped))

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


def test_anchor(nodeid: str) -> str:
    return "kv-test-" + re.sub(r"[^A-Za-z0-9_-]", "-", nodeid.rsplit("::", 1)[-1])


# Verdict colours in the matrix; the rest of the look is pytest-html's.
STYLE = (
    "<style>#kv-matrix td.kv-fail,#kv-matrix td.kv-error{color:#cf222e;font-weight:bold}"
    "#kv-matrix td.kv-warn{color:#9a6700;font-weight:bold}#kv-matrix td.kv-pass{color:#1a7f37}"
    "#kv-matrix td,#kv-matrix th,#kv-counts td,#kv-counts th,#kv-latency td,#kv-latency th"
    "{padding:2px 8px;text-align:left;vertical-align:top}</style>"
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
        f'<h2 id="kv-verdict" style="color:#cf222e">{ERROR}</h2>',
        f'<p id="kv-incomplete"><b>The run stopped before any check:</b> {escape(sentence)}.</p>',
        "<p>No requirement was judged; correct the configuration and run again.</p>",
    ]


def render(record: RunRecord) -> list[str]:
    """The record as HTML fragments: verdict, configuration, counts, matrix, latency."""
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
        ("Duration", f"{record.duration_seconds} s"),
        ("Traffic", record.traffic),
    ]
    return [
        *(
            f'<p class="kv-warning" style="color:#9a6700"><b>Warning:</b> {escape(text)}.</p>'
            for text in record.warnings
        ),
        f'<h2 id="kv-verdict" style="color:{colour}">{escape(record.verdict)}</h2>',
        *(
            [
                '<p id="kv-incomplete"><b>Incomplete run:</b> '
                f"{escape(record.incomplete_reason)}.</p>"
            ]
            if record.incomplete_reason
            else []
        ),
        *_baseline(record),
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
        "<h3>Requirement matrix</h3>",
        '<p>Show <a href="?visible=failed,error,xfailed">only failures and warnings</a> '
        'or <a href="?">every test</a> in the results below.</p>',
        STYLE + _matrix(record.requirements),
        "<h3>Latency per operation (ms)</h3>",
        _table(
            "kv-latency",
            ["Operation", "count", "p50", "p95", "p99"],
            [
                [method, *(str(stats[k]) for k in ("count", "p50", "p95", "p99"))]
                for method, stats in record.latency_ms.items()
            ],
        ),
    ]


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
