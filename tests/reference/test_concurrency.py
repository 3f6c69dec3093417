"""50 concurrent keep-alive clients: no resets, no 5xx, every read consistent."""

from __future__ import annotations

import pytest

from conformance.reference import ReferenceServer
from conformance.reference.load import run_load


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_fifty_concurrent_clients(store: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    spec = store if store == "memory" else f"sqlite:{tmp_path_factory.mktemp('s') / 'kv.db'}"
    with ReferenceServer(["load"], store=spec) as server:
        result = run_load(server.url, "load", clients=50, operations=40)
        assert server.errors == []
    assert result.operations == 2000
    assert result.errors == []


def test_load_check_reports_wrong_answers() -> None:
    with ReferenceServer(["load"], faults=["delete-is-noop"]) as server:
        result = run_load(server.url, "load", clients=4, operations=100, seed=1)
    wrong = [error for error in result.errors if "expected absent ({}), read {" in error]
    assert wrong, result.errors[:3]
    assert not any("b'" in error for error in result.errors), result.errors[:3]


def test_load_check_reports_error_statuses() -> None:
    with ReferenceServer(["other"]) as server:
        result = run_load(server.url, "load", clients=2, operations=10)
    assert len(result.errors) == 20
    assert "status 401" in result.errors[0]
