"""HTTP framing the reference server must get right beyond the upstream table."""

from __future__ import annotations

import socket

from conformance.reference import KV_PATH, ReferenceServer
from tests.support.http import RawClient

AUTH = {"Authorization": "Bearer tok-alice"}


def raw_exchange(server: ReferenceServer, request: bytes) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_chunked_body_is_accepted(reference: ReferenceServer, client: RawClient) -> None:
    request = (
        f"PUT {KV_PATH}/chunked HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
    ).encode()
    assert raw_exchange(reference, request).startswith(b"HTTP/1.1 200 ")
    assert client.request("GET", f"{KV_PATH}/chunked", headers=AUTH).body == b"[1,2]"


def test_huge_declared_body_is_refused_without_reading_it(reference: ReferenceServer) -> None:
    request = (
        f"POST {KV_PATH}/huge HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n"
        "Content-Length: 1000000000\r\n\r\n"
    ).encode()
    reply = raw_exchange(reference, request)
    assert reply.startswith(b"HTTP/1.1 500 ")
    assert b"Connection: close" in reply
    assert reply.endswith(b"size limit of 8Kb exceeded\n")


def test_bad_content_length_is_400(reference: ReferenceServer) -> None:
    request = f"POST {KV_PATH}/k HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".encode()
    assert raw_exchange(reference, request).startswith(b"HTTP/1.1 400 ")


def test_bad_percent_escape_is_400(client: RawClient) -> None:
    assert client.request("GET", f"{KV_PATH}/a%zz", headers=AUTH).status == 400


def test_absolute_form_target(reference: ReferenceServer, client: RawClient) -> None:
    client.request("POST", f"{KV_PATH}/abs", body=b"1", headers=AUTH)
    reply = client.request("GET", f"{reference.url}{KV_PATH}/abs", headers=AUTH)
    assert (reply.status, reply.body) == (200, b"1")


def test_head_answers_405_without_body(client: RawClient) -> None:
    reply = client.request("HEAD", f"{KV_PATH}/k", headers=AUTH)
    assert (reply.status, reply.body, reply.headers["allow"]) == (
        405,
        b"",
        "GET, POST, PUT, DELETE",
    )


def test_keep_alive_serves_many_requests_on_one_connection(client: RawClient) -> None:
    for number in range(50):
        client.request("POST", f"{KV_PATH}/n", body=str(number).encode(), headers=AUTH)
    assert client.request("GET", f"{KV_PATH}/n", headers=AUTH).body == b"49"


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = ReferenceServer(["t"]).start()
    idle = RawClient(server.url)
    idle.request("GET", f"{KV_PATH}/k", headers={"Authorization": "Bearer t"})
    server.stop()  # the autouse fixture checks that no server thread is left
    idle.close()


def test_header_reads_are_bounded(reference: ReferenceServer) -> None:
    too_many = "".join(f"X-Filler-{n}: {n}\r\n" for n in range(150))
    request = f"GET {KV_PATH}/k HTTP/1.1\r\nHost: x\r\n{too_many}\r\n".encode()
    assert raw_exchange(reference, request).startswith(b"HTTP/1.1 431 ")
    long_line = f"GET {KV_PATH}/{'k' * 70_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert raw_exchange(reference, long_line).startswith(b"HTTP/1.1 414 ")
    long_header = f"GET {KV_PATH}/k HTTP/1.1\r\nX-Long: {'v' * 70_000}\r\n\r\n".encode()
    assert raw_exchange(reference, long_header).startswith(b"HTTP/1.1 431 ")
