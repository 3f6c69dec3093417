"""How close the suite runs to the HTTP floor: ``python -m conformance.tools.bench``.

Each round starts a reference server in its own process (as the embedded server is), runs the
default suite against it with the ``kv-conformance`` command in a fresh process, and counts
the requests it sent that were answered, per method (the summary's latency table counts every
one: checks, fuzzing, concurrent clients, cleanup). Then, against the same server, a bare
``requests.Session`` loop sends as many keep-alive requests, in the same mix of methods: that
time is the floor. The overhead ratio is the suite's wall time over the floor. The suite's
own client sends through ``http.client``, which is faster than ``requests``; so the same loop
over a bare ``http.client`` connection is timed too, and its ratio printed beside, as the
stricter measure. Finally the server's throughput is measured at 1, 8 and 50 concurrent
clients. Figures are medians.

A server across a network is rehearsed with the reference server's ``--latency-ms``: the
default run at each ``--latency-ms`` given (default 0 and 50) prints its wall time, the
requests sent, its longest chain of dependent requests and the ratio of the wall time to that
chain times the round trip the preflight measured (1 would be a run that only waits for
dependent round trips). A server whose every 40th answer hangs (``--fault
hang-every-40th``) shows how long a default run takes to its NOT CONFORMANT verdict.

The suite's wall time includes starting Python and pytest, and the wait DUR-01 makes until
the entries it wrote first are ``--kv-hold`` seconds old; both are printed apart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from conformance.engine.embedded import spawn_reference
from conformance.reference.arguments import Parser, UsageError, milliseconds, positive_int
from conformance.reference.load import run_load
from conformance.reference.service import KV_PATH
from conformance.stats import percentile

TOKENS = ("bench-token-a", "bench-token-b")


@dataclass(frozen=True)
class Round:
    latency_ms: float  # added by the server to every answer
    chain: int  # the run's longest chain of dependent requests
    round_trip_ms: float  # measured by the preflight
    failed: tuple[str, ...]  # requirements failed
    not_tested: int
    requests: int
    wall: float  # the suite process, start to exit
    session: float  # pytest's own session time, as it prints it
    hold_wait: float  # DUR-01's wait for --kv-hold
    floor: float  # a requests.Session loop
    stdlib_floor: float  # an http.client loop
    verdict: str

    @property
    def ratio(self) -> float:
        return self.wall / self.floor if self.floor else float("nan")

    @property
    def chain_ratio(self) -> float:
        """Wall time over (dependent chain x round trip): how far from only waiting."""
        waited = self.chain * self.round_trip_ms / 1000
        return self.wall / waited if waited else float("nan")

    @property
    def stdlib_ratio(self) -> float:
        return self.wall / self.stdlib_floor if self.stdlib_floor else float("nan")


def one_round(extra: Sequence[str], latency_ms: float = 0.0, faults: Sequence[str] = ()) -> Round:
    server_args = [
        "--port=0",
        f"--latency-ms={latency_ms:g}",
        *(f"--token={t}" for t in TOKENS),
        *(f"--fault={fault}" for fault in faults),
    ]
    with tempfile.TemporaryDirectory() as folder:
        with (Path(folder) / "server.log").open("w", encoding="utf-8") as log_file:
            process, url = spawn_reference(server_args, stderr=log_file)
        try:
            summary = Path(folder) / "summary.json"
            started = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "conformance.cli",  # the kv-conformance command
                    "-q",
                    "--durations=0",
                    f"--target-url={url}",
                    *(f"--token={t}" for t in TOKENS),
                    f"--kv-summary={summary}",
                    *extra,
                ],
                capture_output=True,
                text=True,
                cwd=folder,
                check=False,
            )
            wall = time.perf_counter() - started
            if not summary.exists():  # the suite stopped before any check: bad arguments
                said = (result.stderr.strip() or result.stdout.strip()).splitlines()
                raise UsageError(
                    f"the suite run ended with exit status {result.returncode} and no summary"
                    f" ({said[-1] if said else 'nothing said'}); check the arguments after --"
                )
            data = json.loads(summary.read_text(encoding="utf-8"))
            methods = Counter(
                {method: stats["count"] for method, stats in data["latency_ms"].items()}
            )
            # Sequential floors across a network would take minutes: loopback only.
            plain = latency_ms == 0 and not faults
            floor = http_floor(url, methods) if plain else 0.0
            stdlib_floor = stdlib_http_floor(url, methods) if plain else 0.0
        finally:
            process.terminate()
            process.communicate(timeout=30)
    session = _session_seconds(result.stdout)
    hold = _hold_wait(result.stdout)
    traffic = data["traffic"]
    return Round(
        latency_ms=latency_ms,
        chain=traffic["dependent_chain"],
        round_trip_ms=traffic["round_trip_ms"] or 0.0,
        failed=tuple(r["id"] for r in data["requirements"] if r["verdict"] == "fail"),
        not_tested=sum(1 for r in data["requirements"] if r["verdict"] == "not tested"),
        requests=traffic["requests"],
        wall=wall,
        session=session,
        hold_wait=hold,
        floor=floor,
        stdlib_floor=stdlib_floor,
        verdict=data["verdict"],
    )


HEADERS = {"Authorization": f"Bearer {TOKENS[0]}", "Content-Type": "application/json"}
BODY = b'{"bench":true}'


def _plan(methods: Counter[str]) -> list[str]:
    plan = [method for method, count in methods.items() for _ in range(count)]
    random.Random(0).shuffle(plan)  # interleaved, as the suite sends them
    return plan


def http_floor(url: str, methods: Counter[str]) -> float:
    """Seconds for a bare requests.Session keep-alive loop to send as many requests, in the
    same mix."""
    session = requests.Session()
    session.trust_env = False
    plan = _plan(methods)
    target = f"{url}{KV_PATH}/bench-floor"
    started = time.perf_counter()
    for method in plan:
        body = BODY if method in ("POST", "PUT") else None
        session.request(method, target, data=body, headers=HEADERS).content  # noqa: B018
    seconds = time.perf_counter() - started
    session.request("DELETE", target, headers=HEADERS)
    session.close()
    return seconds


def stdlib_http_floor(url: str, methods: Counter[str]) -> float:
    """The same loop over one bare http.client connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    plan = _plan(methods)
    target = f"{KV_PATH}/bench-floor"
    started = time.perf_counter()
    for method in plan:
        body = BODY if method in ("POST", "PUT") else None
        connection.request(method, target, body=body, headers=HEADERS)
        connection.getresponse().read()
    seconds = time.perf_counter() - started
    connection.request("DELETE", target, headers=HEADERS)
    connection.getresponse().read()
    connection.close()
    return seconds


def _session_seconds(stdout: str) -> float:
    found = re.findall(r" in ([0-9.]+)s", stdout)
    return float(found[-1]) if found else float("nan")


def _hold_wait(stdout: str) -> float:
    """DUR-01's call time from --durations=0 (its reads are milliseconds; the rest is waiting)."""
    found = re.search(r"([0-9.]+)s call .*test_entries_written_at_the_start", stdout)
    return float(found.group(1)) if found else 0.0


def throughput(clients: int, operations: int, rounds: int) -> str:
    """Medians over ``rounds`` load runs against one server: requests/s, latency, errors."""
    process, url = spawn_reference(["--port=0", f"--token={TOKENS[0]}"])
    try:
        results = [
            run_load(url, TOKENS[0], clients=clients, operations=operations, seed=number)
            for number in range(rounds)
        ]
    finally:
        process.terminate()
        process.communicate(timeout=30)

    def median_ms(q: int) -> str:
        values = [percentile(r.latencies, q) for r in results]
        return f"{statistics.median(values) * 1000:.2f} ms"

    rate = statistics.median(r.operations / r.seconds for r in results)
    errors = sum(len(r.errors) for r in results)
    return (
        f"{clients:>2} clients: {rate:,.0f} requests/s; latency p50 {median_ms(50)}, "
        f"p95 {median_ms(95)}, p99 {median_ms(99)}; errors {errors} "
        f"({rounds} runs of {clients * operations:,} requests)"
    )


def plugin_cost(runs: int) -> str:
    """What the installed plugin adds to a pytest run that collects no conformance check:
    the median wall time of a one-test run, with the plugin and with ``-p no:kv-conformance``."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_one.py").write_text("def test_one():\n    pass\n", "utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        walls: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(runs):  # interleaved, so that a noisy moment hits both
            for name, extra in (("with", []), ("without", ["-p", "no:kv-conformance"])):
                started = time.perf_counter()
                subprocess.run([*command, *extra], cwd=folder, capture_output=True, check=True)
                walls[name].append(time.perf_counter() - started)
    with_plugin, without = (statistics.median(walls[name]) for name in ("with", "without"))
    return (
        f"  one-test pytest run    {with_plugin:.3f} s with the plugin, {without:.3f} s "
        f"without; the plugin adds {with_plugin - without:+.3f} s (medians of {runs})"
    )


def report_rounds(rounds: list[Round]) -> None:
    for number, done in enumerate(rounds, start=1):
        floors = (
            f", floor {done.floor:.2f} s, ratio {done.ratio:.2f} (http.client floor "
            f"{done.stdlib_floor:.2f} s, ratio {done.stdlib_ratio:.2f})"
            if done.floor
            else ""
        )
        print(
            f"  round {number}: {done.requests} requests, suite wall {done.wall:.2f} s "
            f"(pytest session {done.session:.2f} s, DUR-01 hold wait {done.hold_wait:.2f} s), "
            f"chain {done.chain} x round trip {done.round_trip_ms:.2f} ms, "
            f"ratio {done.chain_ratio:.2f}{floors}, {done.verdict}"
        )

    def median(values: list[float]) -> float:
        return statistics.median(values)

    print("  Medians:")
    print(f"    requests issued        {median([r.requests for r in rounds]):.0f}")
    print(f"    suite wall time        {median([r.wall for r in rounds]):.2f} s")
    print(f"    pytest session time    {median([r.session for r in rounds]):.2f} s")
    print(f"    DUR-01 hold wait       {median([r.hold_wait for r in rounds]):.2f} s")
    print(f"    dependent chain        {median([r.chain for r in rounds]):.0f} requests")
    print(f"    round trip             {median([r.round_trip_ms for r in rounds]):.2f} ms")
    print(f"    wall / (chain x rtt)   {median([r.chain_ratio for r in rounds]):.2f}")
    if all(r.floor for r in rounds):
        floor = median([r.floor for r in rounds])
        print(f"    raw-HTTP floor         {floor:.2f} s (requests.Session, one at a time)")
        print(f"    overhead ratio         {median([r.ratio for r in rounds]):.2f} (wall / floor)")
        print(f"    http.client floor      {median([r.stdlib_floor for r in rounds]):.2f} s")
        print(f"    ratio to that floor    {median([r.stdlib_ratio for r in rounds]):.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(
        prog="python -m conformance.tools.bench",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    parser.add_argument("--rounds", type=positive_int, default=5, help="suite runs (default 5)")
    parser.add_argument(
        "--operations",
        type=positive_int,
        default=1000,
        help="per client in a throughput run (default 1000)",
    )
    parser.add_argument(
        "--throughput-rounds",
        type=positive_int,
        default=3,
        help="throughput runs per client count (default 3)",
    )
    parser.add_argument(
        "--plugin-runs",
        type=positive_int,
        default=10,
        help="one-test pytest runs, with and without the plugin (default 10)",
    )
    parser.add_argument(
        "--latency-ms",
        type=lambda text: [milliseconds(part) for part in text.split(",")],
        default=[0.0, 50.0],
        metavar="MS[,MS...]",
        help="the reference server's --latency-ms for the suite runs (default 0,50)",
    )
    parser.add_argument(
        "--remote-rounds",
        type=positive_int,
        default=1,
        help="suite runs per latency above 0 (default 1)",
    )
    parser.add_argument(
        "--no-hang", dest="hang", action="store_false", help="skip the hanging-server run"
    )
    parser.add_argument(
        "suite_args", nargs="*", help="more arguments for the suite runs (after --)"
    )
    args = parser.parse_args(argv)
    try:
        return _bench(args)
    except UsageError as error:
        parser.error(str(error))


def _bench(args: argparse.Namespace) -> int:
    print(f"kv-conformance benchmark on {os.cpu_count()} CPUs; {args.rounds} rounds")
    print("The plugin in a pytest run without conformance checks:")
    print(plugin_cost(args.plugin_runs))
    for latency in args.latency_ms:
        count = args.rounds if latency == 0 else args.remote_rounds
        print(f"Default run, the server {latency:g} ms away ({count} rounds):")
        report_rounds([one_round(args.suite_args, latency) for _ in range(count)])
    if args.hang:
        print("Default run against a server whose every 40th answer hangs (one round):")
        hung = one_round(args.suite_args, faults=["hang-every-40th"])
        print(
            f"  wall {hung.wall:.2f} s to {hung.verdict}; failed: {', '.join(hung.failed)}; "
            f"not tested {hung.not_tested}; {hung.requests} requests"
        )
    print("Reference server throughput (its own process; keep-alive clients; medians):")
    for clients in (1, 8, 50):
        print(f"  {throughput(clients, args.operations, args.throughput_rounds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
