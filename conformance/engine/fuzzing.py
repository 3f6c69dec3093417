"""Schemathesis fuzzing from ``openapi/kv.yaml``, bound at run time to the target.

Schemathesis turns the description into Hypothesis strategies of requests; the suite draws
them under its own seed and budget (``Harness.for_all``), puts the run's marker in front of
every key, and sends each case through ``Actor.send`` like any other request of the suite (the
namespace guard, the cleanup, the run clock, the per-request limits of time and size, and a
missing answer as HTTP-01). Schemathesis only prepares the request (``as_transport_kwargs``,
turned into bytes by ``requests.Request.prepare``) and validates the answer, handed to it as
its own ``Response`` type. Schemathesis' checks map to catalogue requirements, and every
failure is reported like any other: requirement, expected vs received, curl lines with tokens
redacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any
from urllib.parse import unquote

import requests
import schemathesis
import yaml
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.jsonschema.types import JsonValue
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.engine.harness import Harness
from conformance.wire.exchange import Exchange

# Schemathesis checks by the requirement they judge.
CONFORMING_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
)


def load_schema() -> BaseSchema:
    """The description shipped in the package (the same file as openapi/kv.yaml)."""
    text = resources.files("conformance").joinpath("kv.yaml").read_text("utf-8")
    # An explicit Config: schemathesis must not pick up a schemathesis.toml from the cwd.
    return schemathesis.openapi.from_dict(yaml.safe_load(text), config=schemathesis.Config())


# The fixed cases' parameters and body (every key gets the run's marker in front).
FIXED_KEY = "fixed"
FIXED_PREFIX = "f"
FIXED_BODY: JsonValue = {"fixed": True}

# Headers requests adds that the suite's client sets itself (or has no use for).
_NOT_FORWARDED = frozenset(
    {"authorization", "content-length", "user-agent", "accept", "accept-encoding", "connection"}
)


class Fuzzer:
    """Sends schemathesis cases as identity A of one harness."""

    def __init__(self, harness: Harness, schema: BaseSchema) -> None:
        self.harness = harness
        self.schema = schema
        self._kv_root = harness.a.client.kv_root

    def operations(self) -> list[APIOperation[Any, Any, Any, Any]]:
        prefixed = self.harness.target.supports("prefix")
        # PUT only where the server sets by PUT, as everywhere in the suite: a server without
        # it (legitimate in core, SET-03's warning) is not FUZZ-01's failure.
        put = self.harness.target.supports("put")
        # The description is ours and validated by the tests, so every operation loads.
        found = [result.ok() for result in self.schema.get_all_operations()]  # type: ignore[union-attr]
        return [
            op
            for op in found
            if (prefixed or "{prefix}" not in op.path) and (put or op.method.upper() != "PUT")
        ]

    def cases(self) -> st.SearchStrategy[Any]:
        positive = GenerationMode.POSITIVE
        return st.one_of([op.as_strategy(generation_mode=positive) for op in self.operations()])

    def fixed_cases(self) -> list[Any]:
        """One case of every operation, with fixed parameters and body: each operation is
        sent on every seed, before the generated cases."""
        cases = []
        for operation in self.operations():
            parameters = {"key": FIXED_KEY}
            if "{prefix}" in operation.path:
                parameters["prefix"] = FIXED_PREFIX
            if operation.method.upper() in ("POST", "PUT"):
                case = operation.Case(
                    path_parameters=parameters, body=FIXED_BODY, media_type="application/json"
                )
            else:
                case = operation.Case(path_parameters=parameters)
            cases.append(case)
        return cases

    def check(self, case: Any, requirement_id: str, checks: Sequence[CheckFunction]) -> None:
        """Send one case (positive data only: it stays valid with our token and key marker)."""
        parameters = case.path_parameters
        marked = f"{self.harness.target.marker}-"
        if not parameters["key"].startswith(marked):  # a fixed case is sent again on a replay
            parameters["key"] = marked + parameters["key"]
        # The description's bearer scheme leaves an empty token in the case; the request
        # carries the run's own (``_prepare``), and the example shown must not suggest that
        # an empty token was sent.
        for name in [name for name in case.headers or {} if name.lower() == "authorization"]:
            del case.headers[name]
        request = self._prepare(case)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        exchange = self.harness.a.send(
            str(request.method),
            unquote(parameters["key"]),
            prefix=unquote(parameters.get("prefix", "")),
            body=body,
            headers={
                name: value
                for name, value in request.headers.items()
                if name.lower() not in _NOT_FORWARDED
                and not name.lower().startswith("x-schemathesis")
            },
            url=str(request.url),
        )
        try:
            case.validate_response(
                _response(exchange, request),
                checks=list(checks),
                transport_kwargs={"base_url": self._kv_root},
            )
        except* Failure as group:
            failures = [f for f in group.exceptions if isinstance(f, Failure)]
            self.harness.fail(
                requirement_id,
                "an answer openapi/kv.yaml allows",
                "; ".join(_describe(failure) for failure in failures),
            )

    def _prepare(self, case: Any) -> requests.PreparedRequest:
        """The request schemathesis would send for ``case``, as bytes on the wire."""
        token = self.harness.a.client.token
        arguments = case.as_transport_kwargs(
            base_url=self._kv_root, headers={"Authorization": f"Bearer {token}"}
        )
        return requests.Request(**arguments).prepare()


def _response(exchange: Exchange, request: requests.PreparedRequest) -> Response:
    """An answered exchange in schemathesis' own type (its checks take it as it is)."""
    assert exchange.status is not None, "Actor.send fails HTTP-01 on a missing answer"
    return Response(
        status_code=exchange.status,
        headers={name: [value] for name, value in exchange.response_headers.items()},
        content=exchange.response_body,
        request=request,
        elapsed=exchange.seconds,
        verify=True,
    )


def _describe(failure: Failure) -> str:
    message = " ".join(line.strip() for line in failure.message.splitlines() if line.strip())
    return f"{failure.title}: {message}" if message else failure.title
