"""``kv-conformance``: run the suite from anywhere (``pytest --pyargs conformance.suite``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # This module imported the package before pytest could rewrite its asserts; it needs none.
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # Verdicts come from RequirementFailure, not from assert statements, and rewriting the
    # ~400 modules of the plugins' packages costs about 2 s a run where bytecode is not cached.
    plain = [] if any(arg.startswith("--assert") for arg in args) else ["--assert=plain"]
    return int(
        pytest.main(
            ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", *quiet, *plain, *args]
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
