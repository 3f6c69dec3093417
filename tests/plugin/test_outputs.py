"""The files a run writes for CI, their content, and that no token reaches any output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.engine.requirements import Catalogue
from conformance.reference import ReferenceServer
from tests.support.suite_run import run_pytest

pytestmark = pytest.mark.slow

TOKENS = ["planted-secret-one-7f3a", "planted-secret-two-9c1d"]


@pytest.fixture
def faulty() -> Iterator[ReferenceServer]:
    # token-prefix-match fails AUTH-02, whose reproductions then show A's token cut short
    # and extended: derived from $KV_TOKEN, as near misses of both tokens must be.
    faults = ["delete-is-noop", "text-content-type", "reworded-errors", "token-prefix-match"]
    with ReferenceServer(TOKENS, faults=faults) as server:
        yield server


def run(pytester: pytest.Pytester, server: ReferenceServer, *args: str) -> pytest.RunResult:
    return run_pytest(
        pytester,
        "--target-url",
        server.url,
        "--token",
        TOKENS[0],
        "--token",
        TOKENS[1],
        "--seed",
        "3",
        "--html=out/report.html",
        "--self-contained-html",
        "--junitxml=out/junit.xml",
        "--kv-summary=out/summary.json",
        "--kv-hold=1",  # DUR-01's wait is not what these tests are about
        "--kv-examples=10",  # nor is how hard Hypothesis looks: these faults are deterministic
        *args,
        timeout=240,
    )


def test_failing_run_writes_every_output_without_tokens(
    pytester: pytest.Pytester, faulty: ReferenceServer
) -> None:
    result = run(pytester, faulty, "--profile", "mattermost")
    assert result.ret == 1
    out = Path(pytester.path) / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    verdicts = {entry["id"]: entry["verdict"] for entry in summary["requirements"]}
    assert summary["verdict"] == "NOT CONFORMANT"
    assert verdicts["DEL-01"] == verdicts["MM-01"] == verdicts["MM-05"] == "fail"
    assert verdicts["AUTH-02"] == "fail"
    assert verdicts["ISO-01"] == "pass"
    # Every verdict says why: a failure what was expected and received, a pass its checks.
    reasons = {entry["id"]: entry["reason"] for entry in summary["requirements"]}
    assert all(reasons.values()), [rid for rid, reason in reasons.items() if not reason]
    assert reasons["DEL-01"].startswith("expected ")
    assert "; received " in reasons["DEL-01"]
    assert reasons["ISO-01"] == "met in test_identities_are_isolated"
    assert summary["configuration"]["tokens"] == ["$KV_TOKEN", "$KV_TOKEN_B"]
    assert summary["configuration"]["seed"] == 3
    assert set(summary["latency_ms"]) >= {"GET", "POST", "PUT", "DELETE"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="kv-matrix"' in html
    assert "NOT CONFORMANT" in html
    assert "DEL-01" in html
    assert '<property name="kv_seed" value="3" />' in (out / "junit.xml").read_text("utf-8")
    outputs = [path.read_text(encoding="utf-8") for path in out.iterdir()]
    outputs += [result.stdout.str(), result.stderr.str()]
    shown_derived = ("Bearer ${KV_TOKEN%?}", "Bearer ${KV_TOKEN}x")
    assert any(derived in result.stdout.str() for derived in shown_derived)
    for text in outputs:
        for token in TOKENS:
            for shown in (token, token.upper(), token[:-1], token[: len(token) // 2]):
                assert shown not in text


def test_should_only_deviation_exits_0_or_1_when_strict(pytester: pytest.Pytester) -> None:
    with ReferenceServer(TOKENS, faults=["text-content-type"]) as server:
        lenient = run(pytester, server)
        strict = run(pytester, server, "--kv-strict")
    assert lenient.ret == 0
    # The core profile but RST-01 (it needs --restart-cmd) and the one warning.
    passed = len(Catalogue.load().in_profile("core")) - 2
    lenient.stdout.fnmatch_lines([f"CONFORMANT (core profile): {passed} pass, 1 warn"])
    assert strict.ret == 1
    summary = json.loads((Path(pytester.path) / "out" / "summary.json").read_text("utf-8"))
    assert summary["verdict"] == "NOT CONFORMANT"
