"""Fixtures shared by every tier of the project's own tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from conformance.reference import ReferenceServer
from tests.reference.probes import TOKENS
from tests.support.http import RawClient


@pytest.fixture(params=["memory", "sqlite"])
def store_spec(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "memory":
        return "memory"
    return f"sqlite:{tmp_path_factory.mktemp('store') / 'kv.sqlite3'}"


@pytest.fixture
def reference(store_spec: str) -> Iterator[ReferenceServer]:
    """A correct reference server with the probes' tokens, in each store."""
    with ReferenceServer(TOKENS, store=store_spec) as server:
        yield server
        assert server.errors == [], "the server raised while serving"


@pytest.fixture
def client(reference: ReferenceServer) -> Iterator[RawClient]:
    raw = RawClient(reference.url)
    yield raw
    raw.close()


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One cache for every suite run of the session, of every worker (the parent of a
    worker's base folder is common to all): Hypothesis' Unicode tables are computed once,
    not in every run's fresh home folder (pytester gives each test its own HOME)."""
    folder = tmp_path_factory.getbasetemp().parent / "kv-conformance-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.name.startswith("kv-")]
    assert left == [], f"threads left running: {left}"
