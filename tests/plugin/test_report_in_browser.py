"""The HTML report as a person sees it: opened in headless Chromium (pytest-html draws its
results table with JavaScript, so reading the file is not enough)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

# Chromium as this machine's network allows it (no background connections) and as root.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium to open the report in (./dev test installs it when run as root)")


def rendered(page: str, profile: Path) -> str:
    """The DOM after the page's scripts ran."""
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_failing_run_report_shows_the_matrix_and_filters_to_failures(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    result = run_pytest(
        pytester,
        "--seed",
        "6",
        "--kv-reference-fault=delete-is-noop",
        "--kv-hold=1",
        "--kv-examples=10",  # delete-is-noop is deterministic; the report is the subject
        "--html=reports/report.html",
        "--self-contained-html",
        timeout=240,
    )
    assert result.ret == 1
    report = (Path(pytester.path) / "reports" / "report.html").as_uri()

    everything = rendered(report, tmp_path / "profile-1")
    assert '<h2 id="kv-verdict" style="color:#cf222e">NOT CONFORMANT</h2>' in everything
    assert (
        '<tr id="kv-requirement-DEL-01"><td>DEL-01</td><td>MUST</td>'
        "<td>After a delete of a present key is answered, every later GET of that key reads "
        'absent.</td><td class="kv-fail">FAIL (expected absent after the delete: 404, or '
        "200 {}; received 200 application/json" in everything
    )
    # Beside the verdict, its reason; then the link to the check's row.
    assert (
        '</td><td><a href="#kv-test-test_deleted_key_reads_absent">test_deleted_key_reads_absent'
        in everything
    )
    assert '<td class="kv-pass">PASS</td>' in everything
    # The linked row exists, drawn by pytest-html's script, and it says what went wrong.
    assert '<td id="kv-test-test_deleted_key_reads_absent">DEL-01</td>' in everything
    assert "Expected: absent after the delete: 404, or 200 {}" in everything
    passed_rows = everything.count('class="results-table-row passed"')
    assert passed_rows > 10

    failures_only = rendered(report + "?visible=failed,error,xfailed", tmp_path / "profile-2")
    assert failures_only.count('class="results-table-row failed"') >= 1
    assert 'class="results-table-row passed"' not in failures_only
