"""A hard time limit per request, whatever the server does.

A socket timeout bounds each read, not the answer: a server that sends one byte every few
tenths of a second (headers included) would hold a request for minutes. ``WatchedAdapter``
gives every connection of a ``requests.Session`` to a ``Watchdog``, which shuts the socket
down when the request's deadline passes; the blocked read then fails and the client reports
that no complete answer came in time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool

POLL_SECONDS = 0.1


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


class _Watched:
    """Mixed into urllib3's connection classes: the socket goes to the watchdog once the
    request is sent."""

    def __init__(self, *args: Any, kv_watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kv_watchdog = kv_watchdog

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        self._kv_watchdog.arm(getattr(self, "sock", None))
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


_WATCHED: dict[type, type] = {
    HTTPConnection: _WatchedConnection,
    HTTPSConnection: _WatchedHTTPSConnection,
}


class WatchedAdapter(HTTPAdapter):
    """Connections made by this adapter report their socket to ``watchdog``."""

    def __init__(self, watchdog: Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> ConnectionPool:
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        watched = _WATCHED.get(getattr(pool, "ConnectionCls", HTTPConnection))
        if watched is not None:
            pool.ConnectionCls = watched  # type: ignore[attr-defined]
            pool.conn_kw["kv_watchdog"] = self.watchdog  # type: ignore[attr-defined]
        return pool


def watched_session(session: requests.Session, watchdog: Watchdog) -> requests.Session:
    adapter = WatchedAdapter(watchdog)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
