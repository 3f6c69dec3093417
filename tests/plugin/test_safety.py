"""The suite never harms the server it tests: other keys untouched, nothing left behind."""

from __future__ import annotations

import pytest

from conformance.reference import MemoryStore, Namespace, ReferenceServer
from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow


def test_pre_existing_keys_are_untouched_and_nothing_is_left(pytester: pytest.Pytester) -> None:
    store = MemoryStore()
    tokens = {"tok-a": "user-1", "tok-b": "user-2"}
    for user in tokens.values():
        for prefix in (b"  ", b"p ", b"q "):
            namespace = Namespace("com.example.kv-conformance", user, prefix)
            for number in range(300):
                # Some look like the suite's own keys; none carries this run's marker.
                key = f"kvc-00000000-{number}" if number % 3 else f"user-data-{number}"
                store.set(namespace, key.encode(), f'{{"n":{number}}}'.encode())
    before = store.snapshot()
    with ReferenceServer(list(tokens), store=store) as server:
        run = run_suite(
            pytester,
            "--target-url",
            server.url,
            "--token",
            "tok-a",
            "--token",
            "tok-b",
            "--profile",
            "mattermost",
            "--kv-examples",
            "15",
        )
    assert run.ret == 0, run.verdicts
    assert store.snapshot() == before
