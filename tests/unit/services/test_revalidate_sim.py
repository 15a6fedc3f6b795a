"""fetch_section(revalidate=True) against the simulator: no part of the section is answered
from a fresh cache entry; the unchanged listing of GitHub comes back as 304s, which cost no
quota (PR rows come from one GraphQL query, which is never cached)."""

from __future__ import annotations

from typing import Any

from .conftest import section


def counts(client: Any) -> tuple[int, int, int]:
    h = client.gateway.health()
    return h.cache_hits, h.cache_misses, h.revalidations


async def test_github_prs_revalidate_the_listing(sim_client) -> None:
    gh = sim_client("github")
    prs = section("github", "is:pr is:open", pane="prs")
    first = await gh.fetch_section(prs, limit=10)
    assert first.items
    hits, misses, revalidated = counts(gh)
    assert misses >= 1 and hits == 0  # the search

    await gh.fetch_section(prs, limit=10)  # within the TTL: every read is a cache hit
    assert counts(gh) == (hits + misses, misses, revalidated)

    again = await gh.fetch_section(prs, limit=10, revalidate=True)
    assert again.cache == "revalidated"  # asked the server, which said 304
    assert counts(gh) == (hits + misses, misses, revalidated + misses)
    assert again.items == first.items


async def test_slack_history_pages_are_refetched(sim_client) -> None:
    slack = sim_client("slack")
    dev = section("slack", "#dev", pane="messages")
    await slack.fetch_section(dev)
    before = slack.gateway.health()
    await slack.fetch_section(dev)
    cached = slack.gateway.health()
    assert cached.cache_hits > before.cache_hits  # the plain read came from the cache
    result = await slack.fetch_section(dev, revalidate=True)
    after = slack.gateway.health()
    assert after.cache_hits == cached.cache_hits  # the revalidating read did not
    assert after.cache_misses + after.revalidations > cached.cache_misses + cached.revalidations
    assert result.cache != "hit"
