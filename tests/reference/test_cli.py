"""``python -m conformance.reference`` as a user runs it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from conformance.reference import KV_PATH, Faults
from tests.support.http import RawClient
from tests.support.process import START_DEADLINE_SECONDS, reference_process, spawn_reference

pytestmark = pytest.mark.slow


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.reference", *args],
        capture_output=True,
        text=True,
        timeout=START_DEADLINE_SECONDS,
        check=False,
    )


def test_prints_url_first_and_serves_two_users() -> None:
    with reference_process(["--port", "0", "--token", "A", "--token", "B"]) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        client = RawClient(url)
        for token, value in (("A", b'"a"'), ("B", b'"b"')):
            auth = {"Authorization": f"Bearer {token}"}
            assert client.request("POST", f"{KV_PATH}/k", body=value, headers=auth).status == 200
        assert (
            client.request("GET", f"{KV_PATH}/k", headers={"Authorization": "Bearer A"}).body
            == b'"a"'
        )
        assert (
            client.request("GET", f"{KV_PATH}/k", headers={"Authorization": "Bearer B"}).body
            == b'"b"'
        )
        client.close()


def test_richer_token_forms() -> None:
    args = ["--token", "A:alice", "--token", "A2:alice", "--session-token", "S:alice"]
    with reference_process(args) as url:
        client = RawClient(url)
        client.request("POST", f"{KV_PATH}/k", body=b"1", headers={"Authorization": "Bearer A"})
        shared = client.request("GET", f"{KV_PATH}/k", headers={"Authorization": "Bearer A2"})
        assert shared.body == b"1", "two tokens of one user share data"
        session = client.request("GET", f"{KV_PATH}/k", headers={"Authorization": "Bearer S"})
        assert (session.status, session.body) == (401, b"not an app session: unauthorized\n")
        client.close()


def test_fault_flag_is_applied() -> None:
    with reference_process(["--token", "A", "--fault", "missing-key-404"]) as url:
        client = RawClient(url)
        reply = client.request("GET", f"{KV_PATH}/absent", headers={"Authorization": "Bearer A"})
        assert reply.status == 404
        client.close()


def test_latency_holds_every_answer_at_least_that_long() -> None:
    # A lower bound the server guarantees, not a speed measurement: each answer waits 200 ms
    # (plus up to 50 ms of jitter) before it is written.
    with reference_process(["--token", "A", "--latency-ms", "200", "--jitter-ms", "50"]) as url:
        client = RawClient(url)
        auth = {"Authorization": "Bearer A"}
        client.request("GET", f"{KV_PATH}/warm", headers=auth)  # the connection is open
        started = time.monotonic()
        for _ in range(3):
            assert client.request("GET", f"{KV_PATH}/k", headers=auth).status == 200
        assert time.monotonic() - started >= 0.6
        client.close()


def test_sigterm_ends_cleanly() -> None:
    process, _ = spawn_reference(["--token", "A"])
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=START_DEADLINE_SECONDS)
    assert process.returncode == 0
    assert stderr == ""


def test_list_faults_names_each_with_its_description() -> None:
    result = run_cli("--list-faults")
    assert result.returncode == 0
    for name, breaks in Faults.catalogue().items():
        assert f"{name:30} {breaks}" in result.stdout


# Bad arguments (each option's): tests/plugin/test_bad_inputs.py, with the other commands'.


def test_port_in_use_is_one_sentence() -> None:
    with reference_process(["--token", "A"]) as url:
        result = run_cli("--token", "A", "--port", url.rsplit(":", 1)[1])
    assert result.returncode == 2
    assert result.stderr.startswith("python -m conformance.reference: cannot serve on 127.0.0.1:")
    assert "another process holds the port" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
