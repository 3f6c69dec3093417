"""A restart command for --restart-cmd tests: (re)start a reference server kept in STATE_DIR.

    python tests/support/restart_server.py STATE_DIR

STATE_DIR/store holds the --store spec. The first call starts the server on a free port and
writes STATE_DIR/url and STATE_DIR/pid; later calls kill that server with SIGKILL (no chance
to flush anything) and start a new one on the same port. The server outlives this command.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

DEADLINE_SECONDS = 30.0
TOKENS = ("restart-token-a", "restart-token-b")


def start(state: Path, port: int) -> bool:
    store = (state / "store").read_text(encoding="utf-8").strip()
    args = [f"--port={port}", *(f"--token={t}" for t in TOKENS), f"--store={store}"]
    with (state / "server.log").open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance.reference", *args],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # survives this command
        )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=DEADLINE_SECONDS):
            process.kill()
            return False
    url = process.stdout.readline().strip()
    if not url:  # it exited: the port is still held by the old process
        process.wait()
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
