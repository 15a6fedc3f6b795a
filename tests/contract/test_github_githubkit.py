"""The simulator's GitHub REST answers against GitHub's *current* OpenAPI description, through
the typed models githubkit generates from it (API version 2026-03-10), not only the 2020-era
JSON schemas of contracts/. These caught: search without `search_type`, combined status without
`statuses[].avatar_url`, labels without `archived_at`/`archived_by`, team requests without
`requested_teams[].type`, check runs without `output`/`check_suite`/`app`, a thin GET /user."""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

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


VERSIONED = [
    ("{repo}/issues/{n}", "assignee"),
    ("{repo}/pulls/{n}", "assignee"),
    ("{repo}/pulls/{n}", "merge_commit_sha"),
    ("{repo}/pulls", "merge_commit_sha"),
    ("/search/issues?q=is:open", "assignee"),
    ("{repo}", "has_downloads"),
    ("/rate_limit", "rate"),
]


@pytest.mark.parametrize(("path", "field"), VERSIONED)
async def test_fields_version_2026_03_10_removed_are_gone_only_there(
    setup, path: str, field: str
) -> None:
    """GitHub's breaking changes of 2026-03-10 take these fields out of its answers; 2022-11-28
    (what zen-tui asks for, and what a request naming no version gets) still has them. Each
    answer says which version it is (x-github-api-version-selected)."""
    gh, pr = setup
    url = path.format(repo=f"/repos/{pr.repo.full_name}", n=pr.number)

    def fields(answer: Any) -> set[str]:
        first = answer["items"][0] if "items" in answer else answer
        return set(first[0] if isinstance(first, list) else first)

    new = await gh.get(url)
    assert new.headers["x-github-api-version-selected"] == "2026-03-10"
    old = await gh.get(url, headers={"X-GitHub-Api-Version": "2022-11-28"})
    assert old.headers["x-github-api-version-selected"] == "2022-11-28"
    assert field not in fields(new.json()) and field in fields(old.json())


# ---- every refusal zen-tui can get, as the current description documents it ----------------

_REST = "githubkit_schemas.v2026_03_10.rest"
# The client class of each githubkit REST module the cases name.
_CLIENTS = {
    "activity": "ActivityClient",
    "checks": "ChecksClient",
    "issues": "IssuesClient",
    "pulls": "PullsClient",
    "repos": "ReposClient",
    "search": "SearchClient",
    "users": "UsersClient",
}


def documented(operation: str) -> tuple[str, dict[str, str]]:
    """`operation` ("pulls.merge") as the current description has it: "METHOD /path" and its
    documented error statuses -> the model of each one's body. githubkit generates one method
    per operation from the description, its docstring naming the operation and its
    `error_models` the description's error responses: read from its source."""
    module, name = operation.split(".")
    owner = getattr(importlib.import_module(f"{_REST}.{module}"), _CLIENTS[module])
    source = inspect.getsource(getattr(owner, name))
    route = re.search(r'"""[\w/-]+\n\n\s+((?:GET|POST|PUT|PATCH|DELETE) \S+)', source)
    errors = re.search(r"error_models=\{(.*?)\}", source, re.S)
    assert route is not None, operation
    return route.group(1), dict(re.findall(r'"(\d{3})": (\w+)', errors.group(1) if errors else ""))


class Operation(NamedTuple):
    """One operation of the current description, as githubkit generates its method."""

    name: str  # "pulls.merge"
    params: frozenset[str]  # its query parameters
    body: str | None  # the model (a type expression) its JSON body must validate as


def placeholders(route: str) -> str:
    """'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge' -> '... /pulls/{}/merge'."""
    return re.sub(r"\{[^}]+\}", "{}", route)


@functools.cache
def operations() -> dict[str, Operation]:
    """Every REST operation of the current description, by "METHOD /path" with its path
    parameters unnamed ("{}"), read from githubkit's generated methods (each one's source:
    the docstring names the route, `params` the query, `type_validate_python` the body)."""
    found: dict[str, Operation] = {}
    for module in _CLIENTS:
        owner = getattr(importlib.import_module(f"{_REST}.{module}"), _CLIENTS[module])
        for name, method in vars(owner).items():
            if name.startswith("_") or name.startswith("async_") or not callable(method):
                continue
            source = inspect.getsource(method)
            route = re.search(r'"""[\w/-]+\n\n\s+((?:GET|POST|PUT|PATCH|DELETE) \S+)', source)
            if route is None:
                continue
            query = re.search(r"params = \{(.*?)\n\s+\}", source, re.S)
            body = re.search(r"type_validate_python\(\s*(.*?),\s*json,?\s*\)", source, re.S)
            found[placeholders(route.group(1))] = Operation(
                f"{module}.{name}",
                frozenset(re.findall(r'"(\w+)":', query.group(1)) if query else ()),
                " ".join(body.group(1).split()) if body else None,
            )
    return found


# Answers GitHub gives that the description leaves out (its error lists are not exhaustive),
# each with where it is seen: the body is checked against basic-error all the same.
UNDOCUMENTED = {
    ("activity.get_thread", 404): "a thread marked done or never the user's (mark_done's verify)",
    ("activity.mark_thread_as_read", 404): "the same thread, marked read",
    ("activity.mark_thread_as_done", 404): "the same thread, marked done (taken as done)",
    ("pulls.list_reviews", 404): "every repository endpoint: a PR not there, a repo not visible",
    ("pulls.list_files", 404): "the same",
    ("repos.get_combined_status_for_ref", 422): "a ref GitHub has no commit for",
    ("checks.list_for_ref", 422): "the same",
    ("pulls.create_review", 404): "a PR not there",
    ("issues.add_assignees", 404): "an issue not there",
    ("issues.remove_assignees", 404): "the same",
}

MISSING = 999999  # an issue or PR number no repository has
DEAD = "0" * 40  # a commit no repository has


def refusal_cases() -> list[tuple[str, str, Any, str | None, int]]:
    """(operation, path, JSON body, token, status) for each refusal the simulator gives the
    requests zen-tui sends (see `places` for the paths named in braces). Token None: the
    default one; else a fine-grained token's grants, or "bad" for a token GitHub does not
    know."""
    return [
        ("search.issues_and_pull_requests", "/search/issues", None, None, 422),
        ("search.issues_and_pull_requests", "/search/issues?q=" + "is:open+" * 40, None, None, 422),
        (
            "search.issues_and_pull_requests",
            "/search/issues?q=x&page=11&per_page=100",
            None,
            None,
            422,
        ),
        ("search.issues_and_pull_requests", "/search/issues?q=author:ghost", None, None, 422),
        ("search.issues_and_pull_requests", "/search/issues?q=is:open", None, "bad", 401),
        (
            "activity.list_notifications_for_authenticated_user",
            "/notifications",
            None,
            "issues=write",
            403,
        ),
        ("activity.list_notifications_for_authenticated_user", "/notifications", None, "bad", 401),
        ("activity.get_thread", f"/notifications/threads/{MISSING}", None, None, 404),
        ("activity.get_thread", f"/notifications/threads/{MISSING}", None, "issues=write", 403),
        ("activity.mark_thread_as_read", f"/notifications/threads/{MISSING}", None, None, 404),
        ("activity.mark_thread_as_done", f"/notifications/threads/{MISSING}", None, None, 404),
        ("users.get_authenticated", "/user", None, "bad", 401),
        ("repos.get", "{off_repo}", None, None, 404),
        ("pulls.get", "{pr_repo}/pulls/" + str(MISSING), None, None, 404),
        ("pulls.list_reviews", "{pr_repo}/pulls/" + str(MISSING) + "/reviews", None, None, 404),
        ("pulls.list_files", "{pr_repo}/pulls/" + str(MISSING) + "/files", None, None, 404),
        ("pulls.create_review", "{mine}/reviews", {"event": "APPROVE"}, None, 422),
        ("pulls.create_review", "{pr}/reviews", {"event": "COMMENT"}, None, 422),
        ("pulls.create_review", "{pr}/reviews", {"event": "APPROVE"}, "issues=write", 403),
        (
            "pulls.create_review",
            "{pr_repo}/pulls/" + str(MISSING) + "/reviews",
            {"event": "APPROVE"},
            None,
            404,
        ),
        ("pulls.merge", "{pr}/merge", {"sha": DEAD}, None, 409),
        ("pulls.merge", "{pr}/merge", {"merge_method": "octopus"}, None, 422),
        ("pulls.merge", "{pr}/merge", {}, "issues=write", 403),
        ("pulls.merge", "{pr_repo}/pulls/" + str(MISSING) + "/merge", {}, None, 404),
        ("pulls.merge", "{closed}/merge", {}, None, 405),
        ("issues.create", "{issue_repo}/issues", {}, None, 422),
        ("issues.create", "{dry_repo}/issues", {"title": "t"}, None, 410),
        ("issues.create", "{old_repo}/issues", {"title": "t"}, None, 403),
        ("issues.create", "{off_repo}/issues", {"title": "t"}, None, 404),
        ("issues.get", "{gone}", None, None, 410),
        ("issues.get", "{off}", None, None, 404),
        ("issues.update", "{issue}", {"state": "shut"}, None, 422),
        ("issues.update", "{gone}", {"state": "closed"}, None, 410),
        ("issues.update", "{old}", {"state": "closed"}, None, 403),
        ("issues.update", "{off}", {"state": "closed"}, None, 404),
        ("issues.list_comments", "{gone}/comments", None, None, 410),
        ("issues.list_comments", "{off}/comments", None, None, 404),
        ("issues.create_comment", "{issue}/comments", {}, None, 422),
        ("issues.create_comment", "{gone}/comments", {"body": "b"}, None, 410),
        ("issues.create_comment", "{old}/comments", {"body": "b"}, None, 403),
        ("issues.create_comment", "{off}/comments", {"body": "b"}, None, 404),
        ("issues.list_labels_on_issue", "{gone}/labels", None, None, 410),
        ("issues.add_labels", "{issue}/labels", {"labels": 5}, None, 422),
        ("issues.add_labels", "{gone}/labels", {"labels": ["x"]}, None, 410),
        ("issues.add_labels", "{off}/labels", {"labels": ["x"]}, None, 404),
        ("issues.remove_label", "{issue}/labels/not-on-it", None, None, 404),
        ("issues.remove_label", "{gone}/labels/bug", None, None, 410),
        (
            "issues.add_assignees",
            "{pr_repo}/issues/" + str(MISSING) + "/assignees",
            {"assignees": ["alice"]},
            None,
            404,
        ),
        (
            "issues.remove_assignees",
            "{pr_repo}/issues/" + str(MISSING) + "/assignees",
            {"assignees": ["alice"]},
            None,
            404,
        ),
        ("issues.list_for_repo", "{off_repo}/issues", None, None, 404),
        (
            "repos.get_combined_status_for_ref",
            "{pr_repo}/commits/" + DEAD + "/status",
            None,
            None,
            422,
        ),
        ("checks.list_for_ref", "{pr_repo}/commits/" + DEAD + "/check-runs", None, None, 422),
    ]


def places(sim: GitHubSim) -> dict[str, str]:
    """The paths the cases name: the first repository holds an open PR of someone else's
    (pr), a closed PR (closed), an open issue (issue) and a deleted one (gone); the second
    is not visible to the user (off), the third archived (old), the fourth has issues turned
    off (dry); `*_repo` are the repositories themselves."""
    first, off, old, dry = list(sim.state.repos.values())[:4]
    sim.state.delete_issue(next(i for i in sim.state.items if i.repo is first and not i.is_pr))
    sim.hidden_repos, sim.archived_repos = off.full_name, old.full_name
    sim.issues_disabled_repos = dry.full_name

    def one(repo: Any, **want: Any) -> str:
        item = next(
            i
            for i in sim.state.items
            if i.repo is repo and all(getattr(i, k) == v for k, v in want.items())
        )
        return f"/repos/{repo.full_name}/{'pulls' if item.is_pr else 'issues'}/{item.number}"

    return {
        "pr": one(first, is_pr=True, state="open", draft=False, user="alice"),
        "mine": one(first, is_pr=True, state="open", user="me"),
        "closed": one(first, is_pr=True, state="closed"),
        "issue": one(first, is_pr=False, state="open"),
        "gone": f"/repos/{first.full_name}/issues/{min(first.deleted)}",
        "off": one(off, is_pr=False),
        "old": one(old, is_pr=False),
        **{
            f"{name}_repo": f"/repos/{r.full_name}"
            for name, r in (
                ("pr", first),
                ("issue", first),
                ("off", off),
                ("old", old),
                ("dry", dry),
            )
        },
    }


@pytest.fixture(scope="module")
def refusals_world() -> tuple[World, GitHubSim, dict[str, str]]:
    """One world for the module's refusals (none changes anything), its paths."""
    world = World(seed=7, size=1600)  # GitHub's share: 800 items in 8 repositories
    sim = GitHubSim(world, make_token(7, "github"))
    world.add(sim)
    return world, sim, places(sim)


CASE_IDS = [f"{op}-{status}-{n}" for n, (op, _p, _b, _t, status) in enumerate(refusal_cases())]


@pytest.mark.parametrize(
    ("operation", "path", "body", "token", "status"), refusal_cases(), ids=CASE_IDS
)
async def test_refusals_are_documented_and_shaped_as_the_description_says(
    refusals_world: tuple[World, GitHubSim, dict[str, str]],
    operation: str,
    path: str,
    body: Any,
    token: str | None,
    status: int,
) -> None:
    """Each refusal zen-tui can get from an endpoint it calls: a status the description
    documents for that operation (or one GitHub is seen to give, UNDOCUMENTED) with the body
    its model says; for the operation's own METHOD and path."""
    world, sim, where = refusals_world
    route, models_of = documented(operation)
    method, template = route.split(" ", 1)
    url = path.format(**where)
    pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
    assert re.fullmatch(pattern, url.split("?")[0]), (url, template)
    headers = {"User-Agent": "zen-tui-contract"}
    if token == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    else:
        grants = sim.add_fine_grained_token(token) if token else sim.token
        headers["Authorization"] = f"Bearer {grants}"
    transport = httpx.ASGITransport(app=build_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/github") as gh:
        resp = await gh.request(method, url, json=body, headers=headers)
    assert resp.status_code == status, resp.text
    model = models_of.get(str(status))
    if model is None:
        assert (operation, status) in UNDOCUMENTED, f"{route} documents {sorted(models_of)}"
        model = "BasicError"
    pydantic.TypeAdapter(getattr(models, model)).validate_python(resp.json())
