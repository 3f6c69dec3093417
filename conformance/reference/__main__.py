"""``python -m conformance.reference``: run the reference server until killed.

The first line on stdout is the base URL, printed once the port is listening, so a caller can
start the server on port 0 and read where it is.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from conformance.reference.arguments import Parser, UsageError, milliseconds, port
from conformance.reference.faults import Faults
from conformance.reference.identities import parse_token_specs
from conformance.reference.server import Latency, ReferenceServer
from conformance.reference.service import KV_PATH

PORT_WAIT_SECONDS = 30.0  # --wait-for-port


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m conformance.reference",
        description=(
            "Serve the Mattermost Apps KV API as the upstream plugin does, at "
            f"{KV_PATH}/{{key}} and {KV_PATH}/{{prefix}}/{{key}}. "
            "Prints the base URL as the first line on stdout, then serves until killed."
        ),
        epilog="example: python -m conformance.reference --port 0 --token A --token B",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument(
        "--port", type=port, default=0, help="port to bind; 0 picks a free one (default 0)"
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN[:USER[:APP]]",
        help="accept TOKEN as an app session; each bare TOKEN is a distinct user of one app "
        "(repeatable, at least one)",
    )
    parser.add_argument(
        "--session-token",
        action="append",
        default=[],
        metavar="TOKEN[:USER]",
        help="a valid token that is not an app session (answered 401 'not an app session')",
    )
    parser.add_argument(
        "--store",
        default="memory",
        metavar="memory|sqlite:PATH",
        help="where values live; sqlite:PATH makes every acknowledged set durable "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a named defect (repeatable); see --list-faults",
    )
    parser.add_argument(
        "--kv-path",
        default=KV_PATH,
        metavar="PATH",
        help="serve the KV routes under PATH instead of upstream's; / serves them at the root "
        "of the host, as mock servers do (default %(default)s)",
    )
    parser.add_argument(
        "--tokens-from-stdin",
        action="store_true",
        help="read --token specs from stdin, one per line, up to an empty line (so that no "
        "token is on the command line, which other users can read); then serve until stdin "
        "closes, as it does when the parent process ends, however it ends",
    )
    parser.add_argument(
        "--pid-file",
        metavar="PATH",
        help="write this server's process id to PATH once it listens",
    )
    parser.add_argument(
        "--wait-for-port",
        action="store_true",
        help="if the port is in use (a server just killed has not let go of it yet), keep "
        "trying for up to 30 s: for restart commands",
    )
    parser.add_argument(
        "--latency-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="hold every answer MS milliseconds, to rehearse a server across a network (default 0)",
    )
    parser.add_argument(
        "--jitter-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="with --latency-ms: add up to MS milliseconds more to each answer, drawn from a "
        "seeded generator (default 0)",
    )
    parser.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    parser.add_argument("--access-log", action="store_true", help="log each request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_faults:
        for name, breaks in Faults.catalogue().items():
            print(f"{name:30} {breaks}")
        return 0
    if args.tokens_from_stdin:
        args.token += list(iter(lambda: sys.stdin.readline().strip(), ""))
    if not args.token:
        parser.error("give at least one --token, e.g. --token A --token B")
    if not args.kv_path.startswith("/"):
        parser.error(f"--kv-path must start with /, not {args.kv_path!r}")
    latency = (
        Latency(args.latency_ms / 1000, args.jitter_ms / 1000)
        if args.latency_ms or args.jitter_ms
        else None
    )
    try:
        tokens = parse_token_specs(args.token, args.session_token)
        server = ReferenceServer(
            tokens,
            store=args.store,
            faults=Faults.from_names(args.fault),
            host=args.host,
            port=args.port,
            access_log=args.access_log,
            kv_path=args.kv_path,
            latency=latency,
        )
    except ValueError as error:
        parser.error(str(error))
    except (OSError, sqlite3.Error) as error:  # a store that cannot be opened
        parser.error(
            f"cannot open --store {args.store} ({error}): give a path in a directory that "
            "exists and is writable"
        )
    signal.signal(signal.SIGTERM, _exit_on_signal)
    if args.tokens_from_stdin:
        threading.Thread(target=_exit_when_stdin_closes, name="parent-watch", daemon=True).start()

    def ready(url: str) -> None:
        if args.pid_file:
            try:
                Path(args.pid_file).write_text(f"{os.getpid()}\n", encoding="utf-8")
            except OSError as error:
                raise UsageError(
                    f"cannot write --pid-file {args.pid_file} ({error.strerror}): give a path "
                    "in a directory that exists and is writable"
                ) from None
        print(url, flush=True)

    try:
        _serve(server, ready, PORT_WAIT_SECONDS if args.wait_for_port else 0.0)
    except UsageError as error:
        parser.error(str(error))
    except OSError as error:
        parser.error(_cannot_serve(args.host, args.port, error))
    except KeyboardInterrupt:
        pass
    return 0


def _cannot_serve(host: str, port: int, error: OSError) -> str:
    where = f"cannot serve on {host}:{port} ({error.strerror or error})"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{where}: another process holds the port; choose another --port, or 0 for a free one"
        )
    if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        return f"{where}: give --host an address of this machine and a --port it may bind"
    return f"{where}: give --host an address of this machine, e.g. 127.0.0.1"


def _serve(server: ReferenceServer, ready: Callable[[str], None], wait: float) -> None:
    """Serve; while the port is in use (a server killed a moment ago may still hold it), try
    again for up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            server.serve_forever(ready=ready)
            return
        except OSError as error:
            if error.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)  # until the port is free, under the deadline


def _exit_when_stdin_closes() -> None:
    """The parent holds stdin open: its end, even by SIGKILL, ends this server too."""
    while sys.stdin.readline():
        pass
    os.kill(os.getpid(), signal.SIGTERM)  # unwinds serve_forever on the main thread


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # unwinds serve_forever, which closes the store


if __name__ == "__main__":
    sys.exit(main())
