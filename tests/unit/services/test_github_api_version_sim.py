"""GitHub closing down the REST API version zen-tui pins (410 Gone for every request, its
"API Versions" page) is about zen-tui, never about an item: a preview says so, not that
the item may be gone, and asking whether the item exists spends no read on the account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import section

CLOSED = "GitHub no longer supports REST API version 2022-11-28 (410 Gone)"


@pytest.fixture
def closed_down(sim: Any) -> Iterator[None]:
    github = sim.world.services["github"]
    yield
    github.closed_versions = ""


def answered(sim: Any, path: str, status: int) -> int:
    return sim.world.counters.requests[("github", path, status)]


async def test_a_closed_down_version_leaves_the_items_alone(
    sim: Any, sim_client: Any, closed_down: None
) -> None:
    gh = sim_client("github")
    item = (await gh.fetch_section(section("github", "is:open", pane="issues"))).items[0]
    sim.world.services["github"].closed_versions = "2022-11-28"

    detail = await gh.details(item)
    assert detail.error is not None and CLOSED in detail.error
    assert not detail.missing  # it was: a 410, so "ask whether the item is gone"

    before = answered(sim, "/user", 410)
    assert await gh.exists(item) is None
    assert answered(sim, "/user", 410) == before  # no read of the account to tell
