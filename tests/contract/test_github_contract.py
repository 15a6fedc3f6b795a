"""The GitHub look-alike against tests/contracts/: REST JSON Schemas, octokit-webhooks payload
schemas, and the recorded octokit fixtures replayed as expectations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource

from zen_tui.simulator.app import build_app
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.github.service import GitHubSim

TOKEN = "contract-token"


def rest_schema(contracts: Path, name: str) -> Draft202012Validator:
    path = contracts / "github-rest-api-description" / "schemas" / f"{name}.schema.json"
    return Draft202012Validator(json.loads(path.read_text()))


def assert_valid(validator: Any, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def world() -> World:
    world = World(seed=21, size=300)
    world.add(GitHubSim(world, TOKEN))
    return world


@pytest.fixture
def sim(world: World) -> GitHubSim:
    return world.services["github"]  # type: ignore[return-value]


@pytest.fixture
def events(world: World) -> list[ChangeEvent]:
    seen: list[ChangeEvent] = []
    world.on_change(seen.append)
    return seen


@pytest.fixture
async def gh(world: World) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"token {TOKEN}", "Accept": "application/vnd.github.v3+json"}
    transport = httpx.ASGITransport(app=build_app(world))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim/github", headers=headers
    ) as client:
        yield client


def pick_pr(sim: GitHubSim) -> Any:
    return next(
        i
        for i in sim.state.items
        if i.is_pr and i.state == "open" and i.mergeable and not i.draft and i.user != "me"
    )


async def test_read_endpoints_match_rest_schemas(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Path
) -> None:
    pr = pick_pr(sim)
    repo = pr.repo.full_name
    await gh.post(f"/repos/{repo}/issues/{pr.number}/comments", json={"body": "seed"})
    reviewers = {"reviewers": ["alice"], "team_reviewers": ["backend"]}
    await gh.post(f"/repos/{repo}/pulls/{pr.number}/requested_reviewers", json=reviewers)
    assert pr.teams == ["backend"]  # so requested_teams / teams below are not empty
    checks: list[tuple[str, Any]] = [
        ("pull-request", (await gh.get(f"/repos/{repo}/pulls/{pr.number}")).json()),
        ("issue", (await gh.get(f"/repos/{repo}/issues/{pr.number}")).json()),
        ("search-issues-response", (await gh.get("/search/issues?q=involves:@me")).json()),
        ("rate-limit-overview", (await gh.get("/rate_limit")).json()),
        (
            "pull-request-review-request",
            (await gh.get(f"/repos/{repo}/pulls/{pr.number}/requested_reviewers")).json(),
        ),
    ]
    for name, body in checks:
        assert_valid(rest_schema(contracts, name), body)
    listings = [
        ("pull-request-simple", f"/repos/{repo}/pulls"),
        ("thread", "/notifications"),
        ("issue-comment", f"/repos/{repo}/issues/{pr.number}/comments"),
        ("issue", f"/repos/{repo}/issues"),
    ]
    for name, path in listings:
        rows = (await gh.get(path)).json()
        assert rows, path
        for row in rows:
            assert_valid(rest_schema(contracts, name), row)


async def test_write_endpoints_match_rest_schemas(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Path
) -> None:
    pr = pick_pr(sim)
    base = f"/repos/{pr.repo.full_name}"
    comment = await gh.post(f"{base}/issues/{pr.number}/comments", json={"body": "hi"})
    assert_valid(rest_schema(contracts, "issue-comment"), comment.json())
    labels = await gh.post(f"{base}/issues/{pr.number}/labels", json={"labels": ["x"]})
    for label in labels.json():
        assert_valid(rest_schema(contracts, "label"), label)
    review = await gh.post(f"{base}/pulls/{pr.number}/reviews", json={"event": "APPROVE"})
    assert_valid(rest_schema(contracts, "pull-request-review"), review.json())
    merged = await gh.put(f"{base}/pulls/{pr.number}/merge", json={"sha": pr.head_sha})
    assert_valid(rest_schema(contracts, "pull-request-merge-result"), merged.json())


async def test_error_bodies_match_rest_schemas(gh: httpx.AsyncClient, contracts: Path) -> None:
    missing = await gh.get("/repos/acme/none/pulls/1")
    assert_valid(rest_schema(contracts, "basic-error"), missing.json())
    invalid = await gh.get("/search/issues")
    assert invalid.status_code == 422
    assert_valid(rest_schema(contracts, "validation-error"), invalid.json())


async def test_approving_my_own_pr_is_a_simple_validation_error(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Path
) -> None:
    """GitHub's other 422 shape: `errors` as plain strings (validation-error-simple), the
    reason a client must show: 'Can not approve your own pull request'."""
    mine = next(i for i in sim.state.items if i.is_pr and i.state == "open" and i.user == "me")
    path = f"/repos/{mine.repo.full_name}/pulls/{mine.number}/reviews"
    r = await gh.post(path, json={"event": "APPROVE"})
    assert r.status_code == 422
    assert_valid(rest_schema(contracts, "validation-error-simple"), r.json())
    assert r.json()["errors"] == ["Can not approve your own pull request"]


def webhook_registry(contracts: Path) -> tuple[Registry, Path]:
    """Resources keyed by their own `$id` ("common/user.schema.json", "pull_request$opened"),
    so event refs resolve against payload-schemas/api.github.com/ and common refs as siblings."""
    root = contracts / "octokit-webhooks" / "payload-schemas" / "api.github.com"
    resources = []
    for path in root.rglob("*.schema.json"):
        schema = json.loads(path.read_text())
        uri = schema.get("$id") or str(path.relative_to(root))
        resources.append((uri, Resource.from_contents(schema, default_specification=_draft7())))
    return Registry().with_resources(resources), root


def _draft7() -> Any:
    from referencing.jsonschema import DRAFT7

    return DRAFT7


async def test_emitted_webhook_payloads_match_octokit_schemas(
    gh: httpx.AsyncClient, sim: GitHubSim, events: list[ChangeEvent], contracts: Path
) -> None:
    pr = pick_pr(sim)
    issue = next(i for i in sim.state.items if not i.is_pr and i.state == "open")
    base = f"/repos/{pr.repo.full_name}"
    ibase = f"/repos/{issue.repo.full_name}/issues/{issue.number}"
    await gh.post(f"{base}/issues/{pr.number}/labels", json={"labels": ["bug", "new-label"]})
    await gh.post(f"{base}/pulls/{pr.number}/requested_reviewers", json={"reviewers": ["alice"]})
    team = {"team_reviewers": ["frontend"]}
    await gh.post(f"{base}/pulls/{pr.number}/requested_reviewers", json=team)
    await gh.post(f"{base}/pulls/{pr.number}/reviews", json={"event": "COMMENT", "body": "ok"})
    await gh.post(f"{ibase}/comments", json={"body": "a comment"})
    await gh.post(f"{ibase}/labels", json={"labels": ["security"]})
    await gh.post(f"{ibase}/assignees", json={"assignees": ["bob"]})
    await gh.patch(ibase, json={"state": "closed"})
    await gh.post(f"/repos/{issue.repo.full_name}/issues", json={"title": "new"})
    await gh.put(f"{base}/pulls/{pr.number}/merge")
    for _ in range(30):
        sim.activity()  # opened / synchronize / review_requested / comments
    registry, root = webhook_registry(contracts)
    validated = set()
    for change in events:
        schema_path = root / change.event / f"{change.payload['action']}.schema.json"
        if not schema_path.exists():
            continue
        schema = json.loads(schema_path.read_text())
        assert_valid(Draft7Validator(schema, registry=registry), change.payload)
        validated.add(f"{change.event}.{change.payload['action']}")
        if "requested_team" in change.payload:
            validated.add("pull_request.review_requested(team)")
    assert {
        "pull_request.labeled",
        "pull_request.review_requested",
        "pull_request.review_requested(team)",
        "pull_request.closed",
        "pull_request.opened",
        "pull_request_review.submitted",
        "issue_comment.created",
        "issues.labeled",
        "issues.assigned",
        "issues.closed",
        "issues.opened",
    } <= validated


async def test_starring_sends_star_and_watch_as_octokit_describes_them(
    gh: httpx.AsyncClient, events: list[ChangeEvent], contracts: Path
) -> None:
    """PUT / DELETE /user/starred/{owner}/{repo} (204): GitHub's `star` (`created` with
    `starred_at`, `deleted` with null) and `watch` `started`, the events a hook sent
    "everything" gets about no issue or PR; a repeated star or unstar sends nothing."""
    registry, root = webhook_registry(contracts)
    for _ in range(2):
        assert (await gh.put("/user/starred/acme/api")).status_code == 204
    assert [(c.event, c.payload["action"]) for c in events] == [
        ("star", "created"),
        ("watch", "started"),
    ]
    for change, schema in zip(events, ("star/created", "watch/started"), strict=True):
        validator = Draft7Validator(json.loads((root / f"{schema}.schema.json").read_text()))
        assert_valid(Draft7Validator(validator.schema, registry=registry), change.payload)
        assert change.payload["repository"]["full_name"] == "acme/api"
    for _ in range(2):
        assert (await gh.delete("/user/starred/acme/api")).status_code == 204
    assert [(c.event, c.payload["action"], c.payload["starred_at"]) for c in events[2:]] == [
        ("star", "deleted", None)
    ]
    assert (await gh.put("/user/starred/acme/no-such-repo")).status_code == 404


def test_ping_payload_matches_octokit_schema(sim: GitHubSim, contracts: Path) -> None:
    registry, root = webhook_registry(contracts)
    schema = json.loads((root / "ping" / "event.schema.json").read_text())
    payload = sim.ping_payload("http://127.0.0.1:9000/hook", 424242)
    assert_valid(Draft7Validator(schema, registry=registry), payload)
    example = root.parents[1] / "payload-examples" / "api.github.com" / "ping" / "payload.json"
    same_shape(json.loads(example.read_text())["hook"], payload["hook"])


# ---- recorded octokit fixtures, replayed as expectations ----
def fixture(contracts: Path, name: str) -> list[dict[str, Any]]:
    path = contracts / "octokit-fixtures" / name / "normalized-fixture.json"
    return json.loads(path.read_text())


def same_shape(expected: Any, actual: Any) -> None:
    """Every key the recording has, the simulator has too, recursively (values may differ)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        missing = set(expected) - set(actual)
        assert not missing, f"missing keys {sorted(missing)}"
        for key, value in expected.items():
            if value is not None and actual[key] is not None:
                same_shape(value, actual[key])
    elif isinstance(expected, list):
        assert isinstance(actual, list)
        if expected and actual:
            same_shape(expected[0], actual[0])
    else:
        assert type(actual) is type(expected) or {type(actual), type(expected)} <= {int, float}


async def test_replay_add_labels_to_issue(gh: httpx.AsyncClient, contracts: Path) -> None:
    create, add = fixture(contracts, "add-labels-to-issue")
    path = create["path"].replace("octokit-fixture-org/add-labels-to-issue", "acme/api")
    created = await gh.post(path, json=create["body"])
    assert created.status_code == create["status"]
    same_shape(create["response"], created.json())
    number = created.json()["number"]
    labels_path = f"/repos/acme/api/issues/{number}/labels"
    added = await gh.post(labels_path, json=add["body"])
    assert added.status_code == add["status"] == 200
    assert [lbl["name"] for lbl in added.json()] == add["body"]["labels"]
    same_shape(add["response"], added.json())
    for key in ("x-ratelimit-resource", "x-ratelimit-limit", "x-github-media-type"):
        assert added.headers[key] == add["headers"][key]


async def test_replay_search_issues(gh: httpx.AsyncClient, contracts: Path) -> None:
    [record] = fixture(contracts, "search-issues")
    r = await gh.get("/search/issues", params={"q": "repo:acme/api is:issue"})
    assert r.status_code == record["status"]
    same_shape(record["response"], r.json())
    for key in ("x-ratelimit-resource", "x-ratelimit-limit", "cache-control"):
        assert r.headers[key] == record["headers"][key]
    assert r.headers["x-ratelimit-used"] == str(record["headers"]["x-ratelimit-used"])


async def test_replay_mark_notifications_as_read(gh: httpx.AsyncClient, contracts: Path) -> None:
    [record] = fixture(contracts, "mark-notifications-as-read")
    r = await gh.put(record["path"])
    assert r.status_code == record["status"] == 205
    assert r.content == b""
    for key in ("x-ratelimit-resource", "x-accepted-oauth-scopes"):
        assert r.headers[key] == record["headers"][key]
