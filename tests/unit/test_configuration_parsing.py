"""Faults and token specs as the command line and Python callers give them."""

from __future__ import annotations

import pytest

from conformance.reference import Faults, Identity, parse_token_specs
from conformance.reference.identities import DEFAULT_APP


def test_faults_by_dash_or_underscore_name() -> None:
    faults = Faults.from_names(["delete-is-noop", "missing_key_404"])
    assert faults.delete_is_noop
    assert faults.missing_key_404
    assert faults.enabled() == ("delete-is-noop", "missing-key-404")
    assert Faults().enabled() == ()


def test_unknown_fault_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown fault nope; known faults: accept-missing-token"):
        Faults.from_names(["nope"])


def test_bare_tokens_are_distinct_users_of_one_app() -> None:
    table = parse_token_specs(["A", "B"])
    assert table == {"A": Identity("user-1"), "B": Identity("user-2")}
    assert table["A"].app == table["B"].app == DEFAULT_APP


def test_richer_forms() -> None:
    table = parse_token_specs(["A:alice", "B:alice:other.app"], ["S:alice"])
    assert table["A"] == Identity("alice")
    assert table["B"] == Identity("alice", app="other.app")
    assert table["S"] == Identity("alice", app_session=False)


@pytest.mark.parametrize(
    ("app_specs", "session_specs"),
    [([":user"], []), (["A:"], []), (["A:b:c:d"], []), ([], ["S:u:app"]), (["A", "A"], [])],
)
def test_malformed_specs(app_specs: list[str], session_specs: list[str]) -> None:
    with pytest.raises(ValueError, match=r"not of the form|repeats an earlier one"):
        parse_token_specs(app_specs, session_specs)


def test_duplicate_token_message_does_not_echo_the_token() -> None:
    with pytest.raises(ValueError, match="repeats an earlier one") as raised:
        parse_token_specs(["secret-token", "secret-token"])
    assert "secret-token" not in str(raised.value)
