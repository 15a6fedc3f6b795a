"""PR enrichment against the simulator: values match its state; an unchanged re-poll is free."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.models import PullRequest
from zen_tui.services import make_client
from zen_tui.services.github import GitHubClient
from zen_tui.simulator.github.graphql_api import review_decision as review_decision_of

from .conftest import section, sim_gateway

TTL_PASSED = 120.0  # past the listing and issue_details TTLs: the next read revalidates


@pytest.fixture
async def gh(sim: Any, clock: FakeClock) -> AsyncIterator[GitHubClient]:
    """A client whose gateway cache runs on the fake clock, so tests can expire it."""
    gateway = sim_gateway(sim, "github", clock=clock)
    client = make_client(sim.account("github"), gateway, clock=clock)
    assert isinstance(client, GitHubClient)
    yield client
    await gateway.aclose()


def _sim_pr(sim: Any, key: str) -> Any:
    state = sim.world.services["github"].state
    return next(i for i in state.items if f"{i.repo.owner}/{i.repo.name}#{i.number}" == key)


def _spent(sim: Any) -> int:
    return sum(n for k, n in sim.counters()["quota_spent"].items() if k.startswith("github:"))


def _points(sim: Any) -> int:
    return int(sim.counters()["quota_spent"].get("github:graphql", 0))


def _not_modified(sim: Any) -> int:
    return int(sim.counters()["not_modified"].get("github", 0))


async def test_rows_match_the_simulator_state(sim, gh) -> None:
    first = await gh.fetch_section(section("github", "is:open"), limit=20)
    prs = [i for i in first.items if isinstance(i, PullRequest)]
    assert prs
    for pr in prs:
        truth = _sim_pr(sim, pr.key)
        assert pr.check_status == truth.check_state, pr.key
        teams = {f"acme/{t}" for t in truth.teams}
        assert set(pr.requested_reviewers) == set(truth.reviewers) | teams, pr.key
        assert pr.review_decision == review_decision_of(truth).lower(), pr.key
        if pr.state == "open":  # the head branch comes with the row ({branch} in commands)
            assert pr.branch == truth.head_ref and pr.branch, pr.key
    assert {p.check_status for p in prs} - {None}, "the seed has checks to show"


async def test_an_unchanged_second_poll_costs_one_304_and_one_query(sim, gh, clock) -> None:
    sect = section("github", "is:open")
    first = await gh.fetch_section(sect, limit=20)
    clock.advance(TTL_PASSED)
    rest, revalidated, points = _spent(sim) - _points(sim), _not_modified(sim), _points(sim)

    second = await gh.fetch_section(sect, limit=20)

    assert _spent(sim) - _points(sim) == rest  # no REST quota: the listing came back 304
    assert _not_modified(sim) - revalidated == 1
    assert _points(sim) - points == 1  # one GraphQL search of 20 PRs: 61 requests, 1 point
    assert second.items == first.items


async def test_a_changed_check_shows_on_the_next_poll(sim, gh, clock) -> None:
    sect = section("github", "is:open")
    pr = next(i for i in (await gh.fetch_section(sect, limit=20)).items if i.check_status)
    truth = _sim_pr(sim, pr.key)
    truth.check_state = "failure" if truth.check_state != "failure" else "success"
    clock.advance(TTL_PASSED)

    again = {i.id: i for i in (await gh.fetch_section(sect, limit=20)).items}

    assert again[pr.id].check_status == truth.check_state


def _expected_decision(reviews: list[Any]) -> str:
    """Branch protection asking for one approval (as every simulated repository does)."""
    latest: dict[str, str] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.user] = review.state
    if "CHANGES_REQUESTED" in latest.values():
        return "changes_requested"
    return "approved" if "APPROVED" in latest.values() else "review_required"


async def test_rows_follow_random_changes_poll_after_poll(sim, gh, clock) -> None:
    """Seeded random interleavings of reviews (past one page), user and team requests, checks
    finishing and pushes: after every poll each open PR row says what the server holds."""
    import random

    state = sim.world.services["github"].state
    sect = section("github", "is:open")
    rng = random.Random(1234)
    users = ["alice", "bob", "carol", "dave"]
    result = await gh.fetch_section(sect, limit=30)
    for _ in range(12):  # one search a round: the simulator's search budget is 30 a minute
        prs = [_sim_pr(sim, i.key) for i in result.items if isinstance(i, PullRequest)]
        with sim.world.lock:
            for pr in rng.sample(prs, min(4, len(prs))):
                roll = rng.random()
                if roll < 0.4:
                    for _ in range(rng.choice((1, 1, 35))):  # sometimes past one REST page
                        state_name = rng.choice(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"])
                        state.add_review(pr, rng.choice(users), "r", state_name)
                elif roll < 0.6:
                    state.set_team_reviewers(pr, [rng.choice(["backend", "frontend"])], True)
                elif roll < 0.8:
                    state.finish_checks(pr, rng.choice(["success", "failure", "pending"]))
                else:
                    state.push(pr)
        clock.advance(TTL_PASSED)
        result = await gh.fetch_section(sect, limit=30)
        assert result.cache != "stale", result.stale_error
        for row in result.items:
            if not isinstance(row, PullRequest) or row.state != "open":
                continue
            truth = _sim_pr(sim, row.key)
            assert row.check_status == truth.check_state, row.key
            assert row.review_decision == _expected_decision(truth.reviews), row.key
            teams = {f"acme/{t}" for t in truth.teams}
            assert set(row.requested_reviewers) == set(truth.reviewers) | teams, row.key


async def test_another_users_rows_are_theirs(sim, clock) -> None:
    """Logged in as someone other than the simulator's `me`: the PR pane's `author:@me` rows
    get their checks and review from the GraphQL search, which reads `@me` as that user."""
    acc = sim.account("github")
    token = sim.world.services["github"].add_user("carol")
    gateway = sim_gateway(sim, "github", token=token, clock=clock)
    try:
        client = make_client(acc, gateway, clock=clock)
        result = await client.fetch_section(section("github", "is:open author:@me"), limit=50)
    finally:
        await gateway.aclose()
    prs = [i for i in result.items if isinstance(i, PullRequest)]
    assert prs and all(_sim_pr(sim, p.key).user == "carol" for p in prs)
    for pr in prs:
        truth = _sim_pr(sim, pr.key)
        assert pr.check_status == truth.check_state, pr.key
        assert pr.review_decision == review_decision_of(truth).lower(), pr.key
    assert result.stale_error is None


async def test_without_required_reviews_only_writers_opinions_decide(sim, gh, clock) -> None:
    """No branch protection asks for reviews, so GitHub's reviewDecision is null: the row says
    what the latest opinions of people with write access say (the query asks `writersOnly`),
    as GitHub's own decision counts them; an outside contributor's approval does not approve."""
    sect = section("github", "is:open")
    rows = (await gh.fetch_section(sect, limit=20)).items
    pr = next(i for i in rows if isinstance(i, PullRequest))
    truth, state = _sim_pr(sim, pr.key), sim.world.services["github"].state
    saved = (list(truth.reviews), list(truth.reviewers), list(truth.teams))
    truth.reviews.clear(), truth.reviewers.clear(), truth.teams.clear()
    truth.repo.requires_review = False
    truth.repo.read_only.add("mallory")

    async def decision() -> str | None:
        clock.advance(TTL_PASSED)
        rows = {i.id: i for i in (await gh.fetch_section(sect, limit=20)).items}
        return rows[pr.id].review_decision  # type: ignore[attr-defined]

    try:
        state.add_review(truth, "mallory", "lgtm", "APPROVED")
        assert await decision() is None
        state.add_review(truth, "alice", "ok", "APPROVED")
        assert await decision() == "approved"
    finally:
        truth.reviews[:], truth.reviewers[:], truth.teams[:] = saved
        truth.repo.requires_review = True
        truth.repo.read_only.discard("mallory")
