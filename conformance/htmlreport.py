"""Additions to the pytest-html report: the verdict, the requirement matrix, latencies.

Registered only when pytest-html is active (its hooks do not exist otherwise).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

SUMMARY = pytest.StashKey[dict[str, Any]]()


class HtmlReport:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "KV API compliance report (kv-conformance)"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        data = self.config.stash.get(SUMMARY, None)
        if data is not None:
            prefix.extend(render(data))

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, "<th>Requirement</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        properties = dict(report.user_properties)
        cells.insert(1, f"<td>{escape(str(properties.get('requirement', '')))}</td>")


def render(data: dict[str, Any]) -> list[str]:
    """The summary as HTML fragments: verdict, configuration, counts, matrix, latency."""
    configuration = data["configuration"]
    colour = "#1a7f37" if data["verdict"] == "CONFORMANT" else "#cf222e"
    rows = [
        ("Target", configuration["target"]),
        ("Profile", configuration["profile"]),
        ("Suite version", data["suite_version"]),
        ("Seed", f"{configuration['seed']} (rerun with --seed {configuration['seed']})"),
        ("Started", data["started"]),
        ("Duration", f"{data['duration_seconds']} s"),
    ]
    return [
        f'<h2 id="kv-verdict" style="color:{colour}">{escape(data["verdict"])}</h2>',
        '<table id="kv-configuration">'
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
        + "</table>",
        "<h3>Verdicts by level</h3>",
        _table(
            "kv-counts",
            ["Level", "pass", "fail", "warn", "unsupported", "not tested", "error"],
            [
                [level, *(str(counts[v]) for v in counts)]
                for level, counts in data["counts"].items()
            ],
        ),
        "<h3>Requirement matrix</h3>",
        _table(
            "kv-matrix",
            ["Requirement", "Level", "Statement", "Verdict", "Tests"],
            [
                [
                    entry["id"],
                    entry["level"],
                    entry["statement"],
                    entry["verdict"].upper() + (f" ({entry['reason']})" if entry["reason"] else ""),
                    ", ".join(entry["tests"]),
                ]
                for entry in data["requirements"]
            ],
        ),
        "<h3>Latency per operation (ms)</h3>",
        _table(
            "kv-latency",
            ["Operation", "count", "p50", "p95", "p99"],
            [
                [method, *(str(stats[k]) for k in ("count", "p50", "p95", "p99"))]
                for method, stats in data["latency_ms"].items()
            ],
        ),
    ]


def _table(table_id: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
