"""pytest -n 2 (pytest-xdist): per-worker namespaces, one merged summary and report, and the
verdicts of a serial run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("faults", [[], ["delete-is-noop", "stale-read-cache"]])
def test_two_workers_give_the_verdicts_of_a_serial_run(
    pytester: pytest.Pytester, faults: list[str]
) -> None:
    faulty = [f"--kv-reference-fault={f}" for f in faults]
    args = ["--seed=8", "--kv-hold=1", "--kv-examples=15", *faulty]  # the fault matrix's budget
    serial = run_suite(pytester, *args)
    parallel = run_suite(pytester, *args, "-n", "2", "--html=report.html", "--self-contained-html")
    assert parallel.ret == serial.ret == (1 if faults else 0)
    assert parallel.verdicts == serial.verdicts
    summary = json.loads(sorted(Path(pytester.path).glob("summary-*.json"))[-1].read_text("utf-8"))
    assert len(summary["cleanup"]["markers"]) == 2  # each worker its own namespace
    assert summary["cleanup"]["left_behind"] == 0
    html = (Path(pytester.path) / "report.html").read_text(encoding="utf-8")
    assert 'id="kv-matrix"' in html
    assert ("NOT CONFORMANT" in html) == bool(faults)


def test_workers_share_the_seed_the_controller_chose(pytester: pytest.Pytester) -> None:
    run = run_suite(
        pytester, "--kv-reference-fault=float-numbers", "--kv-hold=1", "--kv-examples=15", "-n", "2"
    )
    assert run.ret == 1
    seed = re.search(r"Seed (\d+): rerun with --seed", run.stdout)
    assert seed is not None
    used = set(re.findall(r"Example \(Hypothesis, --seed (\d+)\)", run.stdout))
    assert used == {seed.group(1)}
