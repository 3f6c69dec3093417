"""The HTML report as a person sees it: opened in headless Chromium (pytest-html draws its
results table with JavaScript, so reading the file is not enough), with and without
JavaScript, and shot at 1280x900 as the README's docs/report.png is."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from conformance.tools.screenshot import EXAMPLE, WINDOW, chromium_command, find_chromium
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

# Run after pytest-html's script has drawn the page (it is the last thing in the body): where
# things are on the first screen and what a person can read there (innerText leaves out
# what is hidden), written into the page for --dump-dom to carry out.
PROBE = """<script>
(() => {
  const top = (el) => el ? el.getBoundingClientRect().top + window.scrollY : null;
  const bottom = (el) => el ? el.getBoundingClientRect().bottom + window.scrollY : null;
  const shown = (el) => !!el && getComputedStyle(el).display !== 'none' && el.offsetParent !== null;
  const logs = [...document.querySelectorAll('.logwrapper')];
  const text = document.createElement('pre');
  text.id = 'kv-probe';
  text.textContent = JSON.stringify({
    verdict: top(document.getElementById('kv-verdict')),
    failures: top(document.getElementById('kv-failures')),
    reproduction: bottom(document.querySelector('#kv-failures details[open] pre.kv-steps')),
    // Where the last failure's what and why (its summary, or its whole line) ends.
    failuresSaid: Math.max(0, ...[...document.querySelectorAll('#kv-failures .kv-failure')]
      .map((f) => bottom(f.querySelector('summary') || f))),
    opened: [...document.querySelectorAll('#kv-failures details[open]')].map((d) => d.id),
    folded: [...document.querySelectorAll('#kv-failures details:not([open])')].map((d) => d.id),
    stepsCut: [...document.querySelectorAll('#kv-failures details[open] pre.kv-steps')]
      .filter((p) => p.scrollWidth > p.clientWidth + 1).length,
    // Each failure's expected and received and its steps, folded or not (innerText leaves
    // out what is folded).
    steps: Object.fromEntries([...document.querySelectorAll('#kv-failures .kv-failure')]
      .map((f) => [f.id, f.querySelector('pre.kv-steps')?.textContent ?? null])),
    evidence: Object.fromEntries([...document.querySelectorAll('#kv-failures .kv-failure')]
      .map((f) => [f.id, f.querySelector('.kv-evidence').textContent])),
    matrix: top(document.getElementById('kv-matrix')),
    environment: top(document.getElementById('kv-environment')),
    environmentOpen: document.getElementById('kv-environment')?.open ?? null,
    pytestEnvironmentShown: shown(document.getElementById('environment-header')),
    text: document.body.innerText,
    logs: logs.length,
    logsCut: logs.filter((w) => w.scrollHeight > w.clientHeight + 1
      || w.scrollWidth > w.clientWidth + 1).length,
    logStyle: logs.length ? (() => {
      const s = getComputedStyle(logs[0].querySelector('.log'));
      return [s.whiteSpace, s.overflowWrap];
    })() : null,
  });
  document.body.appendChild(text);
})();
</script>"""

DURATION = re.compile(r"\d+ ms|\d+\.\d s|\d+ min \d\d s")


def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no Chromium to open the report in (./dev test installs it when run as root)")
    return found


def rendered(page: str, profile: Path) -> str:
    """The DOM after the page's scripts ran."""
    result = subprocess.run(
        [*chromium_command(chromium(), profile), "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def probed(report: Path, tmp_path: Path) -> dict[str, Any]:
    """What PROBE saw in the report at 1280x900, scripts run."""
    page = tmp_path / "probed.html"
    html = report.read_text(encoding="utf-8")
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = rendered(page.as_uri(), tmp_path / "profile-probe")
    found = re.search(r'<pre id="kv-probe">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None, "the probe did not run"
    data: dict[str, Any] = json.loads(unescape(found.group(1)))
    return data


def without_scripts(report: Path, tmp_path: Path) -> str:
    """The DOM of the report as a browser without JavaScript builds it: every script removed
    (Chromium's own switch for that also stops --dump-dom)."""
    page = tmp_path / "no-scripts.html"
    html = report.read_text(encoding="utf-8")
    page.write_text(re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL), encoding="utf-8")
    return rendered(page.as_uri(), tmp_path / "profile-no-scripts")


def screenshot(report: Path, output: Path, profile: Path) -> tuple[int, int]:
    """The first screen of the report as a PNG; its width and height."""
    subprocess.run(
        [*chromium_command(chromium(), profile), f"--screenshot={output}", report.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    png = output.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_failing_run_answers_what_failed_and_how_to_reproduce_on_the_first_screen(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    result = run_pytest(
        pytester,
        *EXAMPLE,  # the README's example, as docs/report.png shows it
        "--kv-hold=1",
        "--html=reports/report.html",
        "--self-contained-html",
        timeout=240,
    )
    assert result.ret == 1
    report = Path(pytester.path) / "reports" / "report.html"
    assert screenshot(report, tmp_path / "failing.png", tmp_path / "profile-shot") == WINDOW

    seen = probed(report, tmp_path)
    text = seen["text"]
    # The verdict, then the failures: every one's requirement, expected and received, and the
    # first one's whole reproduction (the others folded under their reason), all on the first
    # screen; the matrix after them; the environment folded, last.
    assert seen["verdict"] < seen["failures"] < seen["reproduction"] < WINDOW[1]
    assert seen["failuresSaid"] < WINDOW[1]
    assert seen["opened"] == ["kv-failure-DEL-01"]
    assert seen["folded"] == ["kv-failure-KEY-01", "kv-failure-SEQ-01", "kv-failure-CON-01"]
    assert seen["stepsCut"] == 0
    assert seen["failures"] < seen["matrix"] < seen["environment"]
    assert seen["environmentOpen"] is False
    assert seen["pytestEnvironmentShown"] is False
    failures = text[text.index("Failures") : text.index("Requirement matrix")]
    for rid in ("DEL-01", "KEY-01", "SEQ-01", "CON-01"):
        assert f"{rid} (MUST, fail)" in failures
    assert "Expected: absent after the delete: 404, or 200 {}\nReceived: 200" in failures
    assert (
        "Reproduce with (set $KV_TOKEN first), 4 steps (also in its test's row below):" in failures
    )
    # DEL-01's reproduction whole: the set, the read, the DELETE, the read that finds it.
    deleted = seen["steps"]["kv-failure-DEL-01"]
    steps = re.findall(r"^(\d+)\. curl -sS -i -X (\w+) .*\n   -> 200 ", deleted, re.MULTILINE)
    assert steps == [("1", "POST"), ("2", "GET"), ("3", "DELETE"), ("4", "GET")]
    assert "3. curl -sS -i -X DELETE" in failures  # shown, not only in the page
    for rid, count in (("KEY-01", 4), ("SEQ-01", 8)):
        assert f"{count} steps to reproduce: click to show" in failures
        folded = seen["steps"][f"kv-failure-{rid}"]
        assert re.findall(r"^(\d+)\. curl ", folded, re.M) == [str(n + 1) for n in range(count)]
    # CON-01's received text whole, line by line: its timeline, in which a get after the
    # delete's answer still finds a value (the stale read), is not cut.
    evidence = seen["evidence"]["kv-failure-CON-01"].splitlines()
    assert evidence[1].startswith("Received: none does for these ")
    timeline = [re.sub(r"^[\d. ?]+ ms +A#\d+ +", "", line) for line in evidence[2:]]
    assert all(re.fullmatch(r"set A#[\d.]+|get -> (A#[\d.]+|absent)|delete", t) for t in timeline)
    delete = timeline.index("delete")
    assert any(t.startswith("get -> A#") for t in timeline[delete + 1 :]), evidence
    assert "VAL-03 (SHOULD, warn)" in text[text.index("Warnings (SHOULD") :]
    # A SHOULD warning is a warning wherever a person reads it, never pytest's xfail.
    assert "XFailed" not in text
    assert "Expected failures" not in text
    assert "1 Warnings" in text
    assert re.search(r"^Warning\tVAL-03\t", text, re.MULTILINE)
    # One duration format ("13 ms", "5.2 s", "2 min 05 s"), never pytest-html's "00:00:05".
    rows = re.findall(r"^(?:Passed|Failed|Warning)\t[^\t]*\t[^\t]*\t([^\t]*)\t", text, re.M)
    assert len(rows) == 31
    assert all(DURATION.fullmatch(duration) for duration in rows), rows
    run_duration = re.search(r"^Duration\t(.*)$", text, re.MULTILINE)
    assert run_duration is not None
    assert DURATION.fullmatch(run_duration.group(1))
    assert re.search(r"^31 tests took \d+\.\d s\.$", text, re.MULTILINE)
    # Failure text is shown whole and wrapped: no box cuts a line.
    assert seen["logs"] >= 5
    assert seen["logsCut"] == 0
    assert seen["logStyle"] == ["pre-wrap", "anywhere"]
    # SEQ-01's failure ends with its example and its check, not Hypothesis' machinery.
    sequence = text[text.index("SEQ-01 (MUST): After any") :]
    sequence = sequence[: sequence.index("Checked by")]
    assert "Example (Hypothesis, --seed 1): program=[" in sequence
    for internal in ("Falsifying", "state = ", "Traceback", "hypothesis/", "run("):
        assert internal not in sequence

    # Without JavaScript the verdict, the failures and the matrix are all there.
    plain = without_scripts(report, tmp_path)
    assert '<h2 id="kv-verdict" style="color:#cf222e">NOT CONFORMANT</h2>' in plain
    assert '<div id="kv-failures">' in plain
    assert '<tr id="kv-requirement-DEL-01">' in plain
    assert 'class="results-table-row failed"' not in plain  # the results table needs the script
    assert "<noscript><p>The table of every test, below, is drawn by" in plain


def test_passing_run_report_says_conformant_first(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    result = run_pytest(
        pytester,
        "--seed",
        "1",
        "--kv-hold=1",
        "--kv-examples=10",
        "--html=reports/report.html",
        "--self-contained-html",
        timeout=240,
    )
    assert result.ret == 0
    report = Path(pytester.path) / "reports" / "report.html"
    assert screenshot(report, tmp_path / "passing.png", tmp_path / "profile-shot") == WINDOW
    seen = probed(report, tmp_path)
    assert seen["failures"] is None
    assert seen["verdict"] < seen["matrix"] < WINDOW[1]
    assert seen["matrix"] < seen["environment"]
    assert seen["pytestEnvironmentShown"] is False
    assert "XFailed" not in seen["text"]
    assert "Warnings (SHOULD" not in seen["text"]
    plain = without_scripts(report, tmp_path)
    assert '<h2 id="kv-verdict" style="color:#1a7f37">CONFORMANT</h2>' in plain
    assert '<td class="kv-pass">PASS</td>' in plain


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


def test_screenshot_tool_refuses_an_output_it_cannot_write(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = subprocess.run(
        [sys.executable, "-m", "conformance.tools.screenshot", "--output", f"{missing}/r.png"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"screenshot: {missing} is not a directory.\n"
    assert not missing.exists()
