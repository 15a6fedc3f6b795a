"""The simulator's GitHub REST answers against GitHub's *current* OpenAPI description, through
the typed models githubkit generates from it (API version 2026-03-10), not only the 2020-era
JSON schemas of contracts/. These caught: search without `search_type`, combined status without
`statuses[].avatar_url`, labels without `archived_at`/`archived_by`, team requests without
`requested_teams[].type`, check runs without `output`/`check_suite`/`app`, a thin GET /user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from zen_tui.simulator.app import build_app, make_token
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim

models = pytest.importorskip("githubkit_schemas.v2026_03_10.models")
pydantic = pytest.importorskip("pydantic")


@pytest.fixture
async def setup() -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    world = World(seed=7, size=400)
    sim = GitHubSim(world, make_token(7, "github"))
    world.add(sim)
    pr = next(i for i in sim.state.items if i.is_pr and i.state == "open" and i.user != "me")
    sim.state.set_team_reviewers(pr, ["frontend"], adding=True)
    sim.state.add_review(pr, "alice", "fine", "APPROVED")
    sim.state.add_comment(pr, "bob", "hi @me")
    sim.state.add_labels(pr, ["bug"])
    headers = {"Authorization": f"Bearer {sim.token}", "X-GitHub-Api-Version": "2026-03-10"}
    transport = httpx.ASGITransport(app=build_app(world))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim/github", headers=headers
    ) as gh:
        yield gh, pr


CASES = [
    ("SearchIssuesGetResponse200", "/search/issues?q=is:pr"),
    ("PullRequest", "{repo}/pulls/{n}"),
    ("list[PullRequestSimple]", "{repo}/pulls"),
    ("list[PullRequestReview]", "{repo}/pulls/{n}/reviews"),
    ("PullRequestReviewRequest", "{repo}/pulls/{n}/requested_reviewers"),
    ("Issue", "{repo}/issues/{n}"),
    ("list[Label]", "{repo}/issues/{n}/labels"),
    ("list[IssueComment]", "{repo}/issues/{n}/comments"),
    ("CombinedCommitStatus", "{repo}/commits/{sha}/status"),
    ("ReposOwnerRepoCommitsRefCheckRunsGetResponse200", "{repo}/commits/{sha}/check-runs"),
    ("Commit", "{repo}/commits/{sha}"),
    ("list[Thread]", "/notifications?all=true"),
    ("PrivateUser", "/user"),
    ("RateLimitOverview", "/rate_limit"),
]


def _model(name: str) -> Any:
    if name.startswith("list["):
        return list[getattr(models, name[5:-1])]  # type: ignore[misc]
    return getattr(models, name)


@pytest.mark.parametrize(("model", "path"), CASES, ids=[c[0] for c in CASES])
async def test_answers_validate_against_githubkit_models(setup, model: str, path: str) -> None:
    gh, pr = setup
    url = path.format(repo=f"/repos/{pr.repo.full_name}", n=pr.number, sha=pr.head_sha)
    resp = await gh.get(url)
    assert resp.status_code == 200, resp.text
    pydantic.TypeAdapter(_model(model)).validate_python(resp.json())
