"""Keys: any key addresses its own entry, and different keys never share one."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import pytest

from conformance.engine.harness import Harness
from conformance.engine.strategies import (
    KEY_SUFFIXES,
    KEY_SUFFIXES_AS_IS,
    MAX_KEY_CHARS,
    UNENCODED_KEY_CHARACTERS,
    key_suffixes,
)


@pytest.mark.requirement("KEY-01")
def test_any_key_can_be_set_read_and_deleted(kv: Harness) -> None:
    marker_length = len(kv.key()) + 8  # room for the counter of later keys

    def life_cycle(suffix: str, length: int = 0) -> None:
        key = (kv.key() + suffix).ljust(length, "k")
        assert len(key) <= MAX_KEY_CHARS
        accepted = kv.a.set(key, b'{"key":"ok"}')
        kv.check(accepted.status in (200, 201), "KEY-01", f"200 or 201 for the key {key!r}")
        got = kv.a.get(key)
        kv.check(
            kv.holds(got, b'{"key":"ok"}'),
            "KEY-01",
            f'the value {{"key":"ok"}} back for the key {key!r}',
        )
        kv.a.delete(key)  # its status is DEL-02's concern
        kv.check(kv.is_absent(kv.a.get(key)), "KEY-01", f"the key {key!r} absent after its delete")

    kv.for_all(
        life_cycle,
        explicit=[{"suffix": suffix} for suffix in KEY_SUFFIXES],
        suffix=key_suffixes(marker_length),
    )
    # The longest key allowed, marker included (drawn keys leave room for its counter).
    life_cycle("", length=MAX_KEY_CHARS)

    def written_as_is(suffix: str) -> None:
        # Set with the characters written as they are, read and deleted percent-encoded.
        key = kv.key() + suffix
        url = kv.a.client.kv_root + "/" + quote(key, safe=UNENCODED_KEY_CHARACTERS)
        accepted = kv.a.send("POST", key, body=b'{"key":"ok"}', url=url)
        kv.check(accepted.status in (200, 201), "KEY-01", f"200 or 201 for the key {key!r}")
        kv.check(
            kv.holds(kv.a.get(key), b'{"key":"ok"}'),
            "KEY-01",
            f'the value {{"key":"ok"}} back for the key {key!r}, set with '
            f"{suffix!r} written as is: the key is the decoded path segment",
        )
        kv.a.delete(key)

    kv.in_parallel(list(KEY_SUFFIXES_AS_IS), written_as_is)


def _variant_groups(base: str) -> dict[str, list[str]]:
    accented = base + "-caf\u00e9"
    return {
        "case": [base + "-key", base + "-Key", base + "-KEY"],
        "surrounding whitespace": [base, " " + base, base + " ", base + "\t", "\u00a0" + base],
        "normalisation form": [
            unicodedata.normalize("NFC", accented),
            unicodedata.normalize("NFD", accented),
        ],
        "literal percent-escape": [base + "%41", base + "A", base + "%2541"],
        "plus and space": [base + "a+b", base + "a b"],
        "long shared start": [base.ljust(250, "x") + "-1", base.ljust(250, "x") + "-2"],
    }


@pytest.mark.requirement("KEY-02")
def test_different_keys_never_share_an_entry(kv: Harness) -> None:
    # Every variant of every group: all set (at once), then all read back (at once).
    variants = [
        (kind, number, key)
        for kind, keys in _variant_groups(kv.key()).items()
        for number, key in enumerate(keys)
    ]

    def write(variant: tuple[str, int, str]) -> None:
        _, number, key = variant
        accepted = kv.a.set(key, str(number).encode())
        kv.check(accepted.status in (200, 201), "KEY-02", f"200 or 201 for the key {key!r}")

    def read(variant: tuple[str, int, str]) -> None:
        kind, number, key = variant
        got = kv.a.get(key)
        # Absent is not sharing: the server did not keep the value at all (VAL-01's failure).
        kv.check(
            not kv.is_absent(got),
            "VAL-01",
            f"200 with {number}, the value just set for {key!r} (a precondition of KEY-02)",
        )
        kv.check(
            kv.holds(got, str(number).encode()),
            "KEY-02",
            f"{number}, the value of {key!r}: keys differing by {kind} are different keys",
        )

    kv.in_parallel(variants, write)
    kv.in_parallel(variants, read)
