"""Fuzzing from openapi/kv.yaml: the requests nobody thought to write by hand."""

from __future__ import annotations

import pytest
from schemathesis.schemas import BaseSchema

from conformance.engine.fuzzing import CONFORMING_CHECKS, Fuzzer, load_schema
from conformance.engine.harness import Harness


@pytest.fixture(scope="module")
def schema() -> BaseSchema:
    return load_schema()


@pytest.fixture
def fuzzer(kv: Harness, schema: BaseSchema) -> Fuzzer:
    return Fuzzer(kv, schema)


@pytest.mark.requirement("FUZZ-01")
def test_generated_requests_are_answered_as_described(kv: Harness, fuzzer: Fuzzer) -> None:
    def send(case: object) -> None:
        fuzzer.check(case, "FUZZ-01", CONFORMING_CHECKS)

    kv.for_all(
        send, explicit=[{"case": case} for case in fuzzer.fixed_cases()], case=fuzzer.cases()
    )
