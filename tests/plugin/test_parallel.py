"""pytest -n 2 (pytest-xdist): per-worker namespaces, one merged summary and report, and the
verdicts, opening and closing lines and duration of a serial run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow


# Loaded into every process of a run (-p kv_timings): when each process's session started,
# when it ended, and each test's start and stop, as seconds since the epoch.
TIMINGS_PLUGIN = """
import json
import time

import pytest


def _note(config, event, value):
    process = getattr(config, "workerinput", {}).get("workerid", "main")
    with open(TIMINGS_PATH, "a", encoding="utf-8") as file:
        file.write(json.dumps([process, event, value]) + "\\n")


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    _note(session.config, "sessionstart", time.time())


def pytest_runtest_logreport(report):
    if report.when == "call":
        with open(TIMINGS_PATH, "a", encoding="utf-8") as file:
            file.write(json.dumps(["test", "start", report.start]) + "\\n")
            file.write(json.dumps(["test", "stop", report.stop]) + "\\n")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    _note(config, "unconfigure", time.time())
"""


def _timings(path: Path) -> list[tuple[str, str, float]]:
    """What the timings plugin noted in the last run (and forget it for the next)."""
    noted = [
        (str(p), str(e), float(t))
        for p, e, t in map(json.loads, path.read_text("utf-8").splitlines())
    ]
    path.unlink()
    return noted


def _span(noted: list[tuple[str, str, float]], first: str, last: str, who: str) -> float:
    """From the earliest ``first`` event to the latest ``last`` of the processes ``who``."""
    starts = [when for process, event, when in noted if process.startswith(who) and event == first]
    ends = [when for process, event, when in noted if process.startswith(who) and event == last]
    assert starts, noted
    assert ends, noted
    return max(ends) - min(starts)


def _opening(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("kv-conformance: ")]
    assert len(lines) == 1, stdout[:3000]  # once, from the controller under xdist
    return lines[0]


def _summary(pytester: pytest.Pytester) -> dict[str, Any]:
    latest = sorted(Path(pytester.path).glob("summary-*.json"))[-1]
    return dict(json.loads(latest.read_text("utf-8")))


@pytest.mark.parametrize("faults", [[], ["delete-is-noop", "stale-read-cache"]])
def test_two_workers_give_the_verdicts_of_a_serial_run(
    pytester: pytest.Pytester, faults: list[str]
) -> None:
    timings = Path(pytester.path) / "timings.jsonl"
    pytester.makepyfile(kv_timings=TIMINGS_PLUGIN.replace("TIMINGS_PATH", repr(str(timings))))
    faulty = [f"--kv-reference-fault={f}" for f in faults]
    args = ["--seed=8", "--kv-hold=1", "--kv-examples=15", *faulty]  # the fault matrix's budget
    serial = run_suite(pytester, *args, "-p", "kv_timings")
    serial_summary, serial_noted = _summary(pytester), _timings(timings)
    parallel = run_suite(
        pytester,
        *args,
        "-p",
        "kv_timings",
        "-n",
        "2",
        "--html=report.html",
        "--self-contained-html",
    )
    summary, noted = _summary(pytester), _timings(timings)
    assert parallel.ret == serial.ret == (1 if faults else 0)
    assert parallel.verdicts == serial.verdicts
    assert len(summary["cleanup"]["markers"]) == 2  # each worker its own namespace
    assert summary["cleanup"]["left_behind"] == 0
    html = (Path(pytester.path) / "report.html").read_text(encoding="utf-8")
    assert 'id="kv-matrix"' in html
    assert ("NOT CONFORMANT" in html) == bool(faults)
    # The opening line: printed once by the controller, with the serial run's profile, seed
    # and faults, and each worker's run marker.
    shared = re.escape(", profile core, seed 8 (rerun with --seed 8), ")
    faulted = re.escape(f" with faults {', '.join(faults)}") if faults else ""
    assert re.fullmatch(
        rf"kv-conformance: embedded reference server http://127\.0\.0\.1:\d+{faulted}{shared}"
        r"run marker kvc-[0-9a-f]{8}",
        _opening(serial.stdout),
    )
    markers = re.fullmatch(
        rf"kv-conformance: embedded reference server \(one per worker, each on its own port\)"
        rf"{faulted}{shared}2 workers, run markers (kvc-\S+) \(gw0\), (kvc-\S+) \(gw1\)",
        _opening(parallel.stdout),
    )
    assert markers is not None, _opening(parallel.stdout)
    assert sorted(markers.groups()) == sorted(summary["cleanup"]["markers"])
    # The same closing lines: the run's verdict and its seed.
    for closing in (r"\n((?:NOT )?CONFORMANT \(core profile\): .*)\n", r"\n(Seed 8: .*)\n"):
        assert re.findall(closing, parallel.stdout) == re.findall(closing, serial.stdout)
    # The duration is the whole run's: at least from the first test's start to the last one's
    # end, and under xdist from the first worker's session start to the last worker's end
    # (without the workers' start-up and exit it was less than half of the run).
    assert serial_summary["duration_seconds"] >= _span(serial_noted, "start", "stop", "test")
    assert summary["duration_seconds"] >= _span(noted, "start", "stop", "test")
    assert summary["duration_seconds"] >= _span(noted, "sessionstart", "unconfigure", "gw")


def test_workers_share_the_seed_the_controller_chose(pytester: pytest.Pytester) -> None:
    run = run_suite(
        pytester, "--kv-reference-fault=float-numbers", "--kv-hold=1", "--kv-examples=15", "-n", "2"
    )
    assert run.ret == 1
    seed = re.search(r"Seed (\d+): rerun with --seed", run.stdout)
    assert seed is not None
    used = set(re.findall(r"Example \(Hypothesis, --seed (\d+)\)", run.stdout))
    assert used == {seed.group(1)}


def test_other_tests_under_xdist_get_no_opening_line(pytester: pytest.Pytester) -> None:
    # The plugin is installed, so it is in every pytest run of the environment (the project's
    # own tests run with -n): only a run of the suite's checks is a conformance run.
    pytester.makepyfile(test_plain="def test_one():\n    pass\n\n\ndef test_two():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=120)
    assert result.ret == 0
    result.assert_outcomes(passed=2)
    assert not [line for line in result.stdout.lines if line.startswith("kv-conformance:")]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("--target-url", "http://127.0.0.1:1", "--token", "a", "--token", "b"), "nothing listens"),
        (("--restart-cmd", "true"), "--restart-cmd stops the server for every worker"),
        (("--kv-examples", "0"), "--kv-examples must be at least 1"),
    ],
    ids=["nothing-listens", "restart-cmd", "bad-option"],
)
def test_a_run_that_cannot_start_stops_once_with_its_sentence(
    pytester: pytest.Pytester, args: tuple[str, ...], sentence: str
) -> None:
    # Not handed to workers that would each stop and be replaced until xdist gave up.
    run = run_suite(pytester, "-n", "2", *args)
    assert run.ret == 2
    assert f"! kv-conformance: {sentence}" in run.stdout
    assert "crashed worker" not in run.stdout
    assert "Traceback" not in run.stdout
    assert run.verdicts == {}  # the summary was written: the run's verdict, no requirement's
    summary = json.loads(next(Path(pytester.path).glob("summary-*.json")).read_text("utf-8"))
    assert sentence in summary["incomplete_reason"]
