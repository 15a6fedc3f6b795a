"""Every field the official schemas allow to be null (or to be left out) of a recorded answer,
decoded by the client as it is: one such answer must not cost a row or a whole preview.

The variants come from the vendored GitHub REST schemas (tests/contracts/SOURCES.md), applied
to GitHub's own examples, and Jira's own example is read as Atlassian wrote it: not from the
simulator, as the two were written by the same hands."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from zen_tui.models import Issue, PullRequest
from zen_tui.services import make_client
from zen_tui.services.github import GitHubClient

from .conftest import BASES, Account, load, section

API = BASES["github"]
EX = "github-rest-api-description/examples"


def _nullable(prop: dict[str, Any]) -> bool:
    kinds = prop.get("type")
    listed = isinstance(kinds, list) and "null" in kinds
    return listed or any(alt.get("type") == "null" for alt in prop.get("anyOf", []))


def variants(
    contracts: Path, schema: str, example: dict[str, Any], part: str | None = None
) -> Iterator[tuple[str, Any]]:
    """`example` with each nullable property null, then with each optional one left out;
    `part` names the schema's definition to use instead of its top level."""
    doc = json.loads(
        (contracts / "github-rest-api-description/schemas" / f"{schema}.schema.json").read_text()
    )
    doc = doc["$defs"][part] if part else doc
    props = doc["properties"]
    for name in (n for n, p in props.items() if _nullable(p)):
        yield f"{name}=null", {**copy.deepcopy(example), name: None}
    for name in (n for n in props if n not in doc.get("required", ())):
        yield f"no {name}", {k: v for k, v in copy.deepcopy(example).items() if k != name}


@pytest.fixture
def fresh(make_gateway, monkeypatch) -> Callable[[], GitHubClient]:
    """A new client (and gateway, so no cached answer) for each variant."""
    monkeypatch.setattr("zen_tui.services.github.ENRICH_MAX", 0)

    def make() -> GitHubClient:
        client = make_client(Account("github", "github", API, user="me"), make_gateway("github"))
        assert isinstance(client, GitHubClient)
        return client

    return make


async def test_search_results_decode_with_any_nullable_field_null(fresh, router, contracts) -> None:
    [example] = load(contracts, f"{EX}/issue-search-result-item-paginated.json")["items"]
    tried = 0
    for name, raw in variants(
        contracts, "search-issues-response", example, "issue-search-result-item"
    ):
        router.routes.clear()
        body = {"total_count": 1, "incomplete_results": False, "items": [raw]}
        router.get(f"{API}/search/issues").respond(200, json=body)
        result = await fresh().fetch_section(section("github", "is:open"))
        assert [i.key for i in result.items] == ["batterseapower/pinyin-toolkit#132"], name
        assert result.skipped == 0, name
        tried += 1
    assert tried > 10


async def test_preview_parts_decode_with_any_nullable_field_null(fresh, router, contracts) -> None:
    """The PR, its reviews and its comments: GitHub sends `user: null` for a deleted
    account's review or comment (the schemas' nullable-simple-user), and the preview used to
    fail whole on it ("bad response: missing field 'user'")."""
    pr = load(contracts, f"{EX}/pull-request.json")
    reviews = load(contracts, f"{EX}/pull-request-review-items.json")
    comments = load(contracts, f"{EX}/issue-comment-items.json")
    cases = [
        *(("pr", n, v) for n, v in variants(contracts, "pull-request", pr)),
        *(("review", n, v) for n, v in variants(contracts, "pull-request-review", reviews[0])),
        *(("comment", n, v) for n, v in variants(contracts, "issue-comment", comments[0])),
    ]
    item = PullRequest(
        id="github:o/r#7",
        account="github",
        service="github",
        key="o/r#7",
        title="",
        url="",
        updated_at="",
    )
    base = f"{API}/repos/o/r"
    for part, name, raw in cases:
        router.routes.clear()
        router.get(f"{base}/pulls/7").respond(200, json=raw if part == "pr" else pr)
        router.get(f"{base}/pulls/7/reviews").respond(
            200, json=[raw] if part == "review" else reviews
        )
        router.get(f"{base}/issues/7/comments").respond(
            200, json=[raw] if part == "comment" else comments
        )
        router.get(url__regex=r"/commits/").respond(200, json={"statuses": [], "check_runs": []})
        detail = await fresh().details(item)
        assert detail.error is None, f"{part} {name}: {detail.error}"
        assert detail.comments and detail.reviews, f"{part} {name}"
    assert len(cases) > 20


async def test_a_deleted_accounts_review_and_comment_show_as_ghost(sim, sim_client) -> None:
    """Against the simulator, set to answer as GitHub does once an account is deleted."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    query = section("github", "is:open review-requested:@me")
    [pr] = (await gh.fetch_section(query, limit=1)).items
    stored = next(
        i for i in github.state.items if i.repo.full_name == pr.repo and i.number == pr.number
    )
    with sim.world.lock:
        github.state.add_comment(stored, "carol", "left a note")
        github.state.add_review(stored, "dave", "looks wrong", "CHANGES_REQUESTED")
    github.deleted_users = "carol,dave"
    try:
        detail = await gh.details(pr)
    finally:
        github.deleted_users = ""
    assert detail.error is None
    assert ("ghost", "left a note") in (detail.comments or ())
    assert ("ghost", "CHANGES_REQUESTED") in (detail.reviews or ())
    assert detail.extra["review_decision"] == "changes_requested"


async def test_jiras_own_issue_example_decodes_in_the_preview(jira, router, contracts) -> None:
    """Atlassian's OpenAPI example of GET /issue/{key} gives `fields.comment` as a bare list
    of comments, where Jira answers a page of them (`{"comments": [...]}`): both are read;
    the list failed the whole preview ("field 'comment' has type list")."""
    jira_api = f"{BASES['jira']}/rest/api/3"
    example = "jira-cloud-platform/examples"
    router.get(f"{jira_api}/issue/EX-1").respond(
        200, json=load(contracts, f"{example}/GET_issue_issueIdOrKey.200.json")
    )
    router.get(f"{jira_api}/issue/EX-1/transitions").respond(
        200, json=load(contracts, f"{example}/GET_issue_issueIdOrKey_transitions.200.json")
    )
    item = Issue(
        id="jira:EX-1", account="jira", service="jira", key="EX-1", title="", url="", updated_at=""
    )
    detail = await jira.details(item)
    assert detail.error is None
    assert detail.body == "Main order flow broken"
    [(author, text)] = detail.comments
    assert author == "Mia Krystof" and text.startswith("Lorem ipsum dolor sit amet")
    assert detail.transitions == ("Close Issue", "QA Review")
