"""The client against hostile transports: no redirect followed, no answer read past its
time or size limit, and what went wrong said plainly."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import trustme

from conformance.engine.clock import RunClock
from conformance.engine.failures import OutOfTime
from conformance.reference import ReferenceServer
from conformance.wire import transport
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange
from conformance.wire.transport import MAX_ANSWER_BYTES

TOKEN = "transport-secret"


@pytest.fixture
def trap() -> Iterator[socket.socket]:
    """A listening socket no request should ever reach."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    yield listener
    listener.close()


def test_redirect_is_reported_not_followed(trap: socket.socket) -> None:
    location = f"http://127.0.0.1:{trap.getsockname()[1]}/stolen"

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.handle_request, name="redirecting-server")
    thread.start()
    client = KVClient(f"http://127.0.0.1:{server.server_port}", TOKEN)
    exchange = client.send("GET", "k")
    client.close()
    thread.join()
    server.server_close()
    assert exchange.status == 307
    assert exchange.response_headers["location"] == location
    with pytest.raises(BlockingIOError):  # nobody knocked: the token stayed home
        trap.accept()


def nth_answer(fault: str, timeout: float = 1.0) -> Exchange:
    """The 40th exchange with a server that has a transport fault on every 40th request."""
    with ReferenceServer([TOKEN], faults=[fault]) as server:
        client = KVClient(server.url, TOKEN, timeout=timeout)
        for _ in range(39):
            assert client.send("GET", "k").status == 200
        exchange = client.send("GET", "k")
        client.close()
    return exchange


def test_dripping_answer_is_cut_off_at_the_timeout() -> None:
    # Each byte comes within the socket timeout; only the watchdog's cut-off ends the wait
    # (the whole drip would take about a minute), and this error says it fired.
    exchange = nth_answer("drip-every-40th")
    assert exchange.status is None
    assert exchange.error == "no complete answer within 1 s"


def test_endless_answer_is_read_no_further_than_the_limit() -> None:
    exchange = nth_answer("endless-every-40th", timeout=30)
    assert exchange.status is None
    assert exchange.error == (
        f"the answer's body exceeded {MAX_ANSWER_BYTES} bytes (after status 200)"
    )


def test_truncated_and_reset_answers_are_named() -> None:
    truncated = nth_answer("truncated-every-40th")
    assert truncated.status is None
    assert truncated.error is not None
    assert "cut off" in truncated.error
    reset = nth_answer("reset-every-40th")
    assert reset.status is None
    assert reset.error is not None
    assert "reset" in reset.error


class RawServer:
    """Answers each of ``answers`` on a connection of its own, with bytes given verbatim,
    after reading the request's head (not its body); then closes that connection and sets
    the answer's event in ``closed``."""

    def __init__(self, answers: list[bytes]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._answers = answers
        self.closed = [threading.Event() for _ in answers]
        self._thread = threading.Thread(target=self._serve, name="raw-server")
        self._thread.start()

    def _serve(self) -> None:
        for answer, closed in zip(self._answers, self.closed, strict=True):
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by close(): a request the test expected never came
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head and (more := connection.recv(65536)):
                    head += more
                connection.sendall(answer)
            closed.set()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes a pending accept() (Linux)
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join()


def test_a_connection_the_server_closed_is_replaced() -> None:
    # No "Connection: close": only the closed socket says the connection cannot be reused.
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    server = RawServer([ok, ok])
    client = KVClient(server.url, TOKEN, timeout=5)
    first = client.send("GET", "k")
    assert first.status == 200
    assert server.closed[0].wait(timeout=5)
    second = client.send("GET", "k")
    client.close()
    server.close()
    assert (second.status, second.response_body, second.error) == (200, b"{}", None)


def test_an_answer_before_the_whole_body_was_read_is_kept() -> None:
    refused = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    server = RawServer([refused])
    client = KVClient(server.url, TOKEN, timeout=5)
    # Far more than the socket buffers hold: sending fails once the server has closed.
    exchange = client.send("POST", "k", body=b"1" * (64 << 20))
    client.close()
    server.close()
    assert (exchange.status, exchange.error) == (413, None)


def test_repeated_headers_are_joined() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVary: Accept\r\nVary: Authorization\r\n"
        b"Connection: close\r\n\r\n{}"
    )
    server = RawServer([answer])
    client = KVClient(server.url, TOKEN, timeout=5)
    exchange = client.send("GET", "k")
    client.close()
    server.close()
    assert exchange.response_headers["vary"] == "Accept, Authorization"


def test_an_answer_without_length_is_read_to_the_close() -> None:
    server = RawServer([b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[1,2]"])
    client = KVClient(server.url, TOKEN, timeout=5)
    exchange = client.send("GET", "k")
    client.close()
    server.close()
    assert (exchange.status, exchange.response_body) == (200, b"[1,2]")


def test_a_request_cut_short_by_the_runs_deadline_is_not_the_servers_fault() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    # The checks' deadline 0.24 s from now: 2.8 s, less the 2 s margin and a fifth for cleanup.
    client = KVClient(url, TOKEN, timeout=30, budget=RunClock(2.8))
    with pytest.raises(OutOfTime):  # its timeout was shortened to end at the deadline
        client.send("GET", "k")
    with pytest.raises(OutOfTime):  # past it, nothing is sent
        client.send("GET", "k")
    client.close()
    # The same silence within --kv-timeout is the server's: no answer.
    client = KVClient(url, TOKEN, timeout=0.3, budget=RunClock(60))
    exchange = client.send("GET", "k")
    client.close()
    silent.close()
    assert exchange.status is None
    assert exchange.error in ("timed out", "no complete answer within 0.3 s")


def test_a_connection_interrupted_mid_exchange_is_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Locust ends a load test by killing its users, some in the middle of a request.
    with ReferenceServer([TOKEN]) as server:
        client = KVClient(server.url, TOKEN, timeout=5)
        assert client.send("GET", "k").status == 200

        def interrupted(*args: object) -> None:
            raise KeyboardInterrupt

        with monkeypatch.context() as patch:
            patch.setattr(transport, "_read", interrupted)
            with pytest.raises(KeyboardInterrupt):
                client.send("GET", "k")
        # The answer to the interrupted request was never read; a new connection is used.
        exchange = client.send("DELETE", "k")
        client.close()
    assert (exchange.status, exchange.error) == (200, None)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_a_server_of_old_tls_versions_only_is_named_as_such() -> None:
    authority = trustme.CA()
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost").configure_cert(server_side)
    server_side.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 allows TLS 1.1 only so
    server_side.minimum_version = ssl.TLSVersion.TLSv1
    server_side.maximum_version = ssl.TLSVersion.TLSv1_1
    listener = socket.create_server(("127.0.0.1", 0))

    def handshake() -> None:
        connection, _ = listener.accept()
        with contextlib.suppress(ssl.SSLError), connection:
            server_side.wrap_socket(connection, server_side=True)

    thread = threading.Thread(target=handshake, name="old-tls")
    thread.start()
    client = KVClient(f"https://localhost:{listener.getsockname()[1]}", TOKEN)
    try:
        exchange = client.send("GET", "key")
    finally:
        client.close()
        thread.join()
        listener.close()
    assert exchange.error_kind == "tls-protocol"
    assert str(exchange.error).startswith("no TLS version in common")
