"""The README's report screenshot: ``python -m conformance.tools.screenshot``.

Runs the README's fault example against the embedded reference server (``kv-conformance
--kv-reference-fault delete-is-noop --kv-reference-fault text-content-type --seed 1``) with
an HTML report, opens the report in headless Chromium at 1280x900 and writes that first
screen to ``docs/report.png``. The project's tests open reports the same way
(``tests/plugin/test_report_in_browser.py``), with these flags.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# The README's example, as its Outputs section shows it.
EXAMPLE = (
    "--kv-reference-fault",
    "delete-is-noop",
    "--kv-reference-fault",
    "text-content-type",
    "--seed",
    "1",
)
WINDOW = (1280, 900)
# Headless, as root in a container, and quiet: no sandbox (it needs user namespaces), no
# GPU, no first-run page, and no connection of Chromium's own (updates, sync, QUIC probes).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(
    chromium: str, profile: Path, *, window: tuple[int, int] = WINDOW
) -> list[str]:
    """Chromium with a fresh profile (``--user-data-dir``) and the report's window size."""
    return [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
        "--hide-scrollbars",
    ]


def shoot(chromium: str, page: str, output: Path, profile: Path) -> None:
    """The first screen of ``page`` as a PNG at ``output``."""
    subprocess.run(
        [*chromium_command(chromium, profile), f"--screenshot={output}", page],
        capture_output=True,
        timeout=120,
        check=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.tools.screenshot",
        description="Run the README's fault example and write the first screen of its HTML "
        "report as a PNG (Chromium, headless, 1280x900).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("docs/report.png"),
        help="where to write the PNG (default docs/report.png)",
    )
    options = parser.parse_args(argv)
    if not options.output.parent.is_dir():
        print(f"screenshot: {options.output.parent} is not a directory.", file=sys.stderr)
        return 2
    chromium = find_chromium()
    if chromium is None:
        print(
            "screenshot: no Chromium found (chromium, chromium-browser or google-chrome on "
            "PATH); install it, e.g. apt-get install chromium, and run again.",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="kv-screenshot-") as scratch:
        report = Path(scratch) / "report.html"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                f"--html={report}",
                "--self-contained-html",
                *EXAMPLE,
            ],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        # The example is a faulty server: NOT CONFORMANT, exit status 1.
        if run.returncode != 1 or not report.is_file():
            print(
                f"screenshot: the example run ended with exit status {run.returncode} "
                f"instead of 1 (NOT CONFORMANT); its last lines:\n{run.stdout[-2000:]}"
                f"{run.stderr[-2000:]}",
                file=sys.stderr,
            )
            return 2
        shoot(chromium, report.as_uri(), options.output.resolve(), Path(scratch) / "profile")
    size = options.output.stat().st_size
    print(
        f"wrote {options.output} ({size // 1024} KB): the first {WINDOW[0]}x{WINDOW[1]} "
        f"screen of the report of kv-conformance {' '.join(EXAMPLE)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
