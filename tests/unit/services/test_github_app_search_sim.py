"""The GitHub client against the simulator over loopback, logged in with a GitHub App's user
access token (ghu_), which GitHub does not let search issues and PRs together (422): a
section of both kinds is searched once per kind and merged, and queries with an OR keep their
meaning when zen-tui adds its own terms (advanced search: AND binds tighter than OR)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from zen_tui.gateway import Gateway
from zen_tui.gateway.errors import QueryRefused
from zen_tui.models import PullRequest
from zen_tui.services.github import GitHubClient
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.github.state import Item as SimItem

from .conftest import section, sim_gateway

Check = Callable[[SimItem], bool]


def github(sim: Any) -> GitHubSim:
    service = sim.world.services["github"]
    assert isinstance(service, GitHubSim)
    return service


@pytest.fixture
async def client_for(sim: Any) -> AsyncIterator[Callable[[str], GitHubClient]]:
    """A GitHubClient over a real Gateway to the simulator, logged in with `token`."""
    gateways: list[Gateway] = []

    def make(token: str) -> GitHubClient:
        gateway = sim_gateway(sim, "github", token=token)
        gateways.append(gateway)
        return GitHubClient(sim.account("github"), gateway)

    yield make
    for gateway in gateways:
        await gateway.aclose()


@pytest.fixture
def app_token(sim: Any) -> str:
    """A token as the device flow of a GitHub App hands it out."""
    gh = github(sim)
    gh.device_flow_github_app = True
    try:
        return gh.new_device_token()
    finally:
        gh.device_flow_github_app = False


def search_calls(sim: Any, status: int) -> int:
    rows = sim.counters()["requests"]
    return sum(
        r["count"]
        for r in rows
        if r["service"] == "github" and "search" in r["endpoint"] and r["status"] == status
    )


def expected(sim: Any, check: Check) -> list[tuple[str, int]]:
    items = [i for i in github(sim).state.items if check(i)]
    return sorted((i.repo.full_name, i.number) for i in items)


def keys(items: list[Any]) -> list[tuple[str, int]]:
    return sorted((i.repo, i.number) for i in items)


def mine_open(i: SimItem) -> bool:
    return i.involves("me") and i.state == "open"


async def test_a_section_of_issues_and_prs_is_searched_per_kind_and_merged(
    sim: Any, client_for: Any, app_token: str
) -> None:
    gh = client_for(app_token)
    inbox = section("github", "involves:@me is:open", pane="inbox")
    sim.reset_counters()
    first = await gh.fetch_section(inbox, limit=1000)
    assert keys(first.items) == expected(sim, mine_open)  # both kinds, each once
    assert {isinstance(i, PullRequest) for i in first.items} == {True, False}
    stamps = [i.updated_at for i in first.items]
    assert stamps == sorted(stamps, reverse=True)  # newest first, as one search would be
    assert first.complete and not first.partial and first.stale_error is None
    # the refused way once, then one search per kind; later polls never ask it again
    assert (search_calls(sim, 422), search_calls(sim, 200)) == (1, 2)
    sim.reset_counters()
    again = await gh.fetch_section(inbox, limit=1000, revalidate=True)  # asks the server
    assert keys(again.items) == keys(first.items)
    assert search_calls(sim, 422) == 0 and search_calls(sim, 200) + search_calls(sim, 304) == 2


async def test_a_limit_cuts_the_merged_rows_not_each_kind(
    sim: Any, client_for: Any, app_token: str
) -> None:
    gh = client_for(app_token)
    cut = await gh.fetch_section(section("github", "is:open", pane="inbox"), limit=7)
    everything = await gh.fetch_section(section("github", "is:open", pane="inbox"), limit=1000)
    assert len(cut.items) == 7 and not cut.complete
    assert [i.id for i in cut.items] == [i.id for i in everything.items[:7]]
    assert cut.cursor == max(i.updated_at for i in cut.items)


async def test_a_delta_poll_per_kind_brings_what_changed(
    sim: Any, client_for: Any, app_token: str
) -> None:
    gh = client_for(app_token)
    inbox = section("github", "involves:@me is:open", pane="inbox")
    first = await gh.fetch_section(inbox, limit=1000)
    state = github(sim).state
    issue = next(i for i in state.items if not i.is_pr and mine_open(i))
    pr = next(i for i in state.items if i.is_pr and mine_open(i))
    with sim.world.lock:
        for item in (issue, pr):
            state.touch(item)
            item.updated = max(item.updated, float(sim.world.clock()) + 5)
    delta = await gh.fetch_section(inbox, limit=1000, cursor=first.cursor)
    assert {(i.repo, i.number) for i in delta.items} >= {
        (issue.repo.full_name, issue.number),
        (pr.repo.full_name, pr.number),
    }
    assert len(delta.items) < len(first.items)


async def test_a_prs_section_naming_type_pr_gets_is_pull_request(
    sim: Any, client_for: Any, app_token: str
) -> None:
    """GitHub's rule names is:pull-request; a query saying only type:pr is refused, and the
    PR pane's section is then asked with is:pull-request (PRs only, one search)."""
    gh = client_for(app_token)
    prs = section("github", "type:pr is:open involves:@me", pane="prs")
    sim.reset_counters()
    result = await gh.fetch_section(prs, limit=1000)
    assert keys(result.items) == expected(sim, lambda i: i.is_pr and mine_open(i))
    assert all(isinstance(i, PullRequest) for i in result.items)
    assert (search_calls(sim, 422), search_calls(sim, 200)) == (1, 1)
    # the rows' GraphQL search is asked with is:pull-request too: GitHub would answer the
    # mixed one with no nodes, leaving every row without its checks and review
    prs_rows = [i for i in result.items if isinstance(i, PullRequest)]
    assert prs_rows and all(i.check_status is not None for i in prs_rows if i.state == "open")
    assert result.stale_error is None


async def test_a_query_refused_for_its_own_words_still_says_so(
    sim: Any, client_for: Any, app_token: str
) -> None:
    gh = client_for(app_token)
    with pytest.raises(QueryRefused) as info:
        await gh.fetch_section(section("github", "author:ghost-user", pane="inbox"))
    assert "The listed users cannot be searched" in info.value.message


async def test_an_oauth_token_still_searches_both_kinds_at_once(sim: Any, client_for: Any) -> None:
    gh = client_for(sim.account("github").token)
    sim.reset_counters()
    result = await gh.fetch_section(section("github", "involves:@me is:open", pane="inbox"))
    assert keys(result.items) == expected(sim, mine_open)
    assert (search_calls(sim, 422), search_calls(sim, 200)) == (0, 1)


# ---- an OR in the section's query, with the terms zen-tui adds -----------------------------


def mine(i: SimItem) -> bool:
    return i.user == "me" or "me" in i.assignees


async def test_the_prs_pane_keeps_an_or_query_to_prs(sim: Any, client_for: Any) -> None:
    """`is:pr author:@me OR assignee:@me` would be (is:pr AND author) OR assignee: issues
    assigned to me in the PR pane. zen-tui sends `is:pr (author:@me OR assignee:@me)`."""
    gh = client_for(sim.account("github").token)
    result = await gh.fetch_section(
        section("github", "author:@me OR assignee:@me", pane="prs"), limit=1000
    )
    want = expected(sim, lambda i: i.is_pr and mine(i))
    assert want and keys(result.items) == want


async def test_a_delta_of_an_or_query_is_only_what_changed(sim: Any, client_for: Any) -> None:
    """`a OR b updated:>=T` would bring every `a` row on each delta poll."""
    gh = client_for(sim.account("github").token)
    issues = section("github", "author:@me OR assignee:@me", pane="issues")
    first = await gh.fetch_section(issues, limit=1000)
    assert len(first.items) > 1
    delta = await gh.fetch_section(issues, limit=1000, cursor=first.cursor)
    assert [i.updated_at for i in delta.items] == [first.cursor] * len(delta.items)


async def test_repo_qualifiers_stay_outside_the_parentheses(sim: Any, client_for: Any) -> None:
    """GitHub refuses repo:/org:/user: inside parentheses; they are ORed with each other."""
    gh = client_for(sim.account("github").token)
    query = "repo:acme/api repo:acme/web label:bug OR label:security"
    result = await gh.fetch_section(section("github", query, pane="issues"), limit=1000)
    want = expected(
        sim,
        lambda i: (
            not i.is_pr
            and i.repo.name in ("api", "web")
            and bool({"bug", "security"} & set(i.labels))
        ),
    )
    assert want and keys(result.items) == want
