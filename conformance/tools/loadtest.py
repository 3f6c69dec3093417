"""A Locust load profile: sustained mixed traffic with the suite's client, and the suite's
invariants checked online.

    KV_TOKENS=TOKEN_A,TOKEN_B locust -f conformance/tools/loadtest.py --host URL \\
        --headless --users 50 --spawn-rate 10 --run-time 60s

Each simulated user acts as one of the two identities (alternately), keeps 8 keys of its own
(all carrying a marker unique to the user, ``kvc-load-<hex>``) and sets, reads and deletes
them. Two invariants are checked on every read and reported as Locust failures:

- an acknowledged write is readable: a read returns what this user last set or deleted
  (each key has one writer, so nothing else may change it);
- no cross-identity read: the other identity reading one of these keys finds it absent.

Locust exits with status 1 when any request failed. When a user stops it deletes its keys.
``KV_PATH`` changes the KV routes' path (default as upstream). The server is reached as by the
suite: the proxy variables (``HTTPS_PROXY``, ``NO_PROXY``, ...; ``KV_PROXY`` overrides them)
and the CA variables (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``; ``KV_CA_BUNDLE`` for its CAs
only) are honoured.
"""

from __future__ import annotations

import itertools
import os
import random
import secrets
from typing import Any

from locust import User, constant, events, task

from conformance.engine.concurrency import body_for, read_value
from conformance.wire.client import DEFAULT_KV_PATH, KVClient
from conformance.wire.exchange import Exchange
from conformance.wire.network import Network, NetworkOptions

KEYS_PER_USER = 8
ABSENT = None


class InvariantViolation(Exception):
    """A read the KV contract does not allow."""


class KVUser(User):
    """One client of one identity, on keys of its own."""

    wait_time = constant(0)
    _numbers = itertools.count()

    def on_start(self) -> None:
        tokens = [t.strip() for t in os.environ.get("KV_TOKENS", "").split(",") if t.strip()]
        if len(tokens) != 2:
            raise SystemExit("set KV_TOKENS=TOKEN_A,TOKEN_B: tokens of two different users")
        number = next(self._numbers)
        mine, other = tokens[number % 2], tokens[(number + 1) % 2]
        kv_path = os.environ.get("KV_PATH", DEFAULT_KV_PATH)
        secrets_shown = {tokens[0]: "KV_TOKEN", tokens[1]: "KV_TOKEN_B"}
        host = self.host or ""
        network = Network(
            NetworkOptions.from_sources(
                ca_bundle=os.environ.get("KV_CA_BUNDLE"),
                insecure=False,
                client_cert=None,
                client_key=None,
                proxy=os.environ.get("KV_PROXY"),
                environ=os.environ,
            )
        )
        self.client, self.other = (
            KVClient(host, token, kv_path=kv_path, secrets=secrets_shown, network=network)
            for token in (mine, other)
        )
        marker = f"kvc-load-{secrets.token_hex(4)}"
        self.keys = [f"{marker}-{n}" for n in range(KEYS_PER_USER)]
        self.model: dict[str, str | None] = dict.fromkeys(self.keys, ABSENT)
        self.rng = random.Random(number)
        self.writes = itertools.count()

    def on_stop(self) -> None:
        for key in self.keys:
            self._send(self.client, "DELETE", key, name="cleanup")
        self.client.close()
        self.other.close()

    @task(4)
    def set_value(self) -> None:
        key = self.rng.choice(self.keys)
        written = f"{key}.{next(self.writes)}"
        exchange = self._send(self.client, "POST", key, body=body_for(written), name="set")
        if exchange.status in (200, 201):
            self.model[key] = written

    @task(4)
    def get_value(self) -> None:
        key = self.rng.choice(self.keys)
        exchange, value = self._read(self.client, key, name="get")
        if exchange is not None and value != self.model[key]:
            self._violation(
                "get",
                exchange,
                f"acknowledged write not readable: expected {self.model[key]!r}, read {value!r}",
            )

    @task(1)
    def delete_value(self) -> None:
        key = self.rng.choice(self.keys)
        exchange = self._send(self.client, "DELETE", key, name="delete")
        if exchange.status in (200, 204):
            self.model[key] = ABSENT

    @task(1)
    def read_as_other_identity(self) -> None:
        key = self.rng.choice(self.keys)
        exchange, value = self._read(self.other, key, name="cross-identity get")
        if exchange is not None and value is not ABSENT:
            self._violation("cross-identity get", exchange, f"the other identity read {value!r}")

    # -- plumbing --------------------------------------------------------------------------

    def _read(self, client: KVClient, key: str, *, name: str) -> tuple[Exchange | None, Any]:
        """(exchange, value); exchange None when the read failed (already reported)."""
        exchange = self._send(client, "GET", key, name=name)
        understood, value = read_value(exchange)
        return (exchange if understood else None), value

    def _send(
        self, client: KVClient, method: str, key: str, *, name: str, body: bytes | None = None
    ) -> Exchange:
        exchange = client.send(method, key, body=body)
        failed = exchange.status is None or exchange.status >= 500
        if exchange.status is not None and exchange.status >= 400 and method != "DELETE":
            failed = True
        problem = f"{exchange.summary()}: {exchange.curl()}" if failed else None
        self._report(method, name, problem, exchange)
        return exchange

    def _violation(self, name: str, exchange: Exchange, what: str) -> None:
        self._report("CHECK", name, f"{what}; {exchange.curl()}")

    @staticmethod
    def _report(
        kind: str, name: str, problem: str | None, exchange: Exchange | None = None
    ) -> None:
        """One entry in Locust's statistics; ``problem`` makes it a failure."""
        events.request.fire(  # type: ignore[no-untyped-call]
            request_type=kind,
            name=name,
            response_time=exchange.seconds * 1000 if exchange else 0,
            response_length=len(exchange.response_body) if exchange else 0,
            exception=InvariantViolation(problem) if problem else None,
            context={},
        )
