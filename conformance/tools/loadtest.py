"""A Locust load profile: sustained mixed traffic with the suite's client, and the suite's
invariants checked online.

    KV_TOKENS=TOKEN_A,TOKEN_B locust -f "$(python -m conformance.loadtest --print-path)" \\
        --host URL --headless --users 50 --spawn-rate 10 --run-time 60s

Each simulated user acts as one of the two identities (alternately), keeps 8 keys of its own
(all carrying a marker unique to the user, ``kvc-load-<hex>``) and sets, reads and deletes
them. Two invariants are checked on every read and reported as Locust failures:

- an acknowledged write is readable: a read returns what this user last set or deleted
  (each key has one writer, so nothing else may change it);
- no cross-identity read: the other identity reading one of these keys finds it absent.

Before any user starts, a preflight (``loadsetup.py``) sets, reads and deletes one marked key
per identity: a configuration that cannot work (no ``--host``, ``KV_TOKENS`` missing, nothing
listening, not a KV API, a rejected token, ...) ends Locust there with one sentence and exit
status 2. During the run, a request that got no answer is a ``NoAnswer`` failure and an error
status an ``ErrorAnswer``; only a read the contract forbids is an ``InvariantViolation``.
Locust exits with status 1 when any request failed, and with status 2 (and a sentence) when
none was sent at all. When a user stops it deletes its keys.

``KV_PATH`` changes the KV routes' path (default as upstream), ``KV_TIMEOUT`` the per-request
limit (default 10 s). The server is reached as by the suite: the proxy variables
(``HTTPS_PROXY``, ``NO_PROXY``, ...; ``KV_PROXY`` overrides them), the CA variables
(``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``; ``KV_CA_BUNDLE`` for its CAs only),
``KV_INSECURE=1`` (no certificate verification) and ``KV_CLIENT_CERT``/``KV_CLIENT_KEY``.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import re
import secrets
import socket
import sys
from dataclasses import dataclass
from typing import Any

import gevent  # type: ignore[import-untyped]  # no stubs; Locust's own dependency
from locust import User, constant, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from conformance.engine.concurrency import UNWRITTEN, body_for, read_value
from conformance.engine.config import ConfigError
from conformance.tools.loadsetup import LoadConfig, check_host, run_preflight
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange

KEYS_PER_USER = 8
ABSENT = None
STATE = "kv_load_profile"  # the attribute of Locust's Environment holding the ProfileState
PROGRAM = "kv-conformance load profile"
_KEY = re.compile(r"kvc-load-[0-9a-f]{8}-[0-9]+(?:\.[0-9]+)?")  # a key, or a value written


class ProfileFailure(Exception):
    """A failure as Locust reports it: Locust shows ``repr(exception)``, which would escape
    every quote of the message and so break its curl line; this repr is the plain text."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self}"


class InvariantViolation(ProfileFailure):
    """A read the KV contract does not allow."""


class NoAnswer(ProfileFailure):
    """A request that got no answer (refused, reset, timed out): the transport, not the KV
    contract."""


class ErrorAnswer(ProfileFailure):
    """A request answered with an error status."""


@dataclass
class ProfileState:
    """What the users of one Locust process share; set once the configuration is read."""

    config: LoadConfig
    checked_host: str | None = None  # the host the preflight passed on
    failed: bool = False  # a preflight failed during the run of a web UI: users do not start


def _read_configuration(environment: Environment, **_: Any) -> None:
    """Before anything starts: the configuration, and the preflight if the host is known (a
    worker gets the host from the master, which has checked it)."""
    try:
        state = ProfileState(LoadConfig.from_environ(os.environ))
        setattr(environment, STATE, state)
        if isinstance(environment.runner, WorkerRunner):
            return  # the master sends its --stop-timeout with the users
        if not environment.stop_timeout:
            # Killed in the middle of a request, a user could leave a set behind: sent, its
            # connection dropped, applied by the server after the user's cleanup delete. So
            # unless --stop-timeout says otherwise, each user ends its request, then cleans up.
            environment.stop_timeout = 2 * state.config.timeout + 5
        headless = bool(getattr(environment.parsed_options, "headless", False))
        if environment.web_ui is not None:
            _check_web_port(environment.web_ui.host, environment.web_ui.port)
        if environment.host or headless:
            _check(environment, state)
    except ConfigError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _check_host_given_late(environment: Environment, **_: Any) -> None:
    """A host entered in the web UI: checked before its users start; on failure the run is
    stopped at once and Locust will exit with status 2."""
    state: ProfileState | None = getattr(environment, STATE, None)
    if state is None or isinstance(environment.runner, WorkerRunner):
        return
    if state.checked_host and state.checked_host == (environment.host or "").rstrip("/"):
        return
    try:
        _check(environment, state)
        if state.failed:  # a host corrected in the web UI after a failed one
            state.failed = False
            environment.process_exit_code = None
    except ConfigError as error:
        logging.error("%s: %s", PROGRAM, error)
        state.failed = True
        environment.process_exit_code = 2
        if environment.runner is not None:
            gevent.spawn(environment.runner.stop)


def _check_web_port(host: str, port: int) -> None:
    """Locust binds its web UI after this event, in a greenlet, and a port in use ends there
    in a traceback: said here in a sentence instead."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gevent binds it
        try:
            probe.bind((host if host not in ("", "*") else "", port))
        except OSError as error:
            raise ConfigError(
                f"the web UI cannot listen on {host or '*'}:{port} ({error.strerror}): give "
                "another --web-port, or run with --headless"
            ) from None


def _check(environment: Environment, state: ProfileState) -> None:
    host = check_host(environment.host)
    run_preflight(state.config, host)
    state.checked_host = host


def _fail_a_run_without_requests(environment: Environment, **_: Any) -> None:
    """As Locust quits: a run that sent no request exits 2, not 0 (say, a master whose only
    worker stopped at its start: Locust ends such a run at --run-time as if it had passed)."""
    runner = environment.runner
    if environment.process_exit_code is not None or isinstance(runner, WorkerRunner):
        return  # already decided (a preflight that failed has said why); a worker reports up
    if environment.stats.total.num_requests:
        return
    if isinstance(runner, MasterRunner):
        why = (
            "no worker ran a user; a worker that stopped as it started says why in its own "
            "output (each worker needs KV_TOKENS too)"
        )
    elif any(getattr(environment.parsed_options, name, True) for name in ("headless", "autostart")):
        why = "no user started before the run ended; check --users and --run-time"
    else:
        why = "no run was started from the web UI before Locust quit"
    print(f"{PROGRAM}: no request was sent: {why}", file=sys.stderr, flush=True)
    environment.process_exit_code = 2


events.init.add_listener(_read_configuration)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_check_host_given_late)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_fail_a_run_without_requests)  # type: ignore[no-untyped-call]


def _shown(value: str | None) -> str:
    """A value read_value returned, in words: never Python's None or a repr in a repr."""
    if value is ABSENT:
        return "absent"
    if value.startswith(UNWRITTEN):  # its preview is already quoted
        return f"a value this user never set ({value.removeprefix(UNWRITTEN)})"
    return f"'{value}'"


class KVUser(User):
    """One client of one identity, on keys of its own."""

    wait_time = constant(0)
    _numbers = itertools.count()

    def on_start(self) -> None:
        state: ProfileState = getattr(self.environment, STATE)
        if state.failed:
            # Ends this user quietly before it sends anything (Locust logs a traceback for
            # StopUser raised here, but not for GreenletExit, how it kills users itself).
            raise gevent.GreenletExit
        number = next(self._numbers)
        identity = number % 2
        host = (self.host or "").rstrip("/")
        self.client: KVClient = state.config.client(host, identity)
        self.other: KVClient = state.config.client(host, 1 - identity)
        marker = f"kvc-load-{secrets.token_hex(4)}"
        self.keys = [f"{marker}-{n}" for n in range(KEYS_PER_USER)]
        self.model: dict[str, str | None] = dict.fromkeys(self.keys, ABSENT)
        self.set_once: set[str] = set()  # an absent key: deleted, or never set
        self.rng = random.Random(number)
        self.writes = itertools.count()

    def on_stop(self) -> None:
        if not hasattr(self, "keys"):  # stopped before it started
            return
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
            self.set_once.add(key)

    @task(4)
    def get_value(self) -> None:
        key = self.rng.choice(self.keys)
        exchange, value = self._read(self.client, key, name="get")
        if exchange is not None and value != self.model[key]:
            expected = self.model[key]
            if expected is ABSENT:
                wanted = "absent (deleted)" if key in self.set_once else "absent (never set)"
            else:
                wanted = _shown(expected)
            self._violation(
                "get",
                exchange,
                f"acknowledged write not readable: expected {wanted}, read {_shown(value)}",
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
            self._violation(
                "cross-identity get", exchange, f"the other identity read {_shown(value)}"
            )

    # -- plumbing --------------------------------------------------------------------------

    def _read(self, client: KVClient, key: str, *, name: str) -> tuple[Exchange | None, str | None]:
        """(exchange, value); exchange None when the read failed (already reported)."""
        exchange = self._send(client, "GET", key, name=name)
        understood, value = read_value(exchange)
        return (exchange if understood else None), value

    def _send(
        self, client: KVClient, method: str, key: str, *, name: str, body: bytes | None = None
    ) -> Exchange:
        exchange = client.send(method, key, body=body)
        problem: Exception | None = None
        # Without the user's key, so that Locust counts one row per kind of failure, not one
        # per key: a server that goes away fails every user's requests alike.
        said = _KEY.sub("{key}", f"{exchange.summary()}: {exchange.curl()}")
        if exchange.status is None:
            problem = NoAnswer(said)
        elif exchange.status >= 500 or (exchange.status >= 400 and method != "DELETE"):
            problem = ErrorAnswer(said)
        self._report(method, name, problem, exchange)
        return exchange

    def _violation(self, name: str, exchange: Exchange, what: str) -> None:
        self._report("CHECK", name, InvariantViolation(f"{what}; {exchange.curl()}"))

    @staticmethod
    def _report(
        kind: str, name: str, problem: Exception | None, exchange: Exchange | None = None
    ) -> None:
        """One entry in Locust's statistics; ``problem`` makes it a failure."""
        events.request.fire(  # type: ignore[no-untyped-call]
            request_type=kind,
            name=name,
            response_time=exchange.seconds * 1000 if exchange else 0,
            response_length=len(exchange.response_body) if exchange else 0,
            exception=problem,
            context={},
        )
