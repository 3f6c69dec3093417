"""The Locust load profile, headless for a few seconds: traffic with the suite's client, the
invariants checked online, failures counted, and every key removed at the end; the preflight
that stops a configuration that cannot work before any user starts; and a server that goes
away mid-run, reported as missing answers, not as broken invariants."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.loadtest import locustfile
from conformance.reference import MemoryStore, ReferenceServer

pytestmark = pytest.mark.slow

TOKENS = ["load-secret-a-6e1f", "load-secret-b-02c9"]
STARTED_USERS = "Ramping to 10 users"  # Locust's log line as it starts the users
START_DEADLINE_SECONDS = 60.0


def locust_command(url: str, run_time: str = "4s", users: int = 10) -> list[str]:
    """Locust with the packaged locustfile, as the README runs it."""
    return [
        *(str(Path(sys.executable).parent / "locust"), "-f", str(locustfile())),
        *("--host", url, "--headless", f"--users={users}", f"--spawn-rate={max(users, 1)}"),
        *(f"--run-time={run_time}", "--only-summary"),
    ]


def run_locust(
    server: ReferenceServer, tmp_path: Path, tokens: Sequence[str] = TOKENS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        locust_command(server.url),
        env={**os.environ, "KV_TOKENS": ",".join(tokens)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_print_path_names_the_packaged_locustfile(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.loadtest", "--print-path"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed = Path(result.stdout.strip())
    assert printed == locustfile()
    assert printed.is_file()
    assert "class KVUser(User)" in printed.read_text(encoding="utf-8")


def test_correct_server_passes_and_is_left_clean(tmp_path: Path) -> None:
    store = MemoryStore()
    with ReferenceServer(TOKENS, store=store) as server:
        result = run_locust(server, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert STARTED_USERS in result.stderr
    assert "Aggregated" in result.stderr + result.stdout
    assert " 0(0.00%)" in result.stderr + result.stdout
    assert store.snapshot() == {}  # every user deleted its keys when it stopped


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("shared-between-users", "the other identity read"),
        ("ignore-overwrite", "acknowledged write not readable: expected 'kvc-load-"),
        ("delete-is-noop", "acknowledged write not readable: expected absent (deleted), read '"),
    ],
)
def test_broken_invariants_are_failures(tmp_path: Path, fault: str, says: str) -> None:
    with ReferenceServer(TOKENS, faults=[fault]) as server:
        result = run_locust(server, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert says in output
    violations = [line for line in output.splitlines() if "InvariantViolation" in line]
    assert violations
    for line in violations:  # values in words, the curl line as it runs: no Python repr
        assert "None" not in line, line
        assert "\\" not in line, line
        assert "InvariantViolation: acknowledged write" in line or "other identity" in line
    for token in TOKENS:
        assert token not in output


def test_a_run_that_sent_no_request_exits_2(tmp_path: Path) -> None:
    store = MemoryStore()
    with ReferenceServer(TOKENS, store=store) as server:
        result = subprocess.run(
            locust_command(server.url, run_time="1s", users=0),
            env={**os.environ, "KV_TOKENS": ",".join(TOKENS)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "kv-conformance load profile: no request was sent: no user started" in result.stderr
    assert "Traceback" not in output
    assert store.snapshot() == {}


def test_master_whose_worker_cannot_start_exits_2(tmp_path: Path) -> None:
    # Locust alone ends this run at --run-time with status 0: the worker stopped at its
    # start, so the master counted a worker and sent its users to nobody.
    port = free_port()
    with ReferenceServer(TOKENS) as server:
        master_command = [
            *locust_command(server.url, run_time="2s", users=2),
            *("--master", "--master-bind-host=127.0.0.1", f"--master-bind-port={port}"),
            *("--expect-workers=1", "--expect-workers-max-wait=60"),
        ]
        master = subprocess.Popen(
            master_command,
            env={**os.environ, "KV_TOKENS": ",".join(TOKENS)},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, master)
            worker = subprocess.run(
                [
                    *(str(Path(sys.executable).parent / "locust"), "-f", str(locustfile())),
                    *("--worker", "--master-host=127.0.0.1", f"--master-port={port}"),
                ],
                env={name: value for name, value in os.environ.items() if name != "KV_TOKENS"},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            output, _ = master.communicate(timeout=120)
        finally:
            if master.poll() is None:
                master.kill()
                master.communicate()
    assert worker.returncode == 2, worker.stderr[-2000:]
    assert "kv-conformance load profile: KV_TOKENS is not set" in worker.stderr
    assert master.returncode == 2, output[-2000:]
    assert "kv-conformance load profile: no request was sent: no worker ran a user" in output
    assert "Traceback" not in output + worker.stdout + worker.stderr
    for token in TOKENS:
        assert token not in output


def free_port() -> int:
    """A port free a moment ago (bound and closed again): Locust's master binds it itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    """Until something accepts connections on ``port`` (polled, under a deadline)."""
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the Locust master did not listen on port {port}")


def test_rejected_token_stops_before_any_user(tmp_path: Path) -> None:
    store = MemoryStore()
    with ReferenceServer(TOKENS, store=store) as server:
        result = run_locust(server, tmp_path, tokens=[TOKENS[0], "load-wrong-token-77b1"])
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "kv-conformance load profile: the server rejected token B (401" in result.stderr
    assert STARTED_USERS not in output
    assert "Aggregated" not in output  # no statistics: not one request of the load was sent
    assert "Traceback" not in output
    for token in (*TOKENS, "load-wrong-token-77b1"):
        assert token not in output
    assert store.snapshot() == {}  # identity A's preflight key was deleted


def test_server_gone_mid_run_is_no_answer_not_a_broken_invariant(tmp_path: Path) -> None:
    store = MemoryStore()
    server = ReferenceServer(TOKENS, store=store).start()
    try:
        process = subprocess.Popen(
            locust_command(server.url, run_time="10s"),
            env={**os.environ, "KV_TOKENS": ",".join(TOKENS)},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        # The users are running once their keys appear (polled, under a deadline); the
        # preflight's own key, written before any user starts, does not count: stopping the
        # server then would fail the preflight, not the users.
        while not _users_keys(store) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _users_keys(store), "no user wrote anything"
    finally:
        server.stop()  # the users have most of their 10 s still to run
    # Ended by --run-time, not by a signal: Locust sets its exit status on SIGTERM before its
    # users stop, so the failures of their last requests and cleanup would not count.
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output[-2000:]
    assert "NoAnswer: no answer (connection " in output  # refused, or reset as it closed
    assert "InvariantViolation" not in output
    assert "Traceback" not in output
    for token in TOKENS:
        assert token not in output


def _users_keys(store: MemoryStore) -> list[bytes]:
    return [key for _, key in store.snapshot() if not key.endswith(b"-preflight")]
