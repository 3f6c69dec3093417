"""The HTML report's pure helpers: its one duration format, read back for sorting, and the
first reproduction step a failure's text offers."""

from __future__ import annotations

import pytest

from conformance.report.html import duration_text, first_reproduction, milliseconds


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
    2. curl -sS -i -X GET -H "Authorization: Bearer $KV_TOKEN" http://h/kv/k
       -> 200 application/json '{"doomed":true}'
Checked by test_delete.py::test_deleted_key_reads_absent"""


def test_first_reproduction_step_with_its_heading() -> None:
    found = first_reproduction(FAILURE, "test_delete.py::test_deleted_key_reads_absent")
    assert found is not None
    assert found.heading == "Reproduce with (set $KV_TOKEN first)"
    assert found.first.startswith("curl -sS -i -X POST ")
    assert found.first.endswith("http://h/kv/k")
    assert found.steps == 2


def test_a_failure_without_curl_lines_has_no_reproduction() -> None:
    assert first_reproduction("VAL-01 (MUST): ...\n  Expected: x\n  Received: y", "t") is None
