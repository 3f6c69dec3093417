"""The SQLite store keeps every acknowledged set across a restart, and across SIGKILL."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from conformance.reference import KV_PATH, ReferenceServer
from tests.reference.probes import TOKENS
from tests.support.http import RawClient
from tests.support.process import START_DEADLINE_SECONDS, spawn_reference

# (token, path) -> value; two users, both routes, one deleted entry.
WRITES = {
    ("tok-alice", "k"): b'{"who": "alice"}',
    ("tok-bob", "k"): b'{"who": "bob"}',
    ("tok-alice", "p1/k"): b"[1, 2]",
    ("tok-alice", "gone"): b"null",
}


def write_all(url: str) -> None:
    client = RawClient(url)
    for (token, path), value in WRITES.items():
        auth = {"Authorization": f"Bearer {token}"}
        assert client.request("PUT", f"{KV_PATH}/{path}", body=value, headers=auth).status == 200
    gone = client.request(
        "DELETE", f"{KV_PATH}/gone", headers={"Authorization": "Bearer tok-alice"}
    )
    assert gone.status == 200
    client.close()


def read_all(url: str) -> dict[tuple[str, str], bytes]:
    client = RawClient(url)
    found = {
        (token, path): client.request(
            "GET", f"{KV_PATH}/{path}", headers={"Authorization": f"Bearer {token}"}
        ).body
        for token, path in WRITES
    }
    client.close()
    return found


def expected_after_restart() -> dict[tuple[str, str], bytes]:
    return {**WRITES, ("tok-alice", "gone"): b"{}"}


def test_data_survives_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'kv.sqlite3'}"
    with ReferenceServer(TOKENS, store=store) as server:
        write_all(server.url)
    with ReferenceServer(TOKENS, store=store) as server:
        assert read_all(server.url) == expected_after_restart()


def test_memory_store_forgets_on_restart() -> None:
    with ReferenceServer(TOKENS) as server:
        write_all(server.url)
    with ReferenceServer(TOKENS) as server:
        assert set(read_all(server.url).values()) == {b"{}"}


@pytest.mark.slow
def test_acknowledged_sets_survive_sigkill(tmp_path: Path) -> None:
    args = [f"--store=sqlite:{tmp_path / 'kv.sqlite3'}"]
    for token in TOKENS:
        args.append(f"--token={token}:{TOKENS[token].user}:{TOKENS[token].app}")
    process, url = spawn_reference(args)
    try:
        write_all(url)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=START_DEADLINE_SECONDS)
    process, url = spawn_reference(args)
    try:
        assert read_all(url) == expected_after_restart()
    finally:
        process.terminate()
        process.communicate(timeout=START_DEADLINE_SECONDS)
