"""Sending requests with a hard time limit each, whatever the server does.

A socket timeout bounds each read, not the answer: a server that sends one byte every few
tenths of a second (headers included) would hold a request for minutes. A ``Watchdog`` is
given the socket of the request in flight and shuts it down when the request's deadline
passes; the blocked read then fails and the client reports that no complete answer came in
time.

``Connections`` is the client's transport: keep-alive connections of the standard library's
``http.client``, which costs a quarter of the CPU time per request that ``requests`` does
(measured here: 0.11 against 0.42 ms), and the suite sends thousands. Every request of the
suite goes through it, the fuzzing cases too (see ``conformance.engine.fuzzing``).
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlsplit

from conformance import __version__
from conformance.wire.network import Network, Proxy

POLL_SECONDS = 0.1
# A value is at most 8 KiB; an answer this long is a server defect, and is not read further.
MAX_ANSWER_BYTES: Final = 1 << 20
READ_CHUNK_BYTES: Final = 64 * 1024
STRAY_PREVIEW_BYTES: Final = 200  # of what a server sent after an answer, unasked
USER_AGENT: Final = f"kv-conformance/{__version__}"  # for the server's logs


class Watchdog:
    """One thread per client that cuts off the request in flight once past its deadline.

    It looks every POLL_SECONDS rather than being woken per request: a request costs two
    attribute writes, and a cut-off comes at most POLL_SECONDS late.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The request in flight: its deadline and, once sent, its socket.
        self._deadline: float | None = None
        self._sock: socket.socket | None = None
        self.fired = False  # whether the request in flight was cut off

    def begin(self, deadline: float) -> None:
        self._sock, self.fired = None, False
        self._deadline = deadline
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def arm(self, sock: socket.socket | None) -> None:
        """The socket the request in flight waits on (called once the request is sent)."""
        self._sock = sock

    def end(self) -> None:
        self._deadline, self._sock = None, None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            deadline, sock = self._deadline, self._sock
            if deadline is None or sock is None or time.monotonic() < deadline:
                continue
            if sock is self._sock:  # still the same request
                self.fired = True
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class Answer:
    """A status line and headers that arrived, and the body as far as it was read.

    ``problem`` says why the body is not usable (too long, late or cut off); then ``body``
    is empty. ``connection`` numbers the connection it came on (one number per connection
    this transport opened), so a client can tell which request came before it there;
    ``stray`` is the start of what the server sent after the answer had ended, unasked.
    """

    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined by ", "
    body: bytes
    problem: str | None = None
    connection: int = 0
    stray: bytes = b""


class NoAnswer(Exception):
    """No status line and headers arrived; the message says why, briefly, and ``kind`` names
    the cause in one word for the preflight (see ``classify``)."""

    def __init__(self, message: str, kind: str, connection: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.connection = connection  # the connection it was sent on (0: none was open)


class _Response(http.client.HTTPResponse):
    """An answer that notices bytes the server sent after it ended.

    http.client reads through a buffer and drops what is left in it when an answer ends, so an
    extra answer in the same packet would vanish, and one in the next packet would be taken
    for the answer to the next request. Looking, without waiting, at what is buffered or
    already arrived when the answer ends tells the two apart from a server that is in step.
    """

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._kv_sock = sock
        self.stray = b""

    def _close_conn(self) -> None:
        reader = self.fp
        if reader is not None and not self.will_close:
            timeout = self._kv_sock.gettimeout()
            try:
                self._kv_sock.setblocking(False)
                self.stray = reader.peek(1)[:STRAY_PREVIEW_BYTES]
            except (OSError, ValueError):  # nothing there (TLS says so with an error)
                self.stray = b""
            finally:
                with contextlib.suppress(OSError):
                    self._kv_sock.settimeout(timeout)
        super()._close_conn()  # type: ignore[misc]


class Connections:
    """Keep-alive HTTP/1.1 connections, one per origin, each request under the watchdog.

    Not thread-safe: each thread uses its own client. Redirects are never followed (http.client
    has no such feature). Trust and proxy come from the ``Network`` (itself read once from the
    options and the environment); nothing else does: no .netrc.
    """

    def __init__(
        self, watchdog: Watchdog, network: Network, numbers: Callable[[], int] | None = None
    ) -> None:
        self._watchdog = watchdog
        self._network = network
        self._open: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._numbers: dict[tuple[str, str, int], int] = {}  # the open connections' numbers
        self._opened = 0
        # Where a new connection's number comes from (the run's, so that numbers are unique
        # across threads and clients); default: this transport's own count.
        self._next_number = numbers or self._count

    def _count(self) -> int:
        self._opened += 1
        return self._opened

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        *,
        timeout: float,
        max_bytes: int,
    ) -> Answer:
        """One exchange, all of it within ``timeout`` seconds; raises ``NoAnswer``."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "", parts.port or _DEFAULT_PORTS[parts.scheme])
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        proxy = self._network.proxy_for(origin[0], origin[1])
        sent = {**_ALWAYS, **headers}
        if proxy is not None and origin[0] == "http":
            # A plain-HTTP request through a proxy names the whole URL; https is tunnelled.
            target = f"http://{parts.netloc}{target}"
            if proxy.authorization:
                sent["Proxy-Authorization"] = proxy.authorization
        finish_by = time.monotonic() + timeout
        self._watchdog.begin(finish_by)
        try:
            number = 0
            try:
                connection = self._connection(origin, proxy, timeout)
                if connection.sock is None:  # new, or closed by the server after an answer
                    self._numbers[origin] = self._next_number()
                    connection.connect()
                number = self._numbers[origin]
                connection.sock.settimeout(timeout)
                self._watchdog.arm(connection.sock)
                # A server may answer (413, say) and close before reading all of a body; its
                # answer is still there to read (urllib3 does the same).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    connection.request(method, target, body=body, headers=sent)
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                self._drop(origin)
                kind, cause = self._cause(error, timeout, proxy)
                raise NoAnswer(cause, kind, number) from error
            try:
                answer = replace(_read(response, finish_by, max_bytes), connection=number)
            except (OSError, http.client.HTTPException) as error:
                kind, cause = self._cause(error, timeout, proxy)
                if kind == "timeout":
                    # The head came in time and the rest did not: one wording, whichever
                    # noticed it first (the socket's timeout, the watchdog or the deadline).
                    cause = f"no complete answer within {timeout:g} s"
                answer = Answer(response.status, {}, b"", cause, number)
        except BaseException:
            # Interrupted (Ctrl-C; Locust kills users mid-request when a load test ends): the
            # connection is in the middle of an exchange and cannot carry the next one.
            self._drop(origin)
            raise
        finally:
            self._watchdog.end()
        stray = getattr(response, "stray", b"")
        if answer.problem is not None or stray:
            # The rest of that answer, or what came unasked, would be read as the next one.
            self._drop(origin)
        return replace(answer, stray=stray) if stray else answer

    def _cause(self, error: BaseException, timeout: float, proxy: Proxy | None) -> tuple[str, str]:
        if self._watchdog.fired:
            return "timeout", f"no complete answer within {timeout:g} s"
        kind, cause = classify(error)
        if proxy is not None and kind in ("refused", "dns"):
            # Only the proxy is connected to: the server's own name is the proxy's to find.
            return "proxy-unreachable", f"{cause}, at the proxy {proxy.host}:{proxy.port}"
        return kind, cause

    def _connection(
        self, origin: tuple[str, str, int], proxy: Proxy | None, timeout: float
    ) -> http.client.HTTPConnection:
        connection = self._open.get(origin)
        if connection is not None and connection.sock is not None and _dropped(connection.sock):
            # The server closed it while idle (or sent something unasked): start afresh.
            connection.close()
        if connection is None:
            scheme, host, port = origin
            near, near_port = (host, port) if proxy is None else (proxy.host, proxy.port)
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    near, near_port, timeout=timeout, context=self._network.context
                )
                if proxy is not None:
                    # CONNECT through the proxy; TLS (and its name check) is with the server.
                    tunnel = {"Proxy-Authorization": proxy.authorization or ""}
                    connection.set_tunnel(
                        host, port, headers=tunnel if proxy.authorization else None
                    )
            else:
                connection = http.client.HTTPConnection(near, near_port, timeout=timeout)
            connection.response_class = _Response
            self._open[origin] = connection
        connection.timeout = timeout
        return connection

    def _drop(self, origin: tuple[str, str, int]) -> None:
        connection = self._open.pop(origin, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for origin in list(self._open):
            self._drop(origin)


_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# http.client adds Host, Content-Length and Accept-Encoding: identity itself.
_ALWAYS: Final = {"User-Agent": USER_AGENT}
_CAUSES: tuple[tuple[type[BaseException], str, str], ...] = (
    (ConnectionRefusedError, "refused", "connection refused"),
    # RemoteDisconnected (closed before any answer) is a ConnectionResetError too.
    (ConnectionResetError, "reset", "connection reset by the server"),
    (socket.gaierror, "dns", "host name not found"),
    (TimeoutError, "timeout", "timed out"),
    (http.client.IncompleteRead, "cut-off", "the answer was cut off"),
    (http.client.LineTooLong, "garbled", "a line of the answer's head was too long"),
    (http.client.BadStatusLine, "garbled", "the answer did not start with an HTTP status line"),
)
# OpenSSL's certificate verification codes (X509_V_ERR_*) by what they mean to a user.
_EXPIRED_CODES: Final = frozenset({9, 10})  # not yet valid, expired
_NAME_MISMATCH_CODES: Final = frozenset({62, 64})  # host name, IP address
# Fragments of OpenSSL's reasons (ssl.SSLError.reason) for a failed handshake.
_PLAIN_HTTP_REASONS: Final = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE")
_PROTOCOL_REASONS: Final = ("PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS", "VERSION")
_CLIENT_CERT_REASONS: Final = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA")


def describe(error: BaseException) -> str:
    """A short cause: library messages are long and name internals."""
    return classify(error)[1]


def classify(error: BaseException) -> tuple[str, str]:
    """The cause of a failed exchange: a kind (one word, for the preflight) and a short text."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return _tls_cause(cause)
        if isinstance(cause, OSError) and str(cause).startswith("Tunnel connection failed"):
            # http.client's CONNECT: "Tunnel connection failed: 407 Proxy Authentication ..."
            status = str(cause).partition(":")[2].strip()
            return "proxy-refused", f"the proxy refused the tunnel ({status})"
        for kind, name, text in _CAUSES:
            if isinstance(cause, kind):
                return name, text
        cause = cause.__cause__ or cause.__context__ or _first_arg_exception(cause)
    return "other", type(error).__name__


def _tls_cause(error: ssl.SSLError) -> tuple[str, str]:
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or error.reason or "verification failed"
        if error.verify_code in _EXPIRED_CODES:
            return "tls-expired", f"the server's certificate is out of date ({detail})"
        if error.verify_code in _NAME_MISMATCH_CODES:
            return "tls-name", f"the server's certificate is for another name ({detail})"
        return "tls-untrusted", f"the server's certificate is not trusted ({detail})"
    reason = (error.reason or "").upper()
    detail = (error.reason or str(error)).lower().replace("_", " ")
    if any(fragment in reason for fragment in _PLAIN_HTTP_REASONS):
        return "tls-plain", f"the server did not speak TLS ({detail})"
    if any(fragment in reason for fragment in _CLIENT_CERT_REASONS):
        return "tls-client-cert", f"the server refused the TLS client ({detail})"
    if any(fragment in reason for fragment in _PROTOCOL_REASONS):
        return "tls-protocol", f"no TLS version in common ({detail})"
    return "tls", f"the TLS handshake failed ({detail})"


def _first_arg_exception(error: BaseException) -> BaseException | None:
    # Some libraries keep the underlying error as an argument or a `reason`.
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    return next((arg for arg in error.args if isinstance(arg, BaseException)), None)


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle keep-alive socket is readable: closed by the server, or garbage."""
    if hasattr(select, "poll"):  # no limit on descriptor numbers, unlike select()
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


def _read(response: http.client.HTTPResponse, finish_by: float, max_bytes: int) -> Answer:
    """The answer, its body read within ``max_bytes`` and by ``finish_by``."""
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    chunks: list[bytes] = []
    size = 0
    problem: str | None = None
    # Each read returns data or ends the body (the response closes itself at its end).
    while not response.isclosed():
        chunk = response.read(READ_CHUNK_BYTES)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            problem = f"the answer's body exceeded {max_bytes} bytes"
            break
        if time.monotonic() > finish_by:
            raise TimeoutError("the answer's deadline passed")
    else:
        if response.length:  # Content-Length promised more than came before the close
            problem = "the answer was cut off"
    if problem is not None:
        return Answer(response.status, headers, b"", problem)
    return Answer(response.status, headers, b"".join(chunks))
