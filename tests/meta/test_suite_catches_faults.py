"""The suite is right: it passes the reference server and fails each faulty one, naming the
requirement the fault breaks, and tolerates the variations the core profile allows.

Each fault runs the whole suite in the mattermost profile (core plus upstream parity).
SEQ-01 and CON-01 are catch-alls: a fault in what one client sees sequentially usually also
makes some sequence or some concurrent history impossible.
``CAUGHT[fault]`` is (must, may): the requirements whose failure the fault must cause, and
those it may also cause, depending on what Hypothesis draws. Anything else failing is a defect
of the suite (a wrong attribution) or of the fault (it breaks more than it says).

Each fault runs the whole suite with the default lanes (CAP-01's thousand entries only where
the fault concerns it), then the checks of what it did not meet again with
``--kv-connections 1`` (one request at a time; the reference server passes everything both
ways). Sending independent requests at once must not change what a check
means: with the same seed the failed requirements are the same, except for faults that only
concurrency or time shows, whose histories depend on the schedule. A deterministic defect
must be caught whatever the seed: two more seeds run the checks of the requirements it must
fail.

Two faults break the whole server (it stores nothing; it is a stateless mock). Against them
no requirement may pass without having been exercised: each check establishes what its
verdict needs (the value stored) and, when it does not hold, names the requirement that
failed instead of passing or blaming its own.
"""

from __future__ import annotations

import pytest

from conformance.reference import Faults
from tests.support.suite_run import run_suite

pytestmark = pytest.mark.slow

SEED = "7"
MORE_SEEDS = ("8", "9")  # the owning requirements' checks only
EXAMPLES = "15"
HOLD = "4"  # seconds: past expire-after-3s, and shorter than the default wait
# Faults that only time shows: their runs keep DUR-01's hold; the others skip its wait.
NEED_THE_HOLD = {"expire-after-3s"}
# What they fail beyond their owner depends on how requests interleave.
SCHEDULE_DEPENDENT = {"lost-concurrent-updates", "torn-writes", "stale-read-cache"}

CAUGHT: dict[str, tuple[set[str], set[str]]] = {
    "accept-missing-token": ({"AUTH-01", "MM-05"}, set()),
    "accept-unknown-token": ({"AUTH-02", "MM-05"}, set()),
    "ignore-auth-scheme": ({"AUTH-03"}, set()),
    # An empty bearer token is an unknown token too.
    "forbidden-for-unknown-token": ({"AUTH-02", "AUTH-03", "MM-05"}, set()),
    "shared-between-users": ({"ISO-01"}, {"SEQ-01", "CON-01"}),
    "ignore-prefix": ({"PFX-02"}, {"SEQ-01"}),
    # MM-01 (bytes) is not judged where the value is not even JSON-equal: VAL-01 failed.
    "float-numbers": ({"VAL-01"}, {"VAL-02", "SEQ-01", "FUZZ-01"}),
    "reserialize-values": ({"MM-01"}, set()),
    "mojibake": ({"VAL-01", "SIZE-01"}, {"VAL-02", "SEQ-01", "FUZZ-01"}),
    "null-deletes": ({"VAL-01"}, {"VAL-02"}),
    # Only a sequence (delete, then set again) shows it.
    "set-after-delete-lost": ({"SEQ-01"}, {"CON-01"}),
    "ignore-overwrite": ({"VAL-02"}, {"SEQ-01", "CON-01"}),
    "put-unsupported": ({"MM-03"}, set()),
    "case-insensitive-keys": ({"KEY-02"}, {"SEQ-01", "KEY-01"}),
    "strip-key-whitespace": ({"KEY-02"}, {"SEQ-01", "KEY-01"}),
    "truncate-keys": ({"KEY-02"}, {"SEQ-01"}),
    "double-decode-keys": ({"KEY-02"}, {"KEY-01", "SEQ-01", "FUZZ-01"}),
    "normalize-keys": ({"KEY-02"}, {"KEY-01", "SEQ-01"}),
    "ascii-keys-only": ({"KEY-01", "KEY-02"}, {"SEQ-01", "FUZZ-01"}),
    "reserved-key-characters-400": ({"KEY-01"}, {"FUZZ-01"}),
    "delete-is-noop": ({"DEL-01", "KEY-01"}, {"SEQ-01", "CON-01"}),
    "prefixed-delete-is-noop": ({"DEL-01"}, {"SEQ-01"}),
    "delete-absent-fails": ({"DEL-02", "MM-04"}, {"HTTP-01", "SEQ-01", "FUZZ-01"}),
    "delete-answers-202": ({"DEL-02", "MM-04"}, {"FUZZ-01"}),
    "delete-answers-204": ({"MM-04"}, set()),
    "accept-invalid-json": ({"BODY-01", "MM-05"}, set()),
    "accept-non-finite": ({"BODY-01"}, set()),
    "truncate-oversize": ({"SIZE-02", "MM-06"}, set()),
    # Valid values over 4 KB are refused: VAL-01's deepest (8192 bytes), CON-03's of about
    # 6 KB (with a 500; its precondition fails SET-01), and what VAL-02 may draw.
    "small-size-cap": ({"SIZE-01", "VAL-01"}, {"HTTP-01", "CON-03", "SET-01", "VAL-02"}),
    "oversize-clears-value": ({"SIZE-03", "MM-06"}, set()),
    "size-check-after-auth": ({"MM-06"}, set()),
    "oversize-413": ({"MM-06"}, set()),
    "no-prefix-route": ({"MM-07", "MM-08"}, set()),
    "long-prefixes-accepted": ({"MM-07"}, set()),
    "no-prefix-padding": ({"MM-07"}, set()),
    "missing-key-404": ({"MM-02"}, set()),
    # Every check that reads an absent key sees null instead.
    "missing-key-null": (
        {"ABS-01", "DEL-01", "SIZE-02", "KEY-01", "MM-02"},
        {"SEQ-01", "CON-01", "CON-03"},
    ),
    "changed-missing": ({"SET-01", "MM-03"}, {"FUZZ-01"}),
    # Only the fuzzing checks the Content-Type of a set's answer (in core).
    "set-answers-text": ({"FUZZ-01", "MM-03"}, set()),
    "changed-false": ({"SET-02", "MM-03"}, set()),
    "changed-tracks-value": ({"MM-03"}, set()),
    "json-error-bodies": ({"MM-05", "MM-06", "MM-07"}, set()),
    "reworded-errors": ({"MM-05"}, set()),
    "text-content-type": ({"MM-01"}, set()),
    "options-allowed": ({"MM-08"}, set()),
    "charset-content-type-500": ({"HTTP-01"}, set()),
    # Concurrency, capacity and time: each is seen by its own check, and sequentially by none.
    # The preflight's sets at once see it too, and the run then sends one request at a time
    # (test_a_server_losing_concurrent_sets_is_tested_one_request_at_a_time).
    "lost-concurrent-updates": ({"CON-02"}, {"CON-01"}),
    "torn-writes": ({"CON-03"}, {"CON-01"}),
    "stale-read-cache": ({"CON-01"}, set()),
    # The edges: each is caught by the fixed examples of its owner, on every seed.
    "plain-delete-every-prefix": ({"PFX-02"}, {"SEQ-01"}),
    "changed-loose-equality": ({"SET-02", "MM-03"}, set()),
    # VAL-01's values nested 600 to 4096 deep; HTTP-01 and VAL-02 may draw one too.
    "deep-nesting-500": ({"VAL-01"}, {"HTTP-01", "VAL-02"}),
    # AUTH-02's near misses of A's token; VAL-01's 1E400; KEY-01's keys set with + and ;
    # written as is, and its key of some 900 bytes in 240 characters.
    "token-case-insensitive": ({"AUTH-02"}, set()),
    "token-prefix-match": ({"AUTH-02"}, set()),
    "huge-numbers-rejected": ({"VAL-01"}, set()),
    "plus-in-key-is-space": ({"KEY-01"}, set()),
    "semicolon-path-parameters": ({"KEY-01"}, set()),
    "key-limit-in-bytes": ({"KEY-01"}, set()),
    # Connection framing: the check that follows a misread answer is judged on the answer
    # to the same request sent again on a fresh connection; HTTP-02 has the evidence.
    "unread-body-on-401": ({"HTTP-02"}, set()),
    "extra-answer-after-delete": ({"HTTP-02"}, set()),
    "evict-past-100": ({"CAP-01", "DUR-01", "CON-02"}, set()),
    "expire-after-3s": ({"DUR-01"}, set()),
    # Every check that reads a stored value back sees an HTML page.
    "garbage-json": (
        {"VAL-01", "VAL-02", "SIZE-01", "KEY-01", "CON-01", "CON-02", "CAP-01"},
        {
            "AUTH-01",
            "AUTH-02",
            "AUTH-03",
            "BODY-01",
            "SIZE-03",
            "KEY-02",
            "PFX-02",
            "SEQ-01",
            "CON-03",
            "DUR-01",
            "MM-03",
            "MM-05",
            "MM-06",
            "MM-07",
            "SET-03",
            "FUZZ-01",
            "ISO-01",
        },
    ),
}

# Legitimate choices the core profile accepts; the value is the SHOULDs it warns about.
LEGITIMATE_IN_CORE: dict[str, set[str]] = {
    "reserialize-values": set(),
    "put-unsupported": {"SET-03"},
    "delete-answers-204": set(),
    "size-check-after-auth": set(),
    "oversize-413": set(),
    "no-prefix-route": set(),
    "no-prefix-padding": set(),
    "long-prefixes-accepted": {"PFX-03"},
    "missing-key-404": set(),
    "changed-tracks-value": set(),
    "json-error-bodies": set(),
    "reworded-errors": set(),
    "options-allowed": set(),
    "text-content-type": {"VAL-03"},
}


# The whole-server faults, and what may pass against them: requirements whose checks observe
# their property directly in the answers, storage or not.
PASS_WITHOUT_STORAGE: dict[str, set[str]] = {
    # Answers to sets and to reads of never-set keys; oversize values are refused before
    # anything would be stored; errors, routing and the documented answers are seen as sent.
    "store-nothing": {"SET-01", "ABS-01", "SIZE-02", "MM-02", "MM-05", "MM-06", "MM-08", "FUZZ-01"},
    # The mock answers every set as a server would, and the methods it does not serve 405.
    "stateless-mock": {"SET-01", "MM-08", "FUZZ-01"},
}


def test_every_fault_is_in_the_table() -> None:
    # Transport faults are in tests/meta/test_hostile_servers.py.
    assert set(CAUGHT) | set(PASS_WITHOUT_STORAGE) == set(Faults.catalogue()) - Faults.transport()
    assert not set(CAUGHT) & set(PASS_WITHOUT_STORAGE)
    assert set(LEGITIMATE_IN_CORE) <= set(CAUGHT)


@pytest.mark.parametrize(
    ("profile", "seed", "lanes"),
    [("core", "1", "32"), ("mattermost", "1", "32"), ("core", "2", "1"), ("mattermost", "2", "1")],
)
def test_reference_server_passes(
    pytester: pytest.Pytester, profile: str, seed: str, lanes: str
) -> None:
    run = run_suite(
        pytester,
        *("--profile", profile, "--seed", seed, "--kv-strict", f"--kv-hold={HOLD}"),
        f"--kv-connections={lanes}",
        in_process=True,
    )
    assert run.ret == 0
    assert run.failed == set()
    assert set(run.verdicts.values()) == {"pass"}, run.verdicts


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_caught(pytester: pytest.Pytester, fault: str) -> None:
    must, may = CAUGHT[fault]
    options = (
        "--profile=mattermost",
        f"--kv-reference-fault={fault}",
        f"--seed={SEED}",
        f"--kv-examples={EXAMPLES}",
        f"--kv-hold={HOLD if fault in NEED_THE_HOLD else 0}",
    )
    # The whole suite with the default lanes. CAP-01's 3,000 requests (a third of a run) are
    # left out where the fault does not concern it: the reference server meets CAP-01, and
    # every fault that may fail it runs it.
    capacity = () if "CAP-01" in must | may else ("-k", "not thousand")
    run = run_suite(pytester, *options, *capacity, in_process=True)
    assert run.ret == 1, run.verdicts
    assert must <= run.failed, f"not caught: {must - run.failed}"
    assert run.failed <= must | may, f"wrongly blamed: {run.failed - must - may}"
    # One request at a time, the same seed: the checks of every requirement this run did
    # not meet (what met it here is met one at a time on the reference server, in
    # test_reference_server_passes). CAP-01's 3,000 requests one at a time are left out.
    unmet = {rid for rid, verdict in run.verdicts.items() if verdict in ("fail", "warn", "error")}
    again = ("-k", " or ".join(sorted(run.checks_of(unmet - {"CAP-01"}))))
    one = run_suite(pytester, *options, "--kv-connections=1", *again, in_process=True)
    assert must - {"CAP-01"} <= one.failed, f"one at a time: not caught: {must - one.failed}"
    if fault in SCHEDULE_DEPENDENT:
        assert one.failed <= must | may, f"one at a time: wrongly blamed: {one.failed - must - may}"
    else:
        assert one.failed == run.failed - {"CAP-01"}, "the same seed judged otherwise one at a time"
    owners = ("-k", " or ".join(sorted(run.checks_of(must))))
    for seed in MORE_SEEDS:
        other = run_suite(pytester, *options, f"--seed={seed}", *owners, in_process=True)
        assert must <= other.failed, f"seed {seed}: not caught: {must - other.failed}"
        assert other.failed <= must | may, (
            f"seed {seed}: wrongly blamed: {other.failed - must - may}"
        )


@pytest.mark.parametrize("seed", [SEED, *MORE_SEEDS])
@pytest.mark.parametrize("fault", sorted(PASS_WITHOUT_STORAGE))
def test_no_requirement_passes_vacuously(pytester: pytest.Pytester, fault: str, seed: str) -> None:
    run = run_suite(
        pytester,
        "--profile=mattermost",
        f"--kv-reference-fault={fault}",
        f"--seed={seed}",
        f"--kv-examples={EXAMPLES}",
        "--kv-hold=0",
        in_process=True,
    )
    passed = {requirement for requirement, verdict in run.verdicts.items() if verdict == "pass"}
    assert passed <= PASS_WITHOUT_STORAGE[fault], (
        f"passed vacuously: {passed - PASS_WITHOUT_STORAGE[fault]}"
    )
    assert run.verdicts["VAL-01"] == "fail"
    # What could not be judged is an error (naming the requirement that failed first).
    assert set(run.verdicts.values()) <= {"pass", "fail", "error"}


@pytest.mark.parametrize("fault", sorted(LEGITIMATE_IN_CORE))
def test_core_profile_accepts_legitimate_variation(pytester: pytest.Pytester, fault: str) -> None:
    run = run_suite(
        pytester,
        "--profile=core",
        f"--kv-reference-fault={fault}",
        f"--seed={SEED}",
        f"--kv-examples={EXAMPLES}",
        "--kv-hold=0",  # no legitimate variation concerns time
        in_process=True,
    )
    assert run.ret == 0
    assert run.failed == LEGITIMATE_IN_CORE[fault]
    assert {r for r, v in run.verdicts.items() if v == "warn"} == LEGITIMATE_IN_CORE[fault]
    assert not set(run.verdicts.values()) & {"fail", "error", "not tested"}


def test_a_server_losing_concurrent_sets_is_tested_one_request_at_a_time(
    pytester: pytest.Pytester,
) -> None:
    """Its defect is CON-02's: the checks sharing the lanes must not fail on their own
    requirements because of it (sent alone, their requests are answered right)."""
    run = run_suite(
        pytester,
        "--kv-reference-fault=lost-concurrent-updates",
        f"--seed={SEED}",
        f"--kv-examples={EXAMPLES}",
        "-k",
        "round_trip or thousand or distinct_keys",
        in_process=True,
    )
    assert "so this run sent one request at a time (CON-02 judges concurrent sets)" in run.stdout
    assert run.failed == {"CON-02"}
    assert run.verdicts["VAL-01"] == run.verdicts["CAP-01"] == "pass"
