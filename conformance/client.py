"""A small Python client for the KV API, mirroring the Go driver, and the exchange records
the suite uses to explain and reproduce what it saw.

``KVClient.set/get/delete`` behave like the Go driver's ``KVSet/KVGet/KVDelete`` (the first
optional argument is the prefix). ``KVClient.send`` is the low-level call the checks use: it
never raises on an HTTP status and returns an ``Exchange`` that can print itself as a curl
command with the token replaced by a shell variable. Redirects are never followed, so a token
never travels to another host.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import quote

from conformance.failures import OutOfTime
from conformance.transport import MAX_ANSWER_BYTES, Connections, NoAnswer, Watchdog

DEFAULT_KV_PATH: Final = "/plugins/com.mattermost.apps/api/v1/kv"
DEFAULT_TIMEOUT: Final = 10.0
BODY_PREVIEW_BYTES: Final = 300
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


class _Default:
    """Marker: use the client's own bearer token."""


OWN_TOKEN: Final = _Default()


class KVError(Exception):
    """The server answered a driver-level call with something other than success."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(f"{exchange.method} {exchange.redacted_url} -> {exchange.summary()}")
        self.exchange = exchange


@dataclass(frozen=True)
class Exchange:
    """One request and what came back (``status`` None: no answer, see ``error``).

    Everything stored here is already redacted: each secret is replaced by ``$NAME``.
    """

    method: str
    redacted_url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes | None
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    response_body: bytes = b""
    error: str | None = None
    seconds: float = 0.0
    body_preview: str = ""  # the response body, trimmed and redacted, for messages

    @property
    def content_type(self) -> str | None:
        return self.response_headers.get("content-type")

    def summary(self) -> str:
        """Status, Content-Type and a preview of the body, on one line."""
        if self.status is None:
            return f"no answer ({self.error})"
        parts = [str(self.status)]
        if self.content_type:
            parts.append(self.content_type)
        parts.append(self.body_preview or _preview(self.response_body))
        return " ".join(parts)

    def curl(self) -> str:
        """A shell command that sends the same request; secrets stay ``$VARIABLES``."""
        words = ["curl", "-sS", "-i", "-X", self.method]
        for name, value in self.request_headers:
            header = f"{name}: {value}"
            # Double quotes let the shell expand $KV_TOKEN; everything else is quoted safely.
            words.append("-H")
            words.append(
                '"' + header.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'
                if "$" in header
                else shlex.quote(header)
            )
        prefix = ""
        if self.request_body is not None:
            text = _shell_text(self.request_body)
            if text is not None:
                words += ["--data-binary", shlex.quote(text)]
            else:
                prefix = f"python3 -c {shlex.quote(_python_writer(self.request_body))} | "
                words += ["--data-binary", "@-"]
        words.append(shlex.quote(self.redacted_url))
        return prefix + " ".join(words)


class KVClient:
    """One identity's view of a KV server, over one keep-alive connection."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        kv_path: str = DEFAULT_KV_PATH,
        timeout: float = DEFAULT_TIMEOUT,
        token_variable: str = "KV_TOKEN",
        secrets: Mapping[str, str] | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        deadline: Callable[[], float | None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kv_path = "/" + kv_path.strip("/")
        self.token = token
        self.timeout = timeout
        # Every secret the client may send, mapped to the variable that stands for it.
        self._secrets = {token: token_variable, **(secrets or {})}
        self._on_exchange = on_exchange
        # Monotonic time after which nothing more is sent (the run's --max-duration), if any.
        self._deadline = deadline or (lambda: None)
        self._watchdog = Watchdog("kv-watchdog")
        self._connections = Connections(self._watchdog)

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

    def url(self, key: str, prefix: str = "") -> str:
        """The URL of a key: each segment percent-encoded, ``/`` included."""
        segments = [prefix, key] if prefix else [key]
        return self.base_url + self.kv_path + "/" + "/".join(quote(s, safe="") for s in segments)

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
        (only OutOfTime, see ``_exchange``).

        ``authorization`` None sends no Authorization header; a string is sent as the whole
        header value. ``url`` overrides the key's URL (for routing checks).
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
        request = self.describe_request(method, target, sent, body)
        exchange = self._exchange(
            request, method=method, target=target, headers=sent, body=body, started=started
        )
        if self._on_exchange is not None:
            self._on_exchange(exchange)
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
        Raises OutOfTime (see ``request_timeout`` and ``raise_if_cut_short``)."""
        timeout = self.request_timeout()
        try:
            answer = self._connections.send(
                method, target, headers, body, timeout=timeout, max_bytes=MAX_ANSWER_BYTES
            )
        except NoAnswer as error:
            self.raise_if_cut_short(timeout)
            return replace(request, error=str(error), seconds=time.perf_counter() - started)
        seconds = time.perf_counter() - started
        if answer.problem is not None:
            self.raise_if_cut_short(timeout)
            # Not a usable answer: shown as no answer, with what went wrong.
            return replace(
                request, error=f"{answer.problem} (after status {answer.status})", seconds=seconds
            )
        return self.describe_answer(request, answer.status, answer.headers, answer.body, seconds)

    def request_timeout(self) -> float:
        """What a request may take if sent now: the timeout, less as the run's deadline nears;
        raises OutOfTime once it has passed."""
        deadline = self._deadline()
        if deadline is None:
            return self.timeout
        timeout = min(self.timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise OutOfTime
        return timeout

    def raise_if_cut_short(self, timeout: float) -> None:
        """Raise OutOfTime if a request given ``timeout`` that got no usable answer was cut
        short by the run's deadline rather than by the client's own timeout."""
        deadline = self._deadline()
        if deadline is not None and timeout < self.timeout and time.monotonic() >= deadline:
            raise OutOfTime

    def describe_request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Exchange:
        """A request as it may be shown: secrets in the URL and credentials redacted."""
        return Exchange(
            method=method,
            redacted_url=self.redact(url),
            # Only credentials carry tokens; other headers stay readable even for short tokens.
            request_headers=tuple(
                (name, self.redact(value) if name.lower() in _CREDENTIALS else value)
                for name, value in headers.items()
            ),
            request_body=body,
        )

    def describe_answer(
        self,
        request: Exchange,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        seconds: float,
    ) -> Exchange:
        """The request with its answer; a server may echo a token in headers or body."""
        return replace(
            request,
            status=status,
            response_headers={name.lower(): self.redact(v) for name, v in headers.items()},
            response_body=body,
            seconds=seconds,
            body_preview=self.redact(_preview(body)),
        )

    def redact(self, text: str) -> str:
        for secret, variable in self._secrets.items():
            if secret:
                text = text.replace(secret, f"${variable}")
        return text

    def close(self) -> None:
        self._connections.close()
        self._watchdog.close()


def _preview(body: bytes) -> str:
    if not body:
        return "(empty body)"
    shown = body[:BODY_PREVIEW_BYTES]
    text = shown.decode("utf-8", "backslashreplace")
    more = f"… ({len(body)} bytes)" if len(body) > BODY_PREVIEW_BYTES else ""
    return repr(text) + more


def _shell_text(body: bytes) -> str | None:
    """The body as shell-quotable text, or None when it needs a byte-exact writer."""
    if len(body) > BODY_PREVIEW_BYTES or b"\0" in body:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _python_writer(body: bytes) -> str:
    """A Python one-liner writing ``body`` exactly; runs of one byte are compressed."""
    pieces: list[str] = []
    literal = bytearray()
    start = 0
    while start < len(body):
        end = start
        while end < len(body) and body[end] == body[start]:
            end += 1
        if end - start >= 8:
            if literal:
                pieces.append(repr(bytes(literal)))
                literal.clear()
            pieces.append(f"{bytes([body[start]])!r}*{end - start}")
        else:
            literal += body[start:end]
        start = end
    if literal or not pieces:
        pieces.append(repr(bytes(literal)))
    return f"import sys; sys.stdout.buffer.write({' + '.join(pieces)})"
