"""Fuzzing from openapi/kv.yaml: the requests nobody thought to write by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis.schemas import BaseSchema

from conformance.fuzzing import CONFORMING_CHECKS, Fuzzer, load_schema
from conformance.harness import Harness


@pytest.fixture(scope="module")
def schema() -> BaseSchema:
    return load_schema()


@pytest.fixture
def fuzzer(kv: Harness, schema: BaseSchema) -> Iterator[Fuzzer]:
    running = Fuzzer(kv, schema)
    yield running
    running.close()


@pytest.mark.requirement("FUZZ-01")
def test_generated_requests_are_answered_as_described(kv: Harness, fuzzer: Fuzzer) -> None:
    def send(case: object) -> None:
        fuzzer.check(case, "FUZZ-01", CONFORMING_CHECKS)

    kv.for_all(send, case=fuzzer.cases())
