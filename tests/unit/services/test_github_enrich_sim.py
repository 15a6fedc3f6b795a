"""PR enrichment against the simulator: values match its state; an unchanged re-poll is free."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.settings import default_settings
from zen_tui.models import PullRequest
from zen_tui.services import make_client
from zen_tui.services.github import GitHubClient, review_decision

from .conftest import section

TTL_PASSED = 120.0  # past the listing and issue_details TTLs: the next read revalidates


@pytest.fixture
async def gh(sim: Any, clock: FakeClock) -> AsyncIterator[GitHubClient]:
    """A client whose gateway cache runs on the fake clock, so tests can expire it."""
    acc = sim.account("github")
    gateway = Gateway(
        account=acc.name,
        service="github",
        base_url=acc.base_url,
        settings=default_settings("github"),
        credentials=StaticCredentialProvider({acc.name: Credential(acc.token)}),
        clock=clock,
    )
    client = make_client(acc, gateway, clock=clock)
    assert isinstance(client, GitHubClient)
    yield client
    await gateway.aclose()


def _sim_pr(sim: Any, key: str) -> Any:
    state = sim.world.services["github"].state
    return next(i for i in state.items if f"{i.repo.owner}/{i.repo.name}#{i.number}" == key)


def _spent(sim: Any) -> int:
    return sum(n for k, n in sim.counters()["quota_spent"].items() if k.startswith("github:"))


def _not_modified(sim: Any) -> int:
    return int(sim.counters()["not_modified"].get("github", 0))


async def test_rows_match_the_simulator_state(sim, gh) -> None:
    first = await gh.fetch_section(section("github", "is:open"), limit=20)
    prs = [i for i in first.items if isinstance(i, PullRequest)]
    assert prs
    for pr in prs:
        truth = _sim_pr(sim, pr.key)
        assert pr.check_status == truth.check_state, pr.key
        assert set(pr.requested_reviewers) == set(truth.reviewers), pr.key
        pairs = tuple((r.user, r.state) for r in truth.reviews)
        expected = review_decision(pairs) or ("review_required" if truth.reviewers else None)
        assert pr.review_decision == expected, pr.key
    assert {p.check_status for p in prs} - {None}, "the seed has checks to show"


async def test_an_unchanged_second_poll_spends_no_quota(sim, gh, clock) -> None:
    sect = section("github", "is:open")
    first = await gh.fetch_section(sect, limit=20)
    clock.advance(TTL_PASSED)
    spent, revalidated = _spent(sim), _not_modified(sim)

    second = await gh.fetch_section(sect, limit=20)

    assert _spent(sim) == spent  # every read came back 304
    enriched = sum(1 for i in first.items if isinstance(i, PullRequest) and i.state == "open")
    assert _not_modified(sim) - revalidated >= 1 + 2 * enriched  # search, PR, reviews (+ status)
    assert second.items == first.items


async def test_a_changed_check_shows_on_the_next_poll(sim, gh, clock) -> None:
    sect = section("github", "is:open")
    pr = next(i for i in (await gh.fetch_section(sect, limit=20)).items if i.check_status)
    truth = _sim_pr(sim, pr.key)
    truth.check_state = "failure" if truth.check_state != "failure" else "success"
    clock.advance(TTL_PASSED)

    again = {i.id: i for i in (await gh.fetch_section(sect, limit=20)).items}

    assert again[pr.id].check_status == truth.check_state
