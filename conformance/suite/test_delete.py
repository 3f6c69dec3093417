"""Deleting: the answer, and that the key is gone afterwards."""

from __future__ import annotations

import pytest

from conformance.engine.harness import Harness


@pytest.mark.requirement("DEL-01")
def test_deleted_key_reads_absent(kv: Harness) -> None:
    def route(prefix: str) -> None:
        key = kv.key()
        kv.stored(kv.a, key, b'{"doomed":true}', prefix=prefix, before="DEL-01")
        kv.a.delete(key, prefix=prefix)
        for _ in range(2):
            got = kv.a.get(key, prefix=prefix)
            kv.check(kv.is_absent(got), "DEL-01", "absent after the delete: 404, or 200 {}")

    kv.each_route(route)


@pytest.mark.requirement("DEL-02")
def test_delete_status(kv: Harness) -> None:
    def route(prefix: str) -> None:
        key = kv.key()
        kv.stored(kv.a, key, b"1", prefix=prefix, before="DEL-02")
        present = kv.a.delete(key, prefix=prefix)
        kv.check(present.status in (200, 204), "DEL-02", "200 or 204 for a present key")
        absent = kv.a.delete(key, prefix=prefix)
        kv.check(absent.status in (200, 204, 404), "DEL-02", "200, 204 or 404 for an absent key")
        never_set = kv.a.delete(kv.key(), prefix=prefix)
        kv.check(
            never_set.status in (200, 204, 404), "DEL-02", "200, 204 or 404 for a key never set"
        )

    kv.each_route(route)
