"""The Locust load profile, headless for a few seconds: traffic with the suite's client, the
invariants checked online, failures counted, and every key removed at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.reference import MemoryStore, ReferenceServer

pytestmark = pytest.mark.slow

LOCUSTFILE = Path(__file__).resolve().parents[2] / "conformance" / "tools" / "loadtest.py"
TOKENS = ["load-secret-a-6e1f", "load-secret-b-02c9"]


def run_locust(server: ReferenceServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    locust = Path(sys.executable).parent / "locust"
    return subprocess.run(
        [
            str(locust),
            "-f",
            str(LOCUSTFILE),
            "--host",
            server.url,
            "--headless",
            "--users=10",
            "--spawn-rate=10",
            "--run-time=4s",
            "--only-summary",
        ],
        env={**os.environ, "KV_TOKENS": ",".join(TOKENS)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_correct_server_passes_and_is_left_clean(tmp_path: Path) -> None:
    store = MemoryStore()
    with ReferenceServer(TOKENS, store=store) as server:
        result = run_locust(server, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Aggregated" in result.stderr + result.stdout
    assert " 0(0.00%)" in result.stderr + result.stdout
    assert store.snapshot() == {}  # every user deleted its keys when it stopped


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("shared-between-users", "the other identity read"),
        ("ignore-overwrite", "acknowledged write not readable"),
    ],
)
def test_broken_invariants_are_failures(tmp_path: Path, fault: str, says: str) -> None:
    with ReferenceServer(TOKENS, faults=[fault]) as server:
        result = run_locust(server, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert says in output
    for token in TOKENS:
        assert token not in output
