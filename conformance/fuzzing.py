"""Schemathesis fuzzing from ``openapi/kv.yaml``, bound at run time to the target.

Schemathesis turns the description into Hypothesis strategies of requests; the suite draws
them under its own seed and budget (``Harness.for_all``), sends them with the run's token and
with the run's marker in front of every key, and maps schemathesis' checks to catalogue
requirements. Every failure is reported like any other: requirement, expected vs received,
curl lines with tokens redacted.
"""

from __future__ import annotations

import time
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
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.client import Exchange
from conformance.harness import Harness
from conformance.transport import MAX_ANSWER_BYTES, Watchdog, describe, watched_session

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


class Fuzzer:
    """Sends schemathesis cases as identity A of one harness."""

    def __init__(self, harness: Harness, schema: BaseSchema) -> None:
        self.harness = harness
        self.schema = schema
        client = harness.a.client
        self._base_url = client.base_url + client.kv_path
        self._token = client.token
        # Its own connection, with the same hard time limit per request as the client's.
        self._watchdog = Watchdog("kv-watchdog-fuzz")
        self._session = watched_session(requests.Session(), self._watchdog)
        self._session.trust_env = False

    def operations(self) -> list[APIOperation[Any, Any, Any, Any]]:
        prefixed = self.harness.target.supports("prefix")
        # The description is ours and validated by the tests, so every operation loads.
        found = [result.ok() for result in self.schema.get_all_operations()]  # type: ignore[union-attr]
        return [op for op in found if prefixed or "{prefix}" not in op.path]

    def cases(self) -> st.SearchStrategy[Any]:
        positive = GenerationMode.POSITIVE
        return st.one_of([op.as_strategy(generation_mode=positive) for op in self.operations()])

    def check(self, case: Any, requirement_id: str, checks: Sequence[CheckFunction]) -> None:
        """Send one case (positive data only: it stays valid with our token and key marker)."""
        parameters = case.path_parameters
        parameters["key"] = f"{self.harness.target.marker}-{parameters['key']}"
        if case.method.upper() in ("POST", "PUT"):
            self.harness.note_write(
                unquote(parameters.get("prefix", "")), unquote(parameters["key"])
            )
        client = self.harness.a.client  # its deadline and timeout apply to fuzzing too
        timeout = client.request_timeout()
        self._watchdog.begin(time.monotonic() + timeout)
        try:
            response = case.call(
                base_url=self._base_url,
                session=self._session,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            client.raise_if_cut_short(timeout)
            cause = f"cut off at {timeout:g} s" if self._watchdog.fired else describe(error)
            self.harness.fail(
                "HTTP-01",
                f"a complete answer within {timeout:g} s, of at most {MAX_ANSWER_BYTES} bytes",
                f"no answer ({cause}) to {case.method} {case.formatted_path}",
            )
        finally:
            self._watchdog.end()
        exchange = self._exchange(response)
        self.harness.steps.append(exchange)
        self.harness.target.observe(exchange)
        try:
            case.validate_response(response, checks=list(checks))
        except* Failure as group:
            failures = [f for f in group.exceptions if isinstance(f, Failure)]
            self.harness.fail(
                requirement_id,
                "an answer openapi/kv.yaml allows",
                "; ".join(_describe(failure) for failure in failures),
            )

    def _exchange(self, response: Any) -> Exchange:
        """The request schemathesis sent and its answer, redacted by the client's rules."""
        request: requests.PreparedRequest = response.request
        client = self.harness.a.client
        body = request.body.encode() if isinstance(request.body, str) else request.body
        shown = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("user-agent", "accept-encoding", "connection", "accept")
            and not name.lower().startswith("x-schemathesis")
        }
        return client.describe_answer(
            client.describe_request(str(request.method), str(request.url), shown, body),
            response.status_code,
            {name: ", ".join(values) for name, values in response.headers.items()},
            response.content,
            response.elapsed,
        )

    def close(self) -> None:
        self._session.close()
        self._watchdog.close()


def _describe(failure: Failure) -> str:
    message = " ".join(line.strip() for line in failure.message.splitlines() if line.strip())
    return f"{failure.title}: {message}" if message else failure.title
