"""What marks a conformance check: ``@pytest.mark.requirement("ID")``."""

from __future__ import annotations

import pytest

MARKER = "requirement"


def requirement_id(item: pytest.Item) -> str | None:
    """The catalogue id the check judges; None for a test that is no conformance check."""
    marker = item.get_closest_marker(MARKER)
    return str(marker.args[0]) if marker else None
