"""Answers that belong to another request: the peek at what follows an answer, the resend
that confirms a misread, the plain-words diagnosis and the reproduction on one connection."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme

from conformance.reference import Identity, ReferenceServer
from conformance.wire.client import KVClient
from conformance.wire.exchange import Exchange, curl_on_one_connection
from conformance.wire.framing import out_of_step, suspect
from conformance.wire.network import Network, NetworkOptions

TOKEN = "framing-secret-token"
URL = "http://kv.example/plugins/com.mattermost.apps/api/v1/kv/k"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
EXTRA = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def _exchange(
    method: str = "GET", status: int | None = 200, body: bytes | None = None, **more: object
) -> Exchange:
    headers = (("Authorization", "Bearer $KV_TOKEN"),)
    return Exchange(method, URL, headers, body, status, **more)  # type: ignore[arg-type]


# -- the diagnosis ---------------------------------------------------------------------------


def test_an_error_status_after_a_refused_body_is_suspect_and_explained() -> None:
    refused = _exchange("POST", 401, b'"intruder"')
    after = _exchange("GET", 405, previous=refused)
    assert suspect(after)
    note = out_of_step(after)
    assert note is not None
    assert f"POST {URL} (answered 401) with a 10-byte body" in note
    assert note.endswith("(HTTP-02)")


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        (_exchange("POST", 200, b'"served"'), 405),  # served: its body was read
        (_exchange("GET", 401), 405),  # no body to leave unread
        (_exchange("POST", 401, b'"intruder"'), 200),  # an answer of the request's own kind
        (None, 501),  # the first request on its connection
    ],
)
def test_other_sequences_are_not_suspect(previous: Exchange | None, status: int) -> None:
    after = _exchange("GET", status, previous=previous)
    assert not suspect(after)
    assert out_of_step(after) is None


def test_bytes_after_an_answer_are_named() -> None:
    note = out_of_step(_exchange("DELETE", 200, stray=repr(EXTRA.decode())))
    assert note is not None
    assert "after this answer had ended the server sent more, unasked" in note
    assert "HTTP/1.1 200 OK" in note


def test_the_reproduction_goes_over_one_connection() -> None:
    refused = _exchange("POST", 401, b'"intruder"')
    binary = _exchange("POST", 400, b"\xff\x00")
    line = curl_on_one_connection([refused, binary, _exchange()])
    assert line.startswith("curl -sS -i -X POST ")
    assert line.count(" --next ") == 2
    assert "--data-binary '\"intruder\"'" in line
    # A body that is not text comes from a process substitution, not from a pipe (one
    # standard input cannot feed several requests).
    assert "--data-binary @<(python3 -c " in line
    assert '"Authorization: Bearer $KV_TOKEN"' in line


# -- the peek and the resend, over real connections -----------------------------------------


class KeptAliveServer:
    """Serves ``answers`` in turn on one kept-alive connection (each after reading a request's
    head and body), optionally over TLS, then on a second connection answers OK to all."""

    def __init__(self, answers: list[bytes], context: ssl.SSLContext | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._answers = answers
        self._context = context
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, name="kept-alive-server")
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            for answers in (self._answers, None):
                raw, _ = self.listener.accept()
                self.connections += 1
                connection = (
                    raw
                    if self._context is None
                    else self._context.wrap_socket(raw, server_side=True)
                )
                with connection:
                    reader = connection.makefile("rb")
                    for answer in answers or iter(lambda: OK, None):
                        if not _read_request(reader):
                            break
                        connection.sendall(answer)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes a pending accept() (Linux)
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join()


def _read_request(reader: object) -> bool:
    readline = reader.readline  # type: ignore[attr-defined]
    length = 0
    line = readline()
    if not line:
        return False
    while (line := readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    reader.read(length)  # type: ignore[attr-defined]
    return True


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


def _serve(
    scheme: str, authority: trustme.CA, answers: list[bytes]
) -> tuple[KeptAliveServer, KVClient]:
    if scheme == "http":
        server = KeptAliveServer(answers)
        return server, KVClient(f"http://127.0.0.1:{server.port}", TOKEN, timeout=5)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost").configure_cert(context)
    server = KeptAliveServer(answers, context)
    with authority.cert_pem.tempfile() as bundle:
        network = Network(NetworkOptions(ca_bundle=bundle))
        _ = network.context  # loaded now, while the file exists
    client = KVClient(f"https://localhost:{server.port}", TOKEN, timeout=5, network=network)
    return server, client


@contextlib.contextmanager
def _served(scheme: str, authority: trustme.CA, answers: list[bytes]) -> Iterator[KVClient]:
    server, client = _serve(scheme, authority, answers)
    try:
        yield client
    finally:
        client.close()
        server.close()


def test_an_extra_answer_in_the_same_write_is_seen_and_not_taken_for_the_next(
    scheme: str, authority: trustme.CA
) -> None:
    with _served(scheme, authority, [OK + EXTRA, OK]) as client:
        first = client.send("DELETE", "k")
        second = client.send("GET", "k")
    assert first.status == 200
    assert "HTTP/1.1 200 OK" in first.stray
    # The connection that carried the extra answer was dropped: the next request had its own.
    assert (second.status, second.response_body, second.previous) == (200, b"{}", None)


def test_nothing_is_seen_after_an_answer_on_a_quiet_connection(
    scheme: str, authority: trustme.CA
) -> None:
    with _served(scheme, authority, [OK, OK]) as client:
        first = client.send("GET", "k")
        second = client.send("GET", "k")
    assert (first.stray, second.stray) == ("", "")
    assert second.previous is not None  # the same connection carried both
    assert second.misread is None


TOKENS = {"tok-a": Identity("a")}


def test_a_misread_answer_is_confirmed_on_a_fresh_connection() -> None:
    with ReferenceServer(TOKENS, faults=["unread-body-on-401"]) as server:
        client = KVClient(server.url, "tok-a", timeout=5)
        assert client.send("POST", "k", body=b'"kept"').status == 200
        refused = client.send("POST", "k", body=b'"intruder"', authorization=None)
        read = client.send("GET", "k")
        client.close()
    assert refused.status == 401
    assert (read.status, read.response_body) == (200, b'"kept"')
    assert read.misread is not None
    assert read.misread.status == 405  # the body, read as a method: '"intruder"GET'
    assert out_of_step(read.misread) is not None


def test_a_refusal_after_a_refusal_is_its_own_answer() -> None:
    with ReferenceServer(TOKENS) as server:
        client = KVClient(server.url, "tok-a", timeout=5)
        first = client.send("POST", "k", body=b"{")
        second = client.send("POST", "k", body=b"{")
        third = client.send("GET", "k")
        client.close()
    assert (first.status, second.status) == (400, 400)
    # Sent again on a fresh connection, answered alike: no misread.
    assert second.misread is None
    assert third.misread is None
    assert third.previous is not None
    assert third.previous.status == 400
