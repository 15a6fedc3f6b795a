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
def sim() -> GitHubSim:
    world = World(seed=7, size=400)
    sim = GitHubSim(world, make_token(7, "github"))
    world.add(sim)
    return sim


@pytest.fixture
async def setup(sim: GitHubSim) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    world = sim.world
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


READS = [
    ("list[DiffEntry]", "{repo}/pulls/{n}/files"),
    ("list[Issue]", "{repo}/issues?state=all"),
    ("FullRepository", "{repo}"),
]


@pytest.mark.parametrize(("model", "path"), READS, ids=[c[0] for c in READS])
async def test_more_reads_validate_against_githubkit_models(setup, model: str, path: str) -> None:
    """The other reads the client makes: a PR's files (diff), a repository's issues (verify
    of create_issue), the repository (a renamed one's new name)."""
    gh, pr = setup
    resp = await gh.get(path.format(repo=f"/repos/{pr.repo.full_name}", n=pr.number))
    assert resp.status_code == 200, resp.text
    pydantic.TypeAdapter(_model(model)).validate_python(resp.json())


async def test_thread_validates_against_githubkit_model(setup) -> None:
    gh, _pr = setup
    [first, *_] = (await gh.get("/notifications?all=true")).json()
    resp = await gh.get(f"/notifications/threads/{first['id']}")
    pydantic.TypeAdapter(models.Thread).validate_python(resp.json())


async def test_write_answers_validate_against_githubkit_models(setup) -> None:
    """Every write the triage actions send, its answer as the current description types
    it: review (200), comment (201), labels added (200) and removed (200, the labels left),
    assignees (201 / 200, the issue), state change (200, the issue), issue created (201),
    merge (200); and the error bodies a refusal carries."""
    gh, pr = setup
    base = f"/repos/{pr.repo.full_name}"
    n = pr.number
    pr.mergeable, pr.draft = True, False  # so the merge goes through, then 405s
    writes: list[tuple[str, int, Any]] = [
        ("PullRequestReview", 200, gh.post(f"{base}/pulls/{n}/reviews", json={"event": "APPROVE"})),
        ("IssueComment", 201, gh.post(f"{base}/issues/{n}/comments", json={"body": "hi"})),
        ("list[Label]", 200, gh.post(f"{base}/issues/{n}/labels", json={"labels": ["x"]})),
        ("list[Label]", 200, gh.delete(f"{base}/issues/{n}/labels/x")),
        ("Issue", 201, gh.post(f"{base}/issues/{n}/assignees", json={"assignees": ["alice"]})),
        (
            "Issue",
            200,
            gh.request("DELETE", f"{base}/issues/{n}/assignees", json={"assignees": ["alice"]}),
        ),
        ("Issue", 201, gh.post(f"{base}/issues", json={"title": "t", "body": "b"})),
        ("PullRequestMergeResult", 200, gh.put(f"{base}/pulls/{n}/merge")),
        ("BasicError", 405, gh.put(f"{base}/pulls/{n}/merge")),  # merged already
        ("ValidationError", 422, gh.get("/search/issues")),
        ("Issue", 200, gh.patch(f"{base}/issues/{n}", json={"state": "closed"})),
    ]
    for model, status, sending in writes:
        resp = await sending
        assert resp.status_code == status, (model, resp.text)
        pydantic.TypeAdapter(_model(model)).validate_python(resp.json())


async def test_merge_settings_of_the_repository_as_the_description_types_them(
    setup, sim: GitHubSim
) -> None:
    """The repository's allow_merge_commit / allow_squash_merge / allow_rebase_merge, which
    the client reads to merge by a method the repository allows: present, typed and named as
    `full-repository` has them (optional there: left out, the answer is still valid)."""
    gh, pr = setup
    name = pr.repo.full_name  # the PR's repository allows squash only; the others all three
    sim.merge_methods = f"{name}=squash;merge,squash,rebase"
    answer = (await gh.get(f"/repos/{name}")).json()
    repo = pydantic.TypeAdapter(models.FullRepository).validate_python(answer)
    assert (repo.allow_merge_commit, repo.allow_squash_merge, repo.allow_rebase_merge) == (
        False,
        True,
        False,
    )
    sim.merge_settings_shown = False
    answer = (await gh.get(f"/repos/{name}")).json()
    pydantic.TypeAdapter(models.FullRepository).validate_python(answer)
    assert not {"allow_merge_commit", "allow_squash_merge", "allow_rebase_merge"} & set(answer)
