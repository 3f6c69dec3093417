"""The HTML report's pure helpers: its one duration format, read back for sorting; a
failure's text read into its parts (expected, received, every reproduction step); the
Failures block made of them."""

from __future__ import annotations

import pytest

from conformance.engine.record import RequirementResult
from conformance.engine.verdicts import Verdict
from conformance.report.failure_text import read_failure
from conformance.report.html import _failures, duration_text, milliseconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 ms"),
        (0.0134, "13 ms"),
        (0.9994, "999 ms"),
        (0.9996, "1.0 s"),
        (5.21, "5.2 s"),
        (59.94, "59.9 s"),
        (59.96, "1 min 00 s"),
        (125.4, "2 min 05 s"),
    ],
)
def test_one_duration_format_read_back_in_milliseconds(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text
    # pytest-html's script sorts by "N ms": the value survives to the shown precision.
    shown_precision = 1 if seconds < 1 else 100 if seconds < 59.95 else 1000
    assert abs(milliseconds(text) - seconds * 1000) <= shown_precision / 2 + 0.5


def test_anything_else_reads_as_zero() -> None:
    assert milliseconds("00:00:01") == 0


FAILURE = """DEL-01 (MUST): After a delete of a present key, every later GET reads absent.
  Expected: absent after the delete: 404, or 200 {}
  Received: 200 application/json '{"doomed":true}'
  Reproduce with (set $KV_TOKEN first):
    1. curl -sS -i -X POST -H "Authorization: Bearer $KV_TOKEN" --data-binary '{}' http://h/kv/k
       -> 200 application/json '{"changed":true}\\n'
    2. curl -sS -i -X DELETE -H "Authorization: Bearer $KV_TOKEN" http://h/kv/k
       -> 200 (empty body)
    3. curl -sS -i -X GET -H "Authorization: Bearer $KV_TOKEN" http://h/kv/k
       -> 200 application/json '{"doomed":true}'
Checked by test_delete.py::test_deleted_key_reads_absent"""

# CON-01's received text is a timeline; the stale read is its last line.
LINEARIZABILITY = """CON-01 (MUST): Concurrent operations on one key form a linearizable history.
  Expected: some order of the operations on k by identity A explains every read
  Received: none does for these 3 operations (times from the first request):
          0.00 ..     1.69 ms  A#4   set A#4.9
          6.33 ..     8.04 ms  A#1   delete
          8.05 ..    11.10 ms  A#1   get -> A#4.9
  Reproduce with (set $KV_TOKEN first):
    1. python3 -c 'x' | curl -sS -i -X POST --data-binary @- http://h/kv/k
       -> 200 application/json '{"changed":true}\\n'
  Connection: the answer may belong to the request before it
  Reproduce on one connection (bash):
    curl -sS -i -X GET http://h/kv/k --next -sS -i -X GET http://h/kv/k
Example (Hypothesis, --seed 1): clients=2
Checked by test_concurrency.py::test_concurrent_operations_on_one_key_are_linearizable"""


def test_every_reproduction_step_with_its_answer_and_heading() -> None:
    found = read_failure(FAILURE, "DEL-01", "test_delete.py::test_deleted_key_reads_absent")
    assert found is not None
    assert found.expected == "absent after the delete: 404, or 200 {}"
    assert found.received == "200 application/json '{\"doomed\":true}'"
    assert found.heading == "Reproduce with (set $KV_TOKEN first)"
    assert found.step_count == 3
    assert found.steps[0].startswith("1. curl -sS -i -X POST ")
    assert found.steps[1] == "   -> 200 application/json '{\"changed\":true}\\n'"
    assert found.steps[2].startswith("2. curl -sS -i -X DELETE ")
    assert found.steps[-1] == "   -> 200 application/json '{\"doomed\":true}'"
    assert len(found.steps) == 6  # nothing after the steps (the test's name) is one
    assert found.test == "test_delete.py::test_deleted_key_reads_absent"


def test_a_multi_line_received_keeps_its_lines_and_columns() -> None:
    found = read_failure(LINEARIZABILITY, "CON-01", "t")
    assert found is not None
    assert found.received.splitlines() == [
        "none does for these 3 operations (times from the first request):",
        "0.00 ..     1.69 ms  A#4   set A#4.9",
        "6.33 ..     8.04 ms  A#1   delete",
        "8.05 ..    11.10 ms  A#1   get -> A#4.9",
    ]
    # A step whose body is piped in counts; the one-connection command follows the steps.
    assert found.step_count == 1
    assert found.steps[0].startswith("1. python3 -c 'x' | curl ")
    assert found.steps[2:] == (
        "Connection: the answer may belong to the request before it",
        "Reproduce on one connection (bash):",
        "curl -sS -i -X GET http://h/kv/k --next -sS -i -X GET http://h/kv/k",
    )


def test_a_line_separator_in_a_body_does_not_split_its_step() -> None:
    # VAL-01 sends bodies with U+2028, which str.splitlines() would take for a line end.
    text = FAILURE.replace("--data-binary '{}'", "--data-binary '\"\u2028\"'")
    found = read_failure(text, "DEL-01", "t")
    assert found is not None
    assert found.step_count == 3
    assert found.steps[0].endswith("--data-binary '\"\u2028\"' http://h/kv/k")
    assert found.steps[1].startswith("   -> 200 ")


def test_the_failure_of_the_requirement_asked_for() -> None:
    # A check's own failure, then HTTP-01's (the run stopped its checks during it).
    both = FAILURE + "\n\n" + LINEARIZABILITY
    found = read_failure(both, "CON-01", "t")
    assert found is not None
    assert found.expected.startswith("some order")
    first = read_failure(both, "DEL-01", "t")
    assert first is not None
    assert first.step_count == 3


def test_a_failure_without_steps_has_its_evidence_only() -> None:
    text = "VAL-01 (MUST): ...\n  Expected: x\n  Received: y\nChecked by t"
    found = read_failure(text, "VAL-01", "t")
    assert found is not None
    assert (found.expected, found.received, found.steps, found.heading) == ("x", "y", (), "")


def test_text_that_is_not_a_requirement_failure_is_none() -> None:
    assert read_failure("Traceback (most recent call last):\n  ...", "VAL-01", "t") is None


def result(rid: str, verdict: Verdict, reason: str) -> RequirementResult:
    return RequirementResult(rid, "MUST", f"{rid} statement.", "", verdict, reason, ())


def test_failures_block_shows_the_first_reproduction_and_folds_the_others() -> None:
    failures = {
        "DEL-01": read_failure(FAILURE, "DEL-01", "test_delete.py::test_deleted_key_reads_absent"),
        "CON-01": read_failure(LINEARIZABILITY, "CON-01", "t"),
    }
    requirements = (
        result("DEL-02", "error", "not judged: DEL-01 failed first (expected absent)"),
        result("DEL-01", "fail", "expected absent after the delete; received 200"),
        result("CON-01", "fail", "expected some order; received none does"),
        result("VAL-03", "warn", "expected Content-Type: application/json; received text/plain"),
    )
    html = "".join(_failures(requirements, {k: v for k, v in failures.items() if v}))
    # Without a text to read, the reason; nothing to fold.
    assert (
        '<div class="kv-failure" id="kv-failure-DEL-02"><p>'
        '<a href="#kv-requirement-DEL-02"><b>DEL-02</b></a> (MUST, error): DEL-02 statement.'
        '<span class="kv-evidence">Not judged: DEL-01 failed first (expected absent)</span>' in html
    )
    # The first reproduction open, every step with its answer, the DELETE among them.
    assert '<details class="kv-failure" id="kv-failure-DEL-01" open><summary>' in html
    delete = html[html.index('id="kv-failure-DEL-01"') : html.index('id="kv-failure-CON-01"')]
    assert "Reproduce with (set $KV_TOKEN first), 3 steps (also in " in delete
    assert '<a href="#kv-test-test_deleted_key_reads_absent">its test\'s row</a>' in delete
    assert delete.count('<span class="kv-line">') == 6
    assert '<span class="kv-line">2. curl -sS -i -X DELETE -H ' in delete
    # The next folded, its evidence whole in the summary with its line breaks.
    assert '<details class="kv-failure" id="kv-failure-CON-01"><summary>' in html
    assert "\n8.05 ..    11.10 ms  A#1   get -&gt; A#4.9</span>" in html
    assert "1 step to reproduce: click to show" in html
    # Warnings stay a list of reasons.
    assert html.count('class="kv-failure"') == 3
    assert '<div id="kv-warnings">' in html
    assert "kv-failure-VAL-03" not in html
