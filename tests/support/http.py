"""A raw HTTP client for the project's own tests.

``requests`` normalises URLs (it turns ``%41`` into ``A``), which would hide exactly the key
handling under test, so this sends the request-target byte for byte with ``http.client``.
"""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    method: str
    target: str
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def __str__(self) -> str:
        return f"{self.method} {self.target} -> {self.status} {self.body[:200]!r}"


class RawClient:
    """One keep-alive connection to a server; reconnects if the server closed it."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        split = urlsplit(base_url)
        self.host = split.hostname or "127.0.0.1"
        self.port = split.port or 80
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send ``target`` (an absolute path, already percent-encoded) exactly as given."""
        for attempt in (1, 2):
            connection = self._connection or http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
            self._connection = connection
            try:
                connection.request(method, target, body=body, headers=dict(headers or {}))
                response = connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected):
                self.close()
                if attempt == 2:
                    raise
                continue
            reply = Reply(
                method,
                target,
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                data,
            )
            if response.will_close:
                self.close()
            return reply
        raise AssertionError("unreachable")

    def pipelined(self, *requests: bytes) -> list[tuple[int, bytes]]:
        """Send whole requests (head and body) in one write over a fresh connection, the last
        with ``Connection: close``, and read every answer until the server closes it: a
        server out of step with its requests shows here (an extra answer, or a body read as
        the next request), where a client taking one answer per request would hide it."""
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
            sock.sendall(b"".join(requests))
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        return _answers(received)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_HEAD_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)


def _answers(data: bytes) -> list[tuple[int, bytes]]:
    """Status and body of each answer in ``data`` (answers with Content-Length, or none)."""
    answers: list[tuple[int, bytes]] = []
    while data:
        head, found, rest = data.partition(_HEAD_END)
        if not found:
            raise AssertionError(f"an incomplete answer: {data[:200]!r}")
        status = int(head.split(b" ", 2)[1])
        length = _LENGTH.search(head)
        size = int(length.group(1)) if length else 0
        answers.append((status, rest[:size]))
        data = rest[size:]
    return answers
