"""GitHub refuses a search `q` longer than 256 characters (422). The delta read's own term
(`updated:>=...`, 30 characters) must not turn a section's query that GitHub takes into one
it refuses; a query too long by itself is the section's refusal, saying how to fix it."""

from __future__ import annotations

import pytest

from zen_tui.gateway.errors import QueryRefused
from zen_tui.services.github_query import MAX_QUERY

from .conftest import section

# 240 characters meaning `is:open`: with zen-tui's `is:issue` it fits, with a cursor it does not.
NEAR_THE_LIMIT = " ".join(["is:open"] * 30)


async def test_a_delta_read_past_the_limit_answers_what_changed(sim_client) -> None:
    gh = sim_client("github")
    near = section("github", NEAR_THE_LIMIT, pane="issues")
    whole = await gh.fetch_section(near, limit=1000)
    assert len(whole.items) > 4 and whole.complete
    cursor = whole.items[len(whole.items) // 2].updated_at
    assert cursor is not None
    assert len(f"is:issue {NEAR_THE_LIMIT} updated:>={cursor}") > MAX_QUERY

    changed = await gh.fetch_section(near, limit=1000, cursor=cursor)

    newer = [i.key for i in whole.items if (i.updated_at or "") >= cursor]
    assert [i.key for i in changed.items] == newer
    assert changed.complete and changed.stale_error is None
    assert changed.cursor == whole.items[0].updated_at


async def test_a_delta_read_past_the_limit_stops_at_the_limit(sim_client) -> None:
    """Asked for fewer rows than changed, as a delta search would be: the newest, not complete."""
    gh = sim_client("github")
    near = section("github", NEAR_THE_LIMIT, pane="issues")
    whole = await gh.fetch_section(near, limit=1000)
    cursor = whole.items[-1].updated_at
    assert cursor is not None
    changed = await gh.fetch_section(near, limit=3, cursor=cursor)
    assert [i.key for i in changed.items] == [i.key for i in whole.items[:3]]
    assert not changed.complete


async def test_a_query_too_long_by_itself_is_refused_saying_how_to_fix_it(sim_client) -> None:
    gh = sim_client("github")
    too_long = section("github", " ".join(["is:open"] * 40) + " repo:acme/api", pane="issues")
    with pytest.raises(QueryRefused) as info:
        await gh.fetch_section(too_long)
    assert info.value.status == 422
    message = info.value.message or ""
    assert message.startswith("Validation Failed: The search is longer than 256 characters (")
    assert "characters sent, with zen-tui's own terms" in message
    assert message.endswith("shorten the section's query (config)")


async def test_pr_rows_past_the_limit_are_not_asked_and_the_section_says_why(
    sim, sim_client
) -> None:
    """A PR section's GraphQL search (for its rows' reviews and checks) is its query with
    zen-tui's `is:pr` and `sort:updated-desc`: 263 characters here, where REST's 245 pass.
    GitHub takes no search over 256 characters, in GraphQL as in REST: the rows are listed,
    the search for their fields is not sent, and the section says why and what to do."""
    gh = sim_client("github")
    asked = sim.world.counters.requests
    before = asked[("github", "/graphql", 200)]
    result = await gh.fetch_section(section("github", NEAR_THE_LIMIT), limit=100)
    assert result.items and all(i.state == "open" for i in result.items)
    assert asked[("github", "/graphql", 200)] == before
    assert str(result.stale_error) == (
        "github: GraphQL: PR rows not refreshed: The search is longer than 256 characters "
        "(263 characters not sent, with zen-tui's own terms): shorten the section's query "
        "(config)"
    )
