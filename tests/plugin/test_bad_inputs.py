"""Every command the project ships, given input that cannot work, ends with one sentence on
stderr and exit status 2, never a traceback: the reference server, its load tool, the
benchmark and the Locust profile (its preflight included). ``kv-conformance``'s own usage
errors are in ``test_entry_points.py`` and its configuration errors in ``test_config.py``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.reference import ReferenceServer

pytestmark = pytest.mark.slow

TOKENS = ("bad-input-secret-a-41d7", "bad-input-secret-b-9c03")
URL = "{url}"  # stands for the running reference server's base URL
REFUSED = "{refused}"  # stands for http://127.0.0.1:PORT where nothing listens
MISSING = "{missing}"  # stands for a folder that does not exist (under the test's tmp_path)
BUSY = "{busy}"  # stands for a port something listens on


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]  # after `python -m`
    env: dict[str, str | None] = field(default_factory=dict)  # None: unset


def locust(*args: str, tokens: str | None = ",".join(TOKENS), **env: str | None) -> Case:
    """The Locust profile headless for a second (it never gets there)."""
    run = ("--headless", "--users=2", "--spawn-rate=2", "--run-time=1s", "--only-summary")
    return Case(("conformance.loadtest", *run, *args), {"KV_TOKENS": tokens, **env})


REFERENCE = ("conformance.reference", "--token", "A")
LOAD = ("conformance.reference.load", "--clients=1", "--operations=1")
BENCH = ("conformance.tools.bench",)

CASES: dict[str, tuple[Case, str]] = {
    # python -m conformance.reference
    "reference-no-token": (Case(("conformance.reference",)), "give at least one --token"),
    "reference-port-out-of-range": (Case((*REFERENCE, "--port", "99999")), "0 to 65535"),
    "reference-port-not-a-number": (Case((*REFERENCE, "--port", "x")), "must be a number"),
    "reference-host-unknown": (
        Case((*REFERENCE, "--host", "no-such-host.invalid")),
        "give --host an address of this machine",
    ),
    "reference-token-spec": (Case(("conformance.reference", "--token", "A:b:c:d")), "TOKEN[:USER"),
    "reference-token-twice": (Case((*REFERENCE, "--token", "A")), "repeats an earlier one"),
    "reference-unknown-fault": (
        Case((*REFERENCE, "--fault", "no-such-fault")),
        "unknown fault no-such-fault",
    ),
    "reference-store-kind": (Case((*REFERENCE, "--store", "redis:x")), "neither 'memory'"),
    "reference-store-path": (
        Case((*REFERENCE, "--store", "sqlite:{missing}/x.db")),
        "cannot open --store",
    ),
    "reference-kv-path": (Case((*REFERENCE, "--kv-path", "kv")), "--kv-path must start with /"),
    "reference-negative-latency": (
        Case((*REFERENCE, "--latency-ms", "-1")),
        "zero or more milliseconds",
    ),
    "reference-nan-jitter": (Case((*REFERENCE, "--jitter-ms", "nan")), "zero or more"),
    "reference-pid-file": (
        Case((*REFERENCE, "--pid-file", "{missing}/pid")),
        "cannot write --pid-file",
    ),
    "reference-unknown-option": (Case((*REFERENCE, "--colour")), "unrecognized arguments"),
    # python -m conformance.reference.load
    "load-no-clients": (Case((*LOAD, "--clients=0")), "--clients: must be a whole number"),
    "load-store": (Case((*LOAD, "--store=sqlite:{missing}/x.db")), "cannot open --store"),
    "load-token-spec": (Case((*LOAD, "--token=")), "not of the form"),
    "load-https": (Case((*LOAD, "--url=https://example.com")), "must be an http:// URL"),
    "load-refused": (Case((*LOAD, f"--url={REFUSED}")), "no answer from"),
    "load-rejected-token": (
        Case((*LOAD, f"--url={URL}", "--token=wrong")),
        "the server rejected --token",
    ),
    "load-rejected-default-token": (
        Case((*LOAD, f"--url={URL}")),
        "the server rejected the default token 'load-token' (401",
    ),
    "load-empty-url": (Case((*LOAD, "--url=")), "--url is empty: give the base URL"),
    "load-unclosed-ipv6": (Case((*LOAD, "--url=http://[::1")), "goes in brackets"),
    "load-bad-port": (Case((*LOAD, "--url=http://127.0.0.1:abc")), "a port from 1 to 65535"),
    # python -m conformance.tools.bench (rejected before any run)
    "bench-no-rounds": (Case((*BENCH, "--rounds=0")), "--rounds: must be a whole number"),
    "bench-latency": (Case((*BENCH, "--latency-ms=0,x")), "zero or more milliseconds"),
    # the Locust profile
    "locust-tokens-unset": (locust(f"--host={URL}", tokens=None), "KV_TOKENS is not set"),
    "locust-one-token": (locust(f"--host={URL}", tokens=TOKENS[0]), "holds one token"),
    "locust-tokens-empty": (locust(f"--host={URL}", tokens=""), "KV_TOKENS is empty"),
    "locust-no-host": (locust(), "no --host"),
    "locust-bad-host": (locust("--host=chat.example.com"), "must be an http:// or https://"),
    "locust-unclosed-ipv6": (locust("--host=http://[::1"), "--host cannot be read as a URL"),
    "locust-port-out-of-range": (locust("--host=http://127.0.0.1:99999"), "has a bad port"),
    "locust-port-not-a-number": (locust("--host=http://127.0.0.1:abc"), "has a bad port"),
    "locust-no-host-name": (locust("--host=http://:8080"), "--host has no host name"),
    "locust-refused": (locust(f"--host={REFUSED}"), "nothing listens at 127.0.0.1:"),
    "locust-rejected-token": (
        locust(f"--host={URL}", tokens=f"{TOKENS[0]},wrong-token-5e2a"),
        "the server rejected token B (401",
    ),
    "locust-wrong-path": (locust(f"--host={URL}", KV_PATH="/kv"), "answered 404 to a set"),
    "locust-kv-timeout": (locust(f"--host={URL}", KV_TIMEOUT="soon"), "KV_TIMEOUT must be"),
    "locust-web-port-in-use": (
        Case(
            ("conformance.loadtest", f"--host={URL}", "--web-host=127.0.0.1", f"--web-port={BUSY}"),
            {"KV_TOKENS": ",".join(TOKENS)},
        ),
        "the web UI cannot listen on 127.0.0.1:",
    ),
    "locust-launcher-f": (
        Case(("conformance.loadtest", "-f", "other.py")),
        "-f is this command's own",
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(list(TOKENS)) as running:
        yield running


@pytest.fixture(scope="module")
def refused() -> str:
    """An address where nothing listens: a port bound and closed again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(("case", "says"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_sentence_and_exit_2(
    case: Case, says: str, server: ReferenceServer, refused: str, tmp_path: Path
) -> None:
    places = {
        URL: server.url,
        REFUSED: refused,
        MISSING: str(tmp_path / "missing" / "dir"),
        BUSY: str(urlsplit(server.url).port),  # the server listens there
    }
    args = list(case.command)
    for mark, place in places.items():
        args = [arg.replace(mark, place) for arg in args]
    env = {**os.environ}
    for name, value in case.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run(
        [sys.executable, "-m", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    # Locust logs a line of its own as it starts ("[date] host/INFO/locust.main: ..."); the
    # rest of stderr is the sentence.
    said = [line for line in result.stderr.splitlines() if line and not line.startswith("[")]
    assert len(said) == 1, result.stderr
    assert says in said[0], said[0]
    assert said[0].startswith(("python -m conformance.", "kv-conformance load profile: "))
    for token in TOKENS:
        assert token not in output
