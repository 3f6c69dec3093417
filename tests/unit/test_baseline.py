"""Comparing a run's verdicts with a baseline: what is a regression, a known failure, an
improvement, and which baselines are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.engine.baseline import Baseline, BaselineError, Change


def baseline(**verdicts: str) -> Baseline:
    return Baseline(path="base.json", profile="core", verdicts=verdicts)


def test_failures_are_regressions_only_where_the_baseline_met_the_requirement() -> None:
    before = baseline(A="pass", B="fail", C="warn", D="unsupported", E="fail", F="pass")
    comparison = before.compare(
        {"A": "fail", "B": "fail", "C": "fail", "D": "error", "E": "pass", "F": "pass", "G": "fail"}
    )
    assert comparison.regressions == [
        Change("A", "pass", "fail"),
        Change("D", "unsupported", "error"),
        Change("G", "absent", "fail"),  # a requirement the baseline never judged
    ]
    assert comparison.known == [Change("B", "fail", "fail"), Change("C", "warn", "fail")]
    assert comparison.improvements == [Change("E", "fail", "pass")]


def test_warnings_and_unsupported_neither_regress_nor_gate() -> None:
    comparison = baseline(A="pass", B="pass").compare({"A": "warn", "B": "unsupported"})
    assert comparison.regressions == comparison.known == comparison.improvements == []


def test_loads_an_earlier_summary(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    summary = {
        "configuration": {"profile": "mattermost"},
        "requirements": [{"id": "DEL-01", "verdict": "fail"}, {"id": "SET-01", "verdict": "pass"}],
    }
    path.write_text(json.dumps(summary), encoding="utf-8")
    loaded = Baseline.load(str(path))
    assert loaded.profile == "mattermost"
    assert loaded.knows("DEL-01")
    assert not loaded.knows("SET-01")
    assert not loaded.knows("ISO-01")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the baseline .* give the path of an earlier run's --kv-summary"),
        ("not json", "is not a kv-conformance summary"),
        ('{"requirements": []}', "is not a kv-conformance summary"),
        ("[1, 2]", "is not a kv-conformance summary"),
    ],
)
def test_refuses_what_is_not_a_summary(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "summary.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        Baseline.load(str(path))
