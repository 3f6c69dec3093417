"""A raw HTTP client for the project's own tests.

``requests`` normalises URLs (it turns ``%41`` into ``A``), which would hide exactly the key
handling under test, so this sends the request-target byte for byte with ``http.client``.
"""

from __future__ import annotations

import http.client
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

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
