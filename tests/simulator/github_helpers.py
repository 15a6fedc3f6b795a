"""Helpers for the GitHub look-alike tests."""

from __future__ import annotations

from typing import Any

import httpx

from zen_tui.models import PullRequest
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.github.state import Item

START = 1_800_000_000.0  # the GitHub tests' clock starts here


async def graphql(gh: httpx.AsyncClient, query: str, /, **variables: Any) -> httpx.Response:
    """POST /graphql with `query` and its variables."""
    return await gh.post("/graphql", json={"query": query, "variables": variables})


def open_pr(sim: GitHubSim, **want: Any) -> Any:
    for item in sim.state.items:
        usable = item.is_pr and item.state == "open" and not item.draft and item.user != "me"
        if usable and all(getattr(item, k) == v for k, v in want.items()):
            return item
    raise AssertionError(f"no seeded open PR with {want}")


def pr_item(item: Item) -> PullRequest:
    """The client's PullRequest for the simulator's `item` (account "github")."""
    key = f"{item.repo.full_name}#{item.number}"
    return PullRequest(
        id=f"github:{key}",
        account="github",
        service="github",
        key=key,
        title=item.title,
        url="",
        updated_at="2026-01-01T00:00:00Z",
        repo=item.repo.full_name,
        number=item.number,
    )
