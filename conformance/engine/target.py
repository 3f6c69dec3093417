"""The server under test as the suite reaches it: URL, identities, run namespace, capabilities.

One ``Target`` per run. It starts the embedded server when no URL is given, checks that the
configuration works (one clear ``ConfigError`` otherwise), hands out keys that all carry the
run's marker, and removes every key the run wrote. Its own requests (preflight, probes, the
early entries, the sweep) go through ``Actor.send`` like every check's. It owns the run's
lanes (independent requests at once) and the breaker (a server that stops answering stops
the checks), and counts what the run sent.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Literal

from conformance.engine import preflight
from conformance.engine.actor import IDENTITY_NAMES, Actor, Evidence, token_variable
from conformance.engine.breaker import Breaker
from conformance.engine.clock import RunClock
from conformance.engine.concurrency import body_for, read_value
from conformance.engine.config import ConfigError, Settings
from conformance.engine.embedded import EmbeddedServer
from conformance.engine.failures import OutOfTime, Stopped
from conformance.engine.lanes import Lanes
from conformance.engine.latency import Latencies
from conformance.engine.namespace import Entry, RunNamespace
from conformance.engine.preflight import Place
from conformance.engine.requirements import Catalogue
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange, Redactor
from conformance.wire.har import HarRecorder
from conformance.wire.network import Network

Capability = Literal["prefix", "put"]
PREFIX = "p"  # the 1-byte prefix used where the prefix route is exercised
EARLY_ENTRIES_PER_ROUTE = 10
PROBE_SETS = 16  # sets of distinct keys sent at once before the checks
FINAL_SWEEP_ATTEMPTS = 3
TRANSIENT_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class EarlyEntry:
    identity: int
    prefix: str
    key: str
    body: bytes
    acknowledged: bool
    written_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Numbering:
    """The run's exchange numbers: ``first``, ``first + step``, ... (under pytest-xdist each
    worker takes every ``step``-th number, so numbers stay unique across the run)."""

    first: int = 1
    step: int = 1


class Target:
    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        marker: str | None = None,
        *,
        har: HarRecorder | None = None,
        numbering: Numbering = Numbering(),
    ) -> None:
        self.settings = settings
        self.catalogue = catalogue
        # Every key this run touches contains the namespace's marker (under xdist, the one
        # the controller gave this worker).
        self.namespace = RunNamespace(marker)
        self.clock = RunClock(settings.max_duration)
        self.lanes = Lanes(settings.connections)
        self.breaker = Breaker(settings.unanswered_limit, self.clock, catalogue, settings.timeout)
        self.requests = 0  # sent by the run, every part of it
        self.round_trip: float | None = None  # seconds, measured by the preflight
        self.warnings: list[str] = []  # said above the verdict in every report
        self._embedded: EmbeddedServer | None = None
        self._lock = threading.Lock()
        self._capabilities: dict[Capability, bool] = {}
        self._connections_closed = 0
        self.base_url = settings.target_url or ""
        self.tokens: tuple[str, ...] = settings.tokens
        # One TLS context and proxy choice for every client; the embedded server: direct.
        self.network = Network() if settings.embedded else Network(settings.network)
        self.clients: list[KVClient] = []  # one per identity, for the run's sequential requests
        self.latencies = Latencies()
        self.started = time.time()
        self.early: list[EarlyEntry] = []  # written at the start, read at the end (DUR-01)
        # --kv-har: every exchange, with the part of the run that sent it (a test's node id
        # and requirement, set by the plugin, or the run's own: preflight, sweep).
        self.har = har
        self.sender: tuple[str, str] = ("preflight", "")
        self._numbering = numbering
        self._connection_numbers = itertools.count(1)
        self.redactor = Redactor({})  # every secret of the run, once the tokens are known

    @classmethod
    def open(
        cls,
        settings: Settings,
        catalogue: Catalogue,
        marker: str | None = None,
        *,
        har: HarRecorder | None = None,
        numbering: Numbering = Numbering(),
    ) -> Target:
        target = cls(settings, catalogue, marker, har=har, numbering=numbering)
        try:
            target._start()
        except BaseException:
            target.close()
            raise
        return target

    def _start(self) -> None:
        if self.settings.embedded:
            self._embedded = EmbeddedServer(
                self.settings.reference_faults, self.settings.reference_latency_ms
            ).start()
            self.base_url = self._embedded.url
            self.tokens = self._embedded.tokens
        self.redactor = Redactor(self.network.secrets, tokens=self._secrets())
        self.clients = [self.client(index) for index in range(len(self.tokens[:2]))]
        times: list[float] = []
        for index in range(len(self.clients)):
            times.extend(self._preflight(index))
        # The quickest answer over a connection already open: the network's round trip
        # plus the server's least time.
        self.round_trip = min(times, default=None)
        self._probe_concurrency()

    def _probe_concurrency(self) -> None:
        """Sets of distinct keys by one identity, sent at once, then read back. A server that
        loses some would make every check whose requests share the lanes fail on its own
        requirement, though sent alone they pass: then the run sends one request at a time,
        as --kv-connections 1 does, and CON-02 (with clients of its own) judges the loss."""
        if self.lanes.size == 1:
            return
        actor = self.actor(0)
        keys = [self.new_key("-at-once") for _ in range(min(self.lanes.size, PROBE_SETS))]
        written = self.lanes.run(keys, lambda key: actor.send("POST", key, body=body_for(key)))
        held = [
            key
            for key, outcome in zip(keys, written, strict=True)
            if outcome.result is not None and outcome.result.status in (200, 201)
        ]
        read = self.lanes.run(held, lambda key: actor.send("GET", key))
        lost = [
            key
            for key, outcome in zip(held, read, strict=True)
            if outcome.result is not None and read_value(outcome.result) != (True, key)
        ]
        self.sweep({(0, "", key) for key in keys})
        if lost:
            sequential = Lanes(1)
            sequential.note_concurrent(self.lanes.chain)
            self.lanes.close()
            self.lanes = sequential
            self.warnings.append(
                f"the server lost {len(lost)} of {len(held)} acknowledged sets of distinct keys "
                "sent at once by one identity, so this run sent one request at a time (CON-02 "
                "judges concurrent sets)"
            )

    @property
    def proxy(self) -> str | None:
        """The proxy the run's requests go through, as it may be shown (credentials hidden)."""
        return self.network.proxy_shown(self.base_url)

    @property
    def marker(self) -> str:
        return self.namespace.marker

    def client(self, index: int) -> KVClient:
        """A new client (own connection) of identity ``index``; the caller closes it."""
        return KVClient(
            self.base_url,
            self.tokens[index],
            kv_path=self.settings.kv_path,
            timeout=self.settings.timeout,
            token_variable=token_variable(index),
            secrets=self._secrets(),
            on_exchange=self.observe,
            budget=self.clock,
            network=self.network,
            connection_numbers=self._next_connection,
        )

    def _secrets(self) -> dict[str, str]:
        return {token: token_variable(i) for i, token in enumerate(self.tokens)}

    def _next_connection(self) -> int:
        with self._lock:
            return next(self._connection_numbers)

    def actor(self, index: int, evidence: Evidence | None = None) -> Actor:
        """Identity ``index`` over the run's own connection of that identity."""
        return Actor(index, self.clients[index], self.namespace, evidence)

    @property
    def identities(self) -> int:
        return len(self.clients)

    def observe(self, exchange: Exchange) -> Exchange:
        """Every request of the run (any thread): its number, the count, the dependent
        chain, the latency table of the answered ones, the breaker, and the HAR."""
        with self._lock:
            self.requests += 1
            number = self._numbering.first + (self.requests - 1) * self._numbering.step
        exchange = replace(exchange, number=number)
        if self.har is not None:
            test, requirement = self.sender
            self.har.record(exchange, self.redactor, test=test, requirement=requirement)
        self.lanes.count_request()
        if exchange.status is not None:
            self.latencies.record(exchange.method, exchange.seconds)
        self.breaker.observe(exchange)
        return exchange

    @property
    def connections(self) -> int:
        """Keep-alive connections the run opened (per identity and lane, and the concurrent
        clients' own)."""
        return self._connections_closed + sum(c.connections_opened for c in self.clients)

    def client_closed(self, client: KVClient) -> None:
        """A client of a check's own (concurrent clients) is done: count its connections."""
        with self._lock:
            self._connections_closed += client.connections_opened

    def out_of_time(self) -> bool:
        return self.clock.out_of_time()

    def new_key(self, label: str = "") -> str:
        return self.namespace.new_key(label)

    def supports(self, capability: Capability) -> bool:
        """Whether the server offers an optional feature; asked once per run."""
        with self._lock:
            known = self._capabilities.get(capability)
        if known is None:
            known = self._probe(capability)
            with self._lock:
                self._capabilities[capability] = known
        return known

    def routes(self) -> list[str]:
        """The prefixes to exercise: the plain route, and the prefix route if supported."""
        return ["", PREFIX] if self.supports("prefix") else [""]

    def _probe(self, capability: Capability) -> bool:
        key = self.new_key("-capability")
        prefix = PREFIX if capability == "prefix" else ""
        method = "PUT" if capability == "put" else "POST"
        exchange = self.actor(0).send(method, key, prefix=prefix, body=b"true")
        self.sweep({(0, prefix, key)})
        unsupported = (404,) if capability == "prefix" else (404, 405, 501)
        return exchange.status not in unsupported

    def _preflight(self, index: int) -> list[float]:
        """One set and delete per identity: is a KV API there, at that path, taking the token?
        Returns the time of each answer that came over a connection already open."""
        key = self.new_key("-preflight")
        actor = self.actor(index)
        exchange = actor.send("POST", key, body=b"true")
        place = Place(self.base_url, self.settings.kv_path, self.proxy, self.settings.timeout)
        if exchange.status is None:
            raise ConfigError(preflight.unanswered(exchange, place))
        problem = preflight.not_a_kv_api(
            exchange,
            place,
            IDENTITY_NAMES[index],
            actor.client.redactor.redact,
            lambda: self._is_mattermost(actor),
        )
        if problem is not None:
            raise ConfigError(problem)
        self.sweep({(index, "", key)})
        again = actor.send("GET", key)  # over the connection the set opened
        return [again.seconds] if again.status is not None else []

    def _is_mattermost(self, actor: Actor) -> bool:
        # The marker in the query keeps the address inside the run's namespace guard.
        url = f"{self.base_url}{preflight.MATTERMOST_PING}?kv-conformance={self.marker}"
        return preflight.mattermost_ping(actor.send("GET", self.marker, url=url))

    def plant_early_entries(self) -> None:
        """Write a few entries per identity and route now; DUR-01 reads them at the end."""
        self.sender = ("early entries (read by DUR-01)", "DUR-01")
        planned = [
            (index, prefix, number)
            for index in range(self.identities)
            for prefix in self.routes()
            for number in range(EARLY_ENTRIES_PER_ROUTE)
        ]

        def plant(plan: tuple[int, str, int]) -> EarlyEntry:
            index, prefix, number = plan
            actor = self.actor(index)
            key = self.new_key("-early")
            body = f'{{"early":{number},"by":"{actor.name}"}}'.encode()
            exchange = actor.send("POST", key, prefix=prefix, body=body)
            return EarlyEntry(index, prefix, key, body, exchange.status in (200, 201))

        for outcome in self.lanes.run(planned, plant):
            if outcome.result is not None:
                self.early.append(outcome.result)
            elif isinstance(outcome.error, OutOfTime | Stopped):
                continue  # a server this slow leaves no time for DUR-01 (not tested then)
            elif outcome.error is not None:
                raise outcome.error

    def sweep(self, entries: set[Entry] | None = None) -> None:
        """Delete each entry the run wrote (default: all), as the identity that wrote it,
        over the run's lanes. Once ``--kv-unanswered-limit`` deletes of this sweep got no
        answer and none got one, the rest are left for the final sweep (a server that
        stopped answering would hold each for the timeout)."""
        chosen = sorted(self.namespace.take(entries))
        tally = {"answered": 0, "unanswered": 0}
        limit = self.settings.unanswered_limit
        settled: set[Entry] = set()  # deleted, or noted again for another try

        def delete(entry: Entry) -> None:
            with self._lock:
                hopeless = limit and not tally["answered"] and tally["unanswered"] >= limit
            if hopeless:
                self.namespace.note_write(entry)
            else:
                answered = self._delete(entry)
                with self._lock:
                    tally["answered" if answered else "unanswered"] += 1
            with self._lock:
                settled.add(entry)

        try:
            self.lanes.run(chosen, delete)
        finally:
            # A Ctrl-C (or SIGTERM) during this sweep: the deletes it refused or never
            # started stay noted, for the final sweep, which runs in the cleanup's reserve.
            with self._lock:
                unsettled = [entry for entry in chosen if entry not in settled]
            for entry in unsettled:
                self.namespace.note_write(entry)

    def finish(self) -> None:
        """The final sweep: what earlier sweeps could not delete is tried again."""
        self.clock.begin_cleanup()  # the cleanup may use the reserve
        self.sender = ("final sweep", "")
        for _ in range(FINAL_SWEEP_ATTEMPTS):
            self.sweep()
            if not self.namespace.pending:
                return

    @property
    def left_behind(self) -> int:
        """Entries whose deletes got no answer, even in the final sweep."""
        return self.namespace.pending

    def _delete(self, entry: Entry) -> bool:
        """Delete one entry; whether an answer came."""
        identity, prefix, key = entry
        try:
            exchange: Exchange | None = self.actor(identity).send("DELETE", key, prefix=prefix)
        except (OutOfTime, Stopped):  # the final sweep, which has the reserve, tries again
            exchange = None
        # No answer, or one that says "try again": kept for another try. (A plain 500 is an
        # answer: upstream gives one for prefixes over 2 bytes, where nothing was stored.)
        if exchange is None or exchange.status is None or exchange.status in TRANSIENT_STATUSES:
            self.namespace.note_write(entry)  # counted in left_behind if it stays
        return exchange is not None and exchange.status is not None

    def close(self) -> None:
        try:
            self.finish()
        finally:
            self.lanes.close()
            for client in self.clients:
                client.close()
            if self._embedded is not None:
                self._embedded.stop()
