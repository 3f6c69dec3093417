"""``kv-conformance``: run the suite from anywhere (``pytest --pyargs conformance.suite``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # This module imported the package before pytest could rewrite its asserts; it needs none.
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    return int(
        pytest.main(["--pyargs", "conformance.suite", "-p", "no:cacheprovider", *quiet, *args])
    )


if __name__ == "__main__":
    raise SystemExit(main())
