"""``python -m conformance.loadtest``: the Locust load profile, wherever the package is installed.

    locust -f "$(python -m conformance.loadtest --print-path)" --host URL ...
    python -m conformance.loadtest --host URL ...      # the same: Locust with the profile

The profile itself is ``conformance/tools/loadtest.py`` (Locust imports it by path, so it
needs a file, not a module name).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

PROGRAM = "python -m conformance.loadtest"


def locustfile() -> Path:
    """The packaged locustfile."""
    return Path(__file__).resolve().parent / "tools" / "loadtest.py"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if args == ["--print-path"]:
        print(locustfile())
        return 0
    if "--print-path" in args:
        print(f"{PROGRAM}: --print-path takes no other argument", file=sys.stderr)
        return 2
    if "-f" in args or any(arg.startswith(("-f=", "--locustfile")) for arg in args):
        print(f"{PROGRAM}: -f is this command's own; run locust -f instead", file=sys.stderr)
        return 2
    if importlib.util.find_spec("locust") is None:
        print(
            f"{PROGRAM}: Locust is not installed; install the load extra: "
            "pip install '/path/to/kv-conformance[load]'",
            file=sys.stderr,
        )
        return 2
    # Replaced by Locust itself, so its exit status and signals are the command's own; as
    # its own script does, so that its messages say "locust", not "__main__.py".
    start = "import sys; from locust.main import main; sys.argv[0] = 'locust'; sys.exit(main())"
    os.execv(sys.executable, [sys.executable, "-c", start, "-f", str(locustfile()), *args])
    return 2  # not reached: execv replaced this process


if __name__ == "__main__":
    sys.exit(main())
