"""Servers that break the transport: the suite fails them on the requirement concerned,
never crashes, stays within --max-duration and still writes a complete report.

Each transport fault hits every Nth request (every 40th; every 50th for 503), whichever
request that is, so which checks fail depends on the order of requests; what must hold is
that the run fails, HTTP-01 (or, for answers that arrive, the check that reads them) names
the request, and nothing in the suite breaks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.engine.requirements import Catalogue
from conformance.reference import Faults
from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow

LIMIT_SECONDS = 12  # long enough to reach every kind of check, short for a hanging server
# The run ends near its limit; on a loaded machine it was seen 0.5 s past it (the cleanup and
# the reports after the deadline). A server that holds the run would take minutes.
BOUND_SECONDS = LIMIT_SECONDS * 1.5
# What the failure says about the request the fault hit.
SAYS: dict[str, str] = {
    "hang-every-40th": "no answer (timed out)",
    "drip-every-40th": "no complete answer within 1 s",
    "long-content-length-every-40th": "no complete answer within 1 s",
    "endless-every-40th": "the answer's body exceeded 1048576 bytes",
    "reset-every-40th": "connection reset by the server",
    "truncated-every-40th": "the answer was cut off",
    "unavailable-every-50th": "503",
    "redirect-every-40th": "307",
}

# The core profile without RST-01, which runs only with --restart-cmd.
CORE = len(Catalogue.load().in_profile("core")) - 1


def test_every_transport_fault_is_here() -> None:
    assert set(SAYS) == Faults.transport()


@pytest.mark.parametrize("fault", sorted(SAYS))
def test_transport_fault_fails_the_run_without_breaking_the_suite(
    pytester: pytest.Pytester, fault: str
) -> None:
    run = run_suite(
        pytester,
        f"--kv-reference-fault={fault}",
        "--seed=7",
        "--kv-examples=10",
        "--kv-timeout=1",
        "--kv-hold=0",
        f"--max-duration={LIMIT_SECONDS}",
        "--html=report.html",
        "--self-contained-html",
        in_process=True,
    )
    assert run.ret == 1, run.stdout[-3000:]
    assert run.failed, "no requirement failed"
    assert SAYS[fault] in run.stdout
    assert "in the suite" not in run.stdout, "a check crashed instead of judging"
    assert "Traceback" not in run.stdout
    summaries = sorted(Path(pytester.path).glob("summary-*.json"))
    summary = json.loads(summaries[-1].read_text(encoding="utf-8"))
    # Every requirement of the profile has a verdict, and the run was bounded by its limit.
    assert len(summary["requirements"]) == CORE
    assert summary["duration_seconds"] <= BOUND_SECONDS
    assert "NOT CONFORMANT" in (Path(pytester.path) / "report.html").read_text("utf-8")


def test_a_server_that_stops_answering_trips_the_breaker(pytester: pytest.Pytester) -> None:
    """With the default limits (no --max-duration given): after three requests without an
    answer HTTP-01 fails with all three as evidence, the checks not yet judged are not
    tested with the reason, and the cleanup and the reports still happen."""
    run = run_suite(
        pytester,
        "--kv-reference-fault=hang-every-40th",
        "--seed=7",
        "--kv-timeout=1",
        "--kv-hold=0",
        "--html=report.html",
        "--self-contained-html",
        in_process=True,
    )
    assert run.ret == 1, run.stdout[-3000:]
    assert run.verdicts["HTTP-01"] == "fail"
    assert "3 requests got no answer, so the run stopped its checks" in run.stdout
    summary = json.loads(sorted(Path(pytester.path).glob("summary-*.json"))[-1].read_text())
    assert len(summary["requirements"]) == CORE
    stopped = [r for r in summary["requirements"] if r["verdict"] == "not tested"]
    assert stopped, "no check was stopped"
    assert all("without an answer" in r["reason"] for r in stopped)
    assert summary["cleanup"]["left_behind"] == 0
    assert "NOT CONFORMANT" in (Path(pytester.path) / "report.html").read_text("utf-8")
    assert "Traceback" not in run.stdout
