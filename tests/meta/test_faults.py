"""Each fault of the switchboard changes exactly the behaviour it names.

For every fault, all upstream probes run against the reference server with that one fault on;
the set of probes that fail must equal the set written down here. A fault that breaks more
than it says, or less, fails this test.
"""

from __future__ import annotations

import pytest

from conformance.reference import Faults, ReferenceServer
from tests.reference.probes import ERROR_PROBES, PROBES, TOKENS, run_probes
from tests.support.http import RawClient

BREAKS: dict[str, frozenset[str]] = {
    name: frozenset(probes)
    for name, probes in {
        "accept-missing-token": {"missing-token-401", "malformed-authorization-401"},
        "accept-unknown-token": {"unknown-token-401", "malformed-authorization-401"},
        "ignore-auth-scheme": {"malformed-authorization-401"},
        "forbidden-for-unknown-token": {"unknown-token-401", "malformed-authorization-401"},
        "shared-between-users": {"isolation-between-users"},
        "ignore-prefix": {"isolation-between-prefixes"},
        "float-numbers": {"values-stored-byte-exact", "big-integers-exact"},
        "reserialize-values": {"values-stored-byte-exact"},
        "mojibake": {"unicode-values-exact"},
        "null-deletes": {"null-is-stored"},
        "case-insensitive-keys": {"keys-case-sensitive"},
        "strip-key-whitespace": {"keys-whitespace-significant"},
        "truncate-keys": {"keys-long-shared-prefix"},
        "double-decode-keys": {"keys-literal-percent"},
        "normalize-keys": {"keys-normalisation-significant"},
        # The prefix-route probe deletes on that route too.
        "delete-is-noop": {"delete-answers-200-empty", "prefix-route"},
        "delete-absent-fails": {"delete-absent-answers-200"},
        # NaN and Infinity are not JSON either.
        "accept-invalid-json": {"invalid-json-rejected", "non-finite-numbers-rejected"},
        "accept-non-finite": {"non-finite-numbers-rejected"},
        "truncate-oversize": {"value-over-8192-bytes-rejected", "size-cap-checked-before-auth"},
        "small-size-cap": {"value-of-8192-bytes-accepted"},
        "oversize-clears-value": {
            "value-over-8192-bytes-rejected",
            "size-cap-checked-before-auth",
        },
        "size-check-after-auth": {"size-cap-checked-before-auth"},
        "missing-key-404": {"missing-key-reads-empty-object"},
        "changed-missing": {"set-answers-changed-true", "changed-true-on-same-value"},
        "changed-false": {"set-answers-changed-true", "changed-true-on-same-value"},
        "json-error-bodies": ERROR_PROBES,
        "text-content-type": {"value-served-as-json"},
    }.items()
}


def test_every_fault_has_expectations() -> None:
    assert set(BREAKS) == set(Faults.catalogue())


def test_expectations_name_real_probes() -> None:
    named = set().union(*BREAKS.values())
    assert named <= set(PROBES), named - set(PROBES)


def test_at_least_twelve_faults_each_described() -> None:
    catalogue = Faults.catalogue()
    assert len(catalogue) >= 12
    assert all(description.strip() for description in catalogue.values())


@pytest.mark.parametrize("fault", sorted(Faults.catalogue()))
def test_fault_breaks_exactly_what_it_names(fault: str) -> None:
    with ReferenceServer(TOKENS, faults=[fault]) as server:
        client = RawClient(server.url)
        failures = run_probes(client)
        client.close()
    assert set(failures) == BREAKS[fault], failures
