"""A restart command for --restart-cmd tests: (re)start a reference server kept in STATE_DIR.

    python -m tests.support.restart_server STATE_DIR   (from the repository root)

STATE_DIR/store holds the --store spec. The first call starts the server on a free port and
writes STATE_DIR/url and STATE_DIR/pid; later calls kill that server with SIGKILL (no chance
to flush anything) and start a new one on the same port. The server outlives this command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from conformance.engine.embedded import ReferenceStartError, spawn_reference

DEADLINE_SECONDS = 30.0
TOKENS = ("restart-token-a", "restart-token-b")


def start(state: Path, port: int) -> bool:
    store = (state / "store").read_text(encoding="utf-8").strip()
    args = [f"--port={port}", *(f"--token={t}" for t in TOKENS), f"--store={store}"]
    with (state / "server.log").open("a", encoding="utf-8") as log:
        try:
            process, url = spawn_reference(
                args, deadline_seconds=DEADLINE_SECONDS, stderr=log, new_session=True
            )
        except ReferenceStartError:  # the port is still held by the old process
            return False
    (state / "url").write_text(url, encoding="utf-8")
    (state / "pid").write_text(str(process.pid), encoding="utf-8")
    return True


def stop(state: Path) -> None:
    pid_file = state / "pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text(encoding="utf-8")), signal.SIGKILL)


def main() -> int:
    state = Path(sys.argv[1])
    port = 0
    if (state / "url").exists():
        port = urlsplit((state / "url").read_text(encoding="utf-8")).port or 0
    stop(state)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not start(state, port):  # until the killed server has let go of the port
        if time.monotonic() > deadline:
            log = state / "server.log"
            print(f"the reference server did not restart; see {log}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
