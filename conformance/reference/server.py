"""The HTTP transport of the reference server, and ``ReferenceServer`` to run it from Python.

Stack: the standard library's threading HTTP server, one thread per connection. It needs no
dependency, handles 50 keep-alive clients with a thread each, lets SQLite calls block without
stalling other clients, and gives byte-level control of every response (later transport faults
need that). Two settings make it fast enough: Nagle's algorithm off, and each response written
with a single ``send`` (otherwise Nagle plus delayed ACK costs ~40 ms a request on loopback).
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import socket
import struct
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from conformance.reference.faults import Faults
from conformance.reference.identities import Identity, parse_token_specs
from conformance.reference.service import (
    KV_PATH,
    MAX_VALUE_BYTES,
    KVService,
    Request,
    Response,
)
from conformance.reference.store import Store, open_store

# Bodies up to this size are read whole (a value is at most 8 KiB; larger ones are only read
# to answer them properly). Beyond it the server answers without reading and closes.
BODY_READ_LIMIT = 1 << 20
IDLE_TIMEOUT_SECONDS = 120.0
JOIN_TIMEOUT_SECONDS = 5.0
# How often the accept loop checks for stop(): bounds how long stop() takes.
POLL_SECONDS = 0.02
# Transport faults: how long a hung answer waits (cut short by stop()), the pace of a drip,
# how much of a never-ending body is sent at most, and where a redirect points.
HANG_SECONDS = 600.0
DRIP_SECONDS = 0.3
ENDLESS_LIMIT_BYTES = 256 << 20
REDIRECT_LOCATION = "http://127.0.0.1:1/moved"
TEXT = "text/plain; charset=utf-8"
JSON_TYPE = "application/json"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS
    server: _HTTPServer

    def handle_one_request(self) -> None:
        # The stdlib dispatches to do_<METHOD> and answers 501 to others; upstream answers
        # every method on a KV route (405 where unsupported), so all methods go to _serve.
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                # What send_error logs and checks, as the stdlib sets it before answering 414.
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._serve()
        except (TimeoutError, ConnectionError):
            # An idle connection timed out, or the client reset or left it: nothing to answer.
            self.close_connection = True

    def _serve(self) -> None:
        if self.server.service.faults.unread_body_on_401 and self._unread_body_refused():
            refused = self.server.service.refusal(self._request(b""))
            if refused is not None and refused.status == 401:
                self._write(refused)  # the body is left unread, the connection open
                return
        body = self._read_body()
        if body is None:
            return
        self.server.delay_answer()
        faults = self.server.service.faults
        number = self.server.next_request_number()
        every_40th = number % 40 == 0
        if faults.hang_every_40th and every_40th:
            self.server.stopping.wait(HANG_SECONDS)
            self.close_connection = True
            return
        if faults.reset_every_40th and every_40th:
            # Linger 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if faults.unavailable_every_50th and number % 50 == 0:
            self._write(Response(503, b"service unavailable\n", TEXT))
            return
        if faults.redirect_every_40th and every_40th:
            self._write(Response(307, headers=(("Location", REDIRECT_LOCATION),)))
            return
        try:
            response = self.server.service.handle(self._request(body))
        except Exception:
            self.server.record_error(traceback.format_exc())
            response = Response(500, b"internal error\n", TEXT)
        if every_40th and (faults.truncated_every_40th or faults.long_content_length_every_40th):
            # Declare more than is sent; then close, or leave the client waiting.
            extra = 20 if faults.truncated_every_40th else 10
            self.close_connection = faults.truncated_every_40th
            self._write(response, declared_extra=extra)
            return
        if every_40th and faults.endless_every_40th:
            self._write_endless(response)
            return
        if every_40th and faults.drip_every_40th:
            self._write(response, drip=True)
            return
        self._write(response)

    def _unread_body_refused(self) -> bool:
        """Whether the unread-body-on-401 fault applies: a body the size check would let
        through (upstream checks the size before the credentials, and so does the fault)."""
        length = self.headers.get("Content-Length", "")
        return length.isdigit() and 0 < int(length) <= MAX_VALUE_BYTES

    def _request(self, body: bytes) -> Request:
        return Request(
            method=self.command,
            target=self.path.encode("latin-1"),  # http.server decoded the line as Latin-1
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )

    def _write_endless(self, response: Response) -> None:
        """A body without length that goes on until the client gives up (or a limit)."""
        self.close_connection = True
        head = f"HTTP/1.1 {response.status} OK\r\nContent-Type: {JSON_TYPE}\r\n"
        self.wfile.write((head + "Connection: close\r\n\r\n").encode("latin-1"))
        chunk = b" " * 65536
        with contextlib.suppress(OSError):  # the client hung up: the point of this fault
            for _ in range(ENDLESS_LIMIT_BYTES // len(chunk)):
                if self.server.stopping.is_set():
                    break
                self.wfile.write(chunk)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a request whose framing is broken."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        if not length_header.isdigit():
            self._reject(400, b"bad Content-Length\n")
            return None
        length = int(length_header)
        if length > BODY_READ_LIMIT:
            # Answer as an oversize value would be answered, without reading it, then close.
            self.close_connection = True
            return b"\0" * BODY_READ_LIMIT
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self._reject(400, b"bad chunk\n")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > BODY_READ_LIMIT:
                self.close_connection = True
                return b"\0" * BODY_READ_LIMIT
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)  # CRLF after the chunk

    def _reject(self, status: int, body: bytes) -> None:
        self.close_connection = True
        self._write(Response(status, body, "text/plain; charset=utf-8"))

    def _write(self, response: Response, *, declared_extra: int = 0, drip: bool = False) -> None:
        head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}"]
        head.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if response.content_type:
            head.append(f"Content-Type: {response.content_type}")
        head.extend(f"{name}: {value}" for name, value in response.headers)
        head.append(f"Content-Length: {len(response.body) + declared_extra}")
        if self.close_connection:
            head.append("Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        faults = self.server.service.faults
        if faults.extra_answer_after_delete and self.command == "DELETE":
            payload += payload
        if drip:
            with contextlib.suppress(OSError):  # the client gave up: the point of this fault
                for index in range(len(payload)):
                    if self.server.stopping.wait(DRIP_SECONDS):
                        break
                    self.wfile.write(payload[index : index + 1])
            self.close_connection = True
            return
        self.wfile.write(payload)  # one write: see the module docstring
        if self.server.access_log:
            self.log_request(response.status)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.server.access_log:
            super().log_message(format, *args)


class Latency:
    """A delay before every answer, as a server across a network adds: ``seconds`` each,
    plus up to ``jitter`` more, drawn uniformly from a seeded generator (a rehearsal of a
    remote target is repeatable)."""

    def __init__(self, seconds: float, jitter: float = 0.0, seed: int = 0) -> None:
        if seconds < 0 or jitter < 0:
            raise ValueError("a latency and its jitter cannot be negative")
        self.seconds = seconds
        self.jitter = jitter
        self._random = random.Random(seed)

    def draw(self) -> float:
        """The next answer's delay (not thread-safe: the server draws under its lock)."""
        return self.seconds + (self._random.uniform(0.0, self.jitter) if self.jitter else 0.0)


class _HTTPServer(ThreadingHTTPServer):
    # The stdlib default of 5 queued connections resets clients under a burst of 50.
    request_queue_size = 512
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        service: KVService,
        *,
        access_log: bool = False,
        latency: Latency | None = None,
    ) -> None:
        self.service = service
        self.access_log = access_log
        self.latency = latency
        self.errors: list[str] = []
        self.stopping = threading.Event()  # cuts short the transport faults' waits
        self._requests = 0
        self._connections: set[socket.socket] = set()  # open, to wake at close
        # Connection threads not known to have ended. A thread outlives its connection's
        # entry (shutdown_request comes before it returns), so the threads are kept apart.
        self._serving: list[threading.Thread] = []  # (ThreadingMixIn has its own _threads)
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"kv-reference-{client_address}",
            daemon=True,
        )
        with self._lock:
            self._connections.add(request)
            self._serving = [running for running in self._serving if running.is_alive()]
            self._serving.append(thread)
        thread.start()

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def delay_answer(self) -> None:
        """Hold the answer for the simulated network's latency (cut short by stop())."""
        if self.latency is not None:
            with self._lock:
                seconds = self.latency.draw()
            self.stopping.wait(seconds)

    def next_request_number(self) -> int:
        with self._lock:
            self._requests += 1
            return self._requests

    def record_error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def close_connections(self) -> None:
        """Wake every connection thread (idle keep-alive ones block in a read) and join it."""
        self.stopping.set()
        with self._lock:
            connections = list(self._connections)
            threads = list(self._serving)
        for sock in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(JOIN_TIMEOUT_SECONDS)


class ReferenceServer:
    """The reference KV server on a background thread.

    >>> with ReferenceServer(["token-a", "token-b"]) as server:
    ...     server.url  # doctest: +ELLIPSIS
    'http://127.0.0.1:...'
    """

    def __init__(
        self,
        tokens: Mapping[str, Identity] | Sequence[str],
        *,
        store: Store | str = "memory",
        faults: Faults | Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = False,
        kv_path: str = KV_PATH,
        latency: Latency | None = None,
    ) -> None:
        self.tokens = dict(tokens) if isinstance(tokens, Mapping) else parse_token_specs(tokens)
        self.faults = faults if isinstance(faults, Faults) else Faults.from_names(faults)
        # A store given as an object belongs to the caller, who may reuse it after stop().
        self._owns_store = isinstance(store, str)
        self.store = open_store(store) if isinstance(store, str) else store
        self._address = (host, port)
        self._access_log = access_log
        self.kv_path = kv_path.rstrip("/")  # "/" (the root) becomes ""
        self.latency = latency
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the site (the KV routes are under ``kv_url``)."""
        host, port = self._running().server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def kv_url(self) -> str:
        return self.url + self.kv_path

    @property
    def errors(self) -> list[str]:
        """Tracebacks of exceptions raised while serving (each answered 500)."""
        return list(self._running().errors)

    def start(self) -> Self:
        """Bind (port 0 picks a free port) and serve on a background thread."""
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            args=(POLL_SECONDS,),
            name="kv-reference-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self, ready: Callable[[str], None] = lambda url: None) -> None:
        """Bind, call ``ready(url)``, and serve on the calling thread until interrupted."""
        httpd = self._bind()
        try:
            ready(self.url)
            httpd.serve_forever(POLL_SECONDS)
        finally:
            self._close()

    def _bind(self) -> _HTTPServer:
        if self._httpd is not None:
            raise RuntimeError("the reference server is already running")
        service = KVService(self.tokens, self.store, self.faults, self.kv_path)
        self._httpd = _HTTPServer(
            self._address, service, access_log=self._access_log, latency=self.latency
        )
        return self._httpd

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_SECONDS)
        self._close()

    def _close(self) -> None:
        assert self._httpd is not None
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._owns_store:
            self.store.close()
        self._httpd = None
        self._thread = None

    def _running(self) -> _HTTPServer:
        if self._httpd is None:
            raise RuntimeError("the reference server is not running; call start() first")
        return self._httpd

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
