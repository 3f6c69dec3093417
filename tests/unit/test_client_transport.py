"""The client against hostile transports: no redirect followed, no answer read past its
time or size limit, and what went wrong said plainly."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from conformance.client import MAX_ANSWER_BYTES, Exchange, KVClient
from conformance.reference import ReferenceServer

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
