"""A small Python client for the KV API, mirroring the Go driver.

``KVClient.set/get/delete`` behave like the Go driver's ``KVSet/KVGet/KVDelete`` (the first
optional argument is the prefix). ``KVClient.send`` is the low-level call the suite uses: it
never raises on an HTTP status and returns an ``Exchange`` (``conformance.wire.exchange``) that
can print itself as a curl command with the token replaced by a shell variable. Redirects are
never followed, so a token never travels to another host.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final, Protocol
from urllib.parse import quote, urlsplit

from conformance.wire.exchange import Exchange, Redactor
from conformance.wire.framing import suspect
from conformance.wire.network import Network
from conformance.wire.transport import MAX_ANSWER_BYTES, Connections, NoAnswer, Watchdog

DEFAULT_KV_PATH: Final = "/plugins/com.mattermost.apps/api/v1/kv"
DEFAULT_TIMEOUT: Final = 10.0


class _Default:
    """Marker: use the client's own bearer token."""


OWN_TOKEN: Final = _Default()


class Budget(Protocol):
    """A time limit above the client's own per-request timeout (the suite's run clock)."""

    def allow(self, timeout: float) -> float:
        """What a request given ``timeout`` may take if sent now; raises when no time is left."""

    def check_cut_short(self, timeout: float, allowed: float) -> None:
        """Raises if a request allowed ``allowed`` of its ``timeout`` that got no usable answer
        was cut short by this budget rather than by the timeout."""


class KVError(Exception):
    """The server answered a driver-level call with something other than success."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(f"{exchange.method} {exchange.redacted_url} -> {exchange.summary()}")
        self.exchange = exchange


class _Lane:
    """One thread's keep-alive connection (per origin) and the watchdog of its request."""

    def __init__(
        self, name: str, network: Network, numbers: Callable[[], int] | None = None
    ) -> None:
        self.watchdog = Watchdog(name)
        self.connections = Connections(self.watchdog, network, numbers)
        # The last exchange and the number of the connection it went over: the one before
        # the next exchange if that goes over the same connection.
        self.last: tuple[int, Exchange] | None = None

    def follows(self, connection: int, exchange: Exchange) -> Exchange:
        """``exchange``, sent over ``connection``, with the exchange before it there."""
        exchange = replace(exchange, connection=connection)
        if connection and self.last is not None and self.last[0] == connection:
            exchange = replace(exchange, previous=replace(self.last[1], previous=None))
        self.last = (connection, exchange) if connection else None
        return exchange

    def close(self) -> None:
        self.connections.close()
        self.watchdog.close()


class KVClient:
    """One identity's view of a KV server: one keep-alive connection per thread that sends
    (the run's lanes send as the same identity at once, each over its own connection)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        kv_path: str = DEFAULT_KV_PATH,
        timeout: float = DEFAULT_TIMEOUT,
        token_variable: str = "KV_TOKEN",
        secrets: Mapping[str, str] | None = None,
        on_exchange: Callable[[Exchange], Exchange | None] | None = None,
        budget: Budget | None = None,
        network: Network | None = None,
        connection_numbers: Callable[[], int] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # "/" (the routes at the root of the host) becomes "": URLs are kv_root + "/" + key.
        self.kv_path = kv_path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.network = network or Network()  # default: direct, the system's trust store
        # Every secret the client may send, mapped to the variable that stands for it.
        self.redactor = Redactor(
            self.network.secrets, tokens={token: token_variable, **(secrets or {})}
        )
        # Sees every exchange; what it returns (the exchange numbered, say) is what the
        # caller gets.
        self._on_exchange = on_exchange
        self._connection_numbers = connection_numbers  # the run's numbering of connections
        self._budget = budget  # the run's clock (--max-duration), if any
        self._local = threading.local()  # this thread's _Lane
        self._lanes: list[_Lane] = []  # every thread's, to close
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[str, ...]] = {}  # curl options by scheme://host:port

    # -- the Go driver's calls -----------------------------------------------------------

    def set(self, key: str, value: Any, prefix: str = "") -> bool:
        """Store ``value`` (any JSON-encodable value); returns the server's ``changed``."""
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        exchange = self.send("POST", key, prefix=prefix, body=body)
        if exchange.status not in (200, 201):
            raise KVError(exchange)
        try:
            changed = json.loads(exchange.response_body)["changed"]
        except (ValueError, KeyError, TypeError) as error:
            raise KVError(exchange) from error
        if not isinstance(changed, bool):
            raise KVError(exchange)
        return changed

    def get(self, key: str, prefix: str = "") -> Any:
        """The stored value; ``{}`` or ``KeyError`` (404) for an absent key, by server."""
        exchange = self.send("GET", key, prefix=prefix)
        if exchange.status == 404:
            raise KeyError(key)
        if exchange.status != 200:
            raise KVError(exchange)
        return json.loads(exchange.response_body)

    def delete(self, key: str, prefix: str = "") -> None:
        exchange = self.send("DELETE", key, prefix=prefix)
        if exchange.status not in (200, 204, 404):
            raise KVError(exchange)

    # -- the low-level call ---------------------------------------------------------------

    @property
    def kv_root(self) -> str:
        """The URL of the KV routes, without a key."""
        return self.base_url + self.kv_path

    def url(self, key: str, prefix: str = "") -> str:
        """The URL of a key: each segment percent-encoded, ``/`` included."""
        segments = [prefix, key] if prefix else [key]
        return self.kv_root + "/" + "/".join(quote(s, safe="") for s in segments)

    def send(
        self,
        method: str,
        key: str,
        *,
        prefix: str = "",
        body: bytes | None = None,
        authorization: str | _Default | None = OWN_TOKEN,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> Exchange:
        """Send one request and record it; never raises for a status or a transport error
        (only what the budget raises when the run is out of time).

        ``authorization`` None sends no Authorization header; a string is sent as the whole
        header value. ``url`` overrides the key's URL (for routing checks and fuzzing).
        """
        sent: dict[str, str] = {}
        if isinstance(authorization, _Default):
            sent["Authorization"] = f"Bearer {self.token}"
        elif authorization is not None:
            sent["Authorization"] = authorization
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        target = url or self.url(key, prefix)
        started = time.perf_counter()
        request = replace(
            self.redactor.request(method, target, sent, body, self._route(target)),
            started_at=time.time(),
        )
        exchange = self._exchange(
            request, method=method, target=target, headers=sent, body=body, started=started
        )
        if self._on_exchange is not None:
            exchange = self._on_exchange(exchange) or exchange
        return exchange

    def _exchange(
        self,
        request: Exchange,
        *,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        started: float,
    ) -> Exchange:
        """Send, and read the answer within the timeout and MAX_ANSWER_BYTES: a server that
        hangs, drips or never ends its answer yields an Exchange with an error, not a hang.

        An answer that may belong to the refused request before it on the connection (its
        unread body read as the start of this one) is confirmed by sending the request again
        on a fresh connection: if that is answered otherwise, the fresh answer is this
        request's and the first is kept as ``misread``, so the check that happened to follow
        is judged on its own answer and HTTP-02 has the evidence. Only such answers are sent
        again: statuses that refuse a request (so it had no effect), after a refusal."""
        first = self._attempt(
            request, method=method, target=target, headers=headers, body=body, started=started
        )
        if first.status is None or not suspect(first):
            return first  # (a missing answer stays HTTP-01's evidence, with the hint)
        lane = self._lane()
        lane.connections.close()
        lane.last = None
        again = self._attempt(
            request,
            method=method,
            target=target,
            headers=headers,
            body=body,
            started=time.perf_counter(),
        )
        if (again.status, again.error_kind) == (first.status, first.error_kind):
            return again  # answered alike on its own: the first answer was its own too
        return replace(again, misread=first)

    def _attempt(
        self,
        request: Exchange,
        *,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        started: float,
    ) -> Exchange:
        try:
            allowed = self._budget.allow(self.timeout) if self._budget else self.timeout
        except BaseException as refused:
            refused.not_sent = True  # type: ignore[attr-defined]  # (read by Actor.send)
            raise
        lane = self._lane()
        try:
            answer = lane.connections.send(
                method, target, headers, body, timeout=allowed, max_bytes=MAX_ANSWER_BYTES
            )
        except NoAnswer as error:
            self._check_cut_short(allowed)
            failed = replace(
                request,
                error=str(error),
                error_kind=error.kind,
                seconds=time.perf_counter() - started,
            )
            return lane.follows(error.connection, failed)
        seconds = time.perf_counter() - started
        if answer.problem is not None:
            self._check_cut_short(allowed)
            # Not a usable answer: shown as no answer, with what went wrong.
            unusable = replace(
                request,
                error=f"{answer.problem} (after status {answer.status})",
                error_kind="unusable",
                seconds=seconds,
            )
            return lane.follows(answer.connection, unusable)
        answered = self.redactor.answer(
            request, answer.status, answer.headers, answer.body, seconds, stray=answer.stray
        )
        return lane.follows(answer.connection, answered)

    def _route(self, url: str) -> tuple[str, ...]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        route = self._routes.get(origin)
        if route is None:
            route = self._routes[origin] = self.network.curl_options(url)
        return route

    def _check_cut_short(self, allowed: float) -> None:
        if self._budget is not None:
            self._budget.check_cut_short(self.timeout, allowed)

    def _lane(self) -> _Lane:
        lane: _Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            lane = self._local.lane = _Lane(
                f"kv-watchdog-{threading.get_ident()}", self.network, self._connection_numbers
            )
            with self._lock:
                self._lanes.append(lane)
        return lane

    @property
    def connections_opened(self) -> int:
        """How many threads have sent through this client (each over its own connection)."""
        with self._lock:
            return len(self._lanes)

    def close(self) -> None:
        """Close every thread's connection (call once no thread sends any more)."""
        with self._lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            lane.close()
        self._local = threading.local()
