"""Every row of the upstream behaviour table, against the correct reference server."""

from __future__ import annotations

import pytest

from tests.reference.probes import PROBES, Ctx
from tests.support.http import RawClient


@pytest.mark.parametrize("name", PROBES)
def test_upstream_row(name: str, client: RawClient) -> None:
    PROBES[name](Ctx(client))
