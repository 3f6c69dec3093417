"""The server under test as the suite reaches it: URL, identities, run namespace, capabilities.

One ``Target`` per run. It starts the embedded server when no URL is given, checks that the
configuration works (one clear ``ConfigError`` otherwise), hands out keys that all carry the
run's marker, and removes every key the run wrote. Its own requests (preflight, probes, the
early entries, the sweep) go through ``Actor.send`` like every check's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from conformance.engine import preflight
from conformance.engine.actor import IDENTITY_NAMES, Actor, Evidence, token_variable
from conformance.engine.clock import RunClock
from conformance.engine.config import ConfigError, Settings
from conformance.engine.embedded import EmbeddedServer
from conformance.engine.failures import OutOfTime
from conformance.engine.latency import Latencies
from conformance.engine.namespace import Entry, RunNamespace
from conformance.engine.preflight import Place
from conformance.engine.requirements import Catalogue
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange
from conformance.wire.network import Network

Capability = Literal["prefix", "put"]
PREFIX = "p"  # the 1-byte prefix used where the prefix route is exercised
EARLY_ENTRIES_PER_ROUTE = 10
FINAL_SWEEP_ATTEMPTS = 3
TRANSIENT_STATUSES = frozenset({502, 503, 504})
PARALLEL_SWEEP_OVER = 100  # keys; fewer are deleted over the run's own connections
SWEEP_CLIENTS = 8


@dataclass(frozen=True)
class EarlyEntry:
    identity: int
    prefix: str
    key: str
    body: bytes
    acknowledged: bool
    written_at: float = field(default_factory=time.monotonic)


class Target:
    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
        self.settings = settings
        self.catalogue = catalogue
        # Every key this run touches contains the namespace's marker.
        self.namespace = RunNamespace()
        self.clock = RunClock(settings.max_duration)
        self._embedded: EmbeddedServer | None = None
        self._lock = threading.Lock()
        self._capabilities: dict[Capability, bool] = {}
        self.base_url = settings.target_url or ""
        self.tokens: tuple[str, ...] = settings.tokens
        # One TLS context and proxy choice for every client; the embedded server: direct.
        self.network = Network() if settings.embedded else Network(settings.network)
        self.clients: list[KVClient] = []  # one per identity, for the run's sequential requests
        self.latencies = Latencies()
        self.started = time.time()
        self.early: list[EarlyEntry] = []  # written at the start, read at the end (DUR-01)

    @classmethod
    def open(cls, settings: Settings, catalogue: Catalogue) -> Target:
        target = cls(settings, catalogue)
        try:
            target._start()
        except BaseException:
            target.close()
            raise
        return target

    def _start(self) -> None:
        if self.settings.embedded:
            self._embedded = EmbeddedServer(self.settings.reference_faults).start()
            self.base_url = self._embedded.url
            self.tokens = self._embedded.tokens
        self.clients = [self.client(index) for index in range(len(self.tokens[:2]))]
        for index in range(len(self.clients)):
            self._preflight(index)

    @property
    def proxy(self) -> str | None:
        """The proxy the run's requests go through, as it may be shown (credentials hidden)."""
        parts = urlsplit(self.base_url)
        proxy = self.network.proxy_for(parts.scheme, parts.hostname or "")
        return proxy.shown if proxy is not None else None

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
            secrets={token: token_variable(i) for i, token in enumerate(self.tokens)},
            on_exchange=self.observe,
            budget=self.clock,
            network=self.network,
        )

    def actor(self, index: int, evidence: Evidence | None = None) -> Actor:
        """Identity ``index`` over the run's own connection of that identity."""
        return Actor(index, self.clients[index], self.namespace, evidence)

    @property
    def identities(self) -> int:
        return len(self.clients)

    def observe(self, exchange: Exchange) -> None:
        """Every answered request of the run, for the latency table."""
        if exchange.status is not None:
            self.latencies.record(exchange.method, exchange.seconds)

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

    def _preflight(self, index: int) -> None:
        """One set and delete per identity: is a KV API there, at that path, taking the token?"""
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

    def _is_mattermost(self, actor: Actor) -> bool:
        # The marker in the query keeps the address inside the run's namespace guard.
        url = f"{self.base_url}{preflight.MATTERMOST_PING}?kv-conformance={self.marker}"
        return preflight.mattermost_ping(actor.send("GET", self.marker, url=url))

    def plant_early_entries(self) -> None:
        """Write a few entries per identity and route now; DUR-01 reads them at the end."""
        try:
            for index in range(self.identities):
                actor = self.actor(index)
                for prefix in self.routes():
                    for number in range(EARLY_ENTRIES_PER_ROUTE):
                        key = self.new_key("-early")
                        body = f'{{"early":{number},"by":"{actor.name}"}}'.encode()
                        exchange = actor.send("POST", key, prefix=prefix, body=body)
                        self.early.append(
                            EarlyEntry(index, prefix, key, body, exchange.status in (200, 201))
                        )
        except OutOfTime:
            return  # a server this slow leaves no time for DUR-01, which is not run then

    def sweep(self, entries: set[Entry] | None = None) -> None:
        """Delete each entry the run wrote (default: all), as the identity that wrote it."""
        chosen = sorted(self.namespace.take(entries))
        if len(chosen) < PARALLEL_SWEEP_OVER:
            actors = [self.actor(index) for index in range(self.identities)]
            for entry in chosen:
                self._delete(actors, entry)
            return
        # Many keys (CAP-01 writes 1,000): delete them over several connections at once.
        shares = [chosen[n::SWEEP_CLIENTS] for n in range(SWEEP_CLIENTS)]

        def delete(share: list[Entry]) -> None:
            actors = [
                Actor(index, self.client(index), self.namespace) for index in range(self.identities)
            ]
            try:
                for entry in share:
                    self._delete(actors, entry)
            finally:
                for actor in actors:
                    actor.client.close()

        threads = [
            threading.Thread(target=delete, args=(share,), name=f"kv-sweep-{n}")
            for n, share in enumerate(shares)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def finish(self) -> None:
        """The final sweep: what earlier sweeps could not delete is tried again."""
        self.clock.begin_cleanup()  # the cleanup may use the reserve
        for _ in range(FINAL_SWEEP_ATTEMPTS):
            self.sweep()
            if not self.namespace.pending:
                return

    @property
    def left_behind(self) -> int:
        """Entries whose deletes got no answer, even in the final sweep."""
        return self.namespace.pending

    def _delete(self, actors: list[Actor], entry: Entry) -> None:
        identity, prefix, key = entry
        try:
            exchange: Exchange | None = actors[identity].send("DELETE", key, prefix=prefix)
        except OutOfTime:  # the final sweep, which has the reserve, tries again
            exchange = None
        # No answer, or one that says "try again": kept for another try. (A plain 500 is an
        # answer: upstream gives one for prefixes over 2 bytes, where nothing was stored.)
        if exchange is None or exchange.status is None or exchange.status in TRANSIENT_STATUSES:
            self.namespace.note_write(entry)  # counted in left_behind if it stays

    def close(self) -> None:
        try:
            self.finish()
        finally:
            for client in self.clients:
                client.close()
            if self._embedded is not None:
                self._embedded.stop()
