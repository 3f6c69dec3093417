"""Concurrent keep-alive load against a KV server, checking every answer.

``python -m conformance.reference.load`` starts the reference server (or takes ``--url``) and
runs N clients, each on its own keep-alive connection, through a mix of sets, gets and deletes
on keys of its own. An error is a connection failure, a 5xx, or an answer that disagrees with
what that client last wrote. Prints throughput and latency percentiles.
"""

from __future__ import annotations

import http.client
import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from conformance.reference.arguments import Parser, UsageError, positive_int
from conformance.reference.server import ReferenceServer
from conformance.reference.service import KV_PATH
from conformance.stats import percentile
from conformance.urls import base_url_problem


@dataclass
class LoadResult:
    clients: int
    operations: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        latencies = self.latencies or [0.0]

        def ms(q: int) -> str:
            return f"{percentile(latencies, q) * 1000:.2f} ms"

        return (
            f"{self.clients} clients, {self.operations} operations in {self.seconds:.2f} s "
            f"({self.operations / max(self.seconds, 1e-9):.0f} ops/s), errors: {len(self.errors)}; "
            f"latency p50 {ms(50)}, p95 {ms(95)}, p99 {ms(99)}"
        )


def run_load(
    base_url: str, token: str, *, clients: int, operations: int, seed: int = 0
) -> LoadResult:
    """``operations`` per client; all clients start together on a barrier."""
    result = LoadResult(clients=clients)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    run_id = uuid.uuid4().hex[:12]

    def client(number: int) -> None:
        rng = random.Random(seed * 1_000_003 + number)
        split = urlsplit(base_url)
        connection = http.client.HTTPConnection(split.netloc, timeout=30)
        model: dict[str, bytes] = {}
        keys = [f"load-{run_id}-{number}-{i}" for i in range(8)]
        errors: list[str] = []
        latencies: list[float] = []
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        barrier.wait()
        for step in range(operations):
            key = rng.choice(keys)
            url = f"{split.path}{KV_PATH}/{key}"
            choice = rng.random()
            started = time.perf_counter()
            try:
                if choice < 0.4:
                    value = json.dumps({"client": number, "step": step}).encode()
                    method = "POST" if step % 2 else "PUT"
                    connection.request(method, url, body=value, headers=headers)
                    status, body = _read(connection)
                    if status == 200:
                        model[key] = value
                elif choice < 0.85:
                    connection.request("GET", url, headers=headers)
                    status, body = _read(connection)
                    expected = model.get(key, b"{}")
                    if status == 200 and body != expected:
                        wanted = _text(expected) if key in model else "absent ({})"
                        errors.append(f"GET {key}: expected {wanted}, read {_text(body)}")
                else:
                    connection.request("DELETE", url, headers=headers)
                    status, body = _read(connection)
                    if status == 200:
                        model.pop(key, None)
                if status != 200:
                    errors.append(f"{key}: status {status} {_text(body[:100].strip())}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{key}: {type(error).__name__}: {error}")
                connection.close()
            latencies.append(time.perf_counter() - started)
        try:
            for key in keys:  # leave nothing behind
                connection.request("DELETE", f"{split.path}{KV_PATH}/{key}", headers=headers)
                _read(connection)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"cleanup: {type(error).__name__}: {error}")
        connection.close()
        with lock:
            result.operations += operations
            result.errors.extend(errors)
            result.latencies.extend(latencies)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def _text(body: bytes) -> str:
    """A body for a message, on one line: its text, not Python's b'...'."""
    text = body.decode("utf-8", "backslashreplace").replace("\r", "\\r").replace("\n", "\\n")
    return text or "(empty body)"


def _read(connection: http.client.HTTPConnection) -> tuple[int, bytes]:
    response = connection.getresponse()
    return response.status, response.read()


DEFAULT_TOKEN = "load-token"
URL_EXAMPLE = "http://127.0.0.1:8065"


def check_server(base_url: str, token: str, *, token_given: bool = True) -> None:
    """One read before the load: raises ``UsageError`` if no server answers at ``base_url`` or
    it refuses the token (else every operation of every client would fail the same way)."""
    if not base_url.strip():
        raise UsageError(
            f"--url is empty: give the base URL of a running server, such as {URL_EXAMPLE}, "
            "or leave --url out to start the reference server"
        )
    problem = base_url_problem(base_url, "--url")
    if problem is not None:
        raise UsageError(problem)
    split = urlsplit(base_url)
    if split.scheme != "http" or not split.hostname:
        raise UsageError(
            f"--url must be an http:// URL with a host (no TLS here), such as {URL_EXAMPLE}, "
            f"not {base_url!r}"
        )
    try:
        connection = http.client.HTTPConnection(split.netloc, timeout=10)
        connection.request(
            "GET", f"{split.path}{KV_PATH}/load-check", headers={"Authorization": f"Bearer {token}"}
        )
        status, body = _read(connection)
        connection.close()
    except (OSError, http.client.HTTPException) as error:
        raise UsageError(
            f"no answer from {base_url} ({getattr(error, 'strerror', None) or error}): start "
            "the server or correct --url"
        ) from None
    if status in (401, 403):
        reason = body.decode("utf-8", "replace").strip()[:160]
        if token_given:
            raise UsageError(
                f"the server rejected --token ({status}: {reason!r}): give a token it takes"
            )
        raise UsageError(
            f"the server rejected the default token {DEFAULT_TOKEN!r} ({status}: {reason!r}): "
            "pass --token with a token it takes"
        )
    if status == 404:
        raise UsageError(f"{base_url}{KV_PATH} answered 404: is this a KV server? check --url")


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(
        prog="python -m conformance.reference.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--url", help="base URL of a running server (default: start one)")
    parser.add_argument("--token", help=f"token to send (default {DEFAULT_TOKEN})")
    parser.add_argument("--clients", type=positive_int, default=50)
    parser.add_argument("--operations", type=positive_int, default=2000, help="per client")
    parser.add_argument("--store", default="memory", help="store of the started server")
    args = parser.parse_args(argv)
    token: str = DEFAULT_TOKEN if args.token is None else args.token
    try:
        if args.url is not None:  # an empty --url is a mistake, not "start one"
            check_server(args.url, token, token_given=args.token is not None)
            result = run_load(args.url, token, clients=args.clients, operations=args.operations)
        else:
            with ReferenceServer([token], store=args.store) as server:
                result = run_load(
                    server.url, token, clients=args.clients, operations=args.operations
                )
    except UsageError as error:
        parser.error(str(error))
    except ValueError as error:  # a --token or --store of no known form
        parser.error(str(error))
    except (OSError, sqlite3.Error) as error:
        parser.error(
            f"cannot open --store {args.store} ({error}): give a path in a directory that "
            "exists and is writable"
        )
    print(result.summary())
    for problem in result.errors[:20]:
        print("  ", problem)
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
