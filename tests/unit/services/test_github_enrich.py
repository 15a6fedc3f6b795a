"""PR row enrichment through one GraphQL search per section: decision, checks, requests,
mergeability; GraphQL errors on a 200; partial answers keep what came back and say the rest."""

from __future__ import annotations

import json

import httpx

from zen_tui.gateway.limiter import Priority
from zen_tui.models import PullRequest
from zen_tui.services import make_client
from zen_tui.services.github import GitHubClient
from zen_tui.services.github_graphql import graphql_url

from .conftest import BASES, Account, section

API = BASES["github"]
GRAPHQL = {
    "x-ratelimit-resource": "graphql",
    "x-ratelimit-remaining": "4990",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-reset": "4102444800",
}


def _search(*numbers: int) -> dict:
    items = [
        {
            "number": n,
            "title": f"PR {n}",
            "html_url": f"https://github.com/o/r/pull/{n}",
            "repository_url": f"{API}/repos/o/r",
            "updated_at": f"2026-01-0{n}T00:00:00Z",
            "state": "open",
            "user": {"login": "ann"},
            "pull_request": {"url": f"{API}/repos/o/r/pulls/{n}"},
        }
        for n in numbers
    ]
    return {"total_count": len(items), "incomplete_results": False, "items": items}


def _node(n: int, **fields: object) -> dict:
    node: dict = {
        "number": n,
        "isDraft": False,
        "repository": {"nameWithOwner": "o/r"},
        "reviewDecision": None,
        "mergeable": "UNKNOWN",
        "mergeStateStatus": "UNKNOWN",
        "latestOpinionatedReviews": {"nodes": []},
        "reviewRequests": {"totalCount": 0, "nodes": []},
        "commits": {"nodes": [{"commit": {"statusCheckRollup": None}}]},
    }
    node.update(fields)
    return node


def _rollup(state: str) -> dict:
    return {"nodes": [{"commit": {"statusCheckRollup": {"state": state}}}]}


def _answer(*nodes: dict, errors: list | None = None) -> dict:
    body: dict = {
        "data": {
            "rateLimit": {"cost": 3},
            "search": {"issueCount": len(nodes), "nodes": list(nodes)},
        }
    }
    if errors:
        body["errors"] = errors
    return body


def _client(make_gateway) -> GitHubClient:
    gh = make_client(Account("github", "github", API), make_gateway("github"))
    assert isinstance(gh, GitHubClient)
    return gh


async def test_one_query_gives_every_row_its_fields(make_gateway, router) -> None:
    gh = _client(make_gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1, 2, 3))
    team = {"__typename": "Team", "combinedSlug": "o/core"}
    graphql = router.post(f"{API}/graphql").respond(
        200,
        headers=GRAPHQL,
        json=_answer(
            _node(
                1,
                reviewDecision="REVIEW_REQUIRED",
                mergeable="MERGEABLE",
                reviewRequests={"nodes": [{"requestedReviewer": team}]},
                commits=_rollup("FAILURE"),
            ),
            # No required reviews (decision null): the latest opinions decide.
            _node(
                2,
                mergeable="CONFLICTING",
                commits=_rollup("PENDING"),
                latestOpinionatedReviews={
                    "nodes": [{"author": {"login": "cat"}, "state": "APPROVED"}]
                },
            ),
            _node(3, reviewDecision="APPROVED", isDraft=True, commits=_rollup("SUCCESS")),
        ),
    )

    result = await gh.fetch_section(section("github", "is:open"))

    rows = {i.key: i for i in result.items}
    assert all(isinstance(i, PullRequest) for i in rows.values())
    one, two, three = rows["o/r#1"], rows["o/r#2"], rows["o/r#3"]
    assert (one.review_decision, one.check_status, one.mergeable) == (  # type: ignore[union-attr]
        "review_required",
        "failure",
        True,
    )
    assert one.requested_reviewers == ("o/core",)  # type: ignore[union-attr]
    assert (two.review_decision, two.check_status, two.mergeable) == (  # type: ignore[union-attr]
        "approved",
        "pending",
        False,
    )
    assert (three.review_decision, three.check_status, three.draft) == (  # type: ignore[union-attr]
        "approved",
        "success",
        True,
    )
    assert result.cache != "stale" and result.stale_error is None
    [call] = graphql.calls  # one query for the whole section
    sent = json.loads(call.request.content)
    assert sent["variables"] == {
        "query": "is:pr is:open sort:updated-desc",
        "first": 3,
        "after": None,
    }  # as many as listed
    assert "search(query: $query, type: ISSUE, first: $first, after: $after)" in sent["query"]


async def test_a_timed_out_query_is_asked_again_in_smaller_pages(
    make_gateway, router, monkeypatch
) -> None:
    """GitHub can 504 on many check rollups at once: half as many a page, then the cursor."""
    monkeypatch.setattr("zen_tui.services.github.GRAPHQL_MIN_PAGE", 1)
    gh = _client(make_gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1, 2, 3))
    nodes = [_node(n, commits=_rollup("SUCCESS")) for n in (3, 2, 1)]
    asked: list[tuple[int, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        first, after = variables["first"], variables["after"]
        asked.append((first, after))
        if first > 1:
            return httpx.Response(504, json={"message": "We couldn't respond in time"})
        start = int(after or 0)
        body = _answer(*nodes[start : start + first])
        more = start + first < len(nodes)
        page = {"hasNextPage": more, "endCursor": str(start + first) if more else None}
        body["data"]["search"]["pageInfo"] = page
        return httpx.Response(200, json=body, headers=GRAPHQL)

    router.post(f"{API}/graphql").mock(side_effect=answer)

    result = await gh.fetch_section(section("github", "is:open"))

    assert result.cache != "stale", result.stale_error
    assert {i.key: i.check_status for i in result.items} == dict.fromkeys(  # type: ignore[attr-defined]
        ("o/r#1", "o/r#2", "o/r#3"), "success"
    )
    assert [a for a in asked if a[0] == 1] == [(1, None), (1, "1"), (1, "2")]


async def test_graphql_errors_on_a_200_are_errors(make_gateway, router) -> None:
    gh = _client(make_gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1))
    router.post(f"{API}/graphql").respond(
        200, headers=GRAPHQL, json={"errors": [{"message": "Field 'nope' doesn't exist"}]}
    )

    result = await gh.fetch_section(section("github", "is:open"))

    [pr] = result.items
    assert isinstance(pr, PullRequest) and pr.title == "PR 1"  # the listing is kept
    assert (pr.review_decision, pr.check_status) == (None, None)  # nothing known yet
    assert result.cache == "stale" and result.stale_error is not None
    assert "GraphQL" in str(result.stale_error) and "nope" in str(result.stale_error)


async def test_partial_data_keeps_what_came_back_and_says_what_did_not(
    make_gateway, router
) -> None:
    gh = _client(make_gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1, 2))
    route = router.post(f"{API}/graphql")
    route.respond(
        200,
        headers=GRAPHQL,
        json=_answer(_node(1, commits=_rollup("SUCCESS")), _node(2, commits=_rollup("SUCCESS"))),
    )
    await gh.fetch_section(section("github", "is:open"))
    # Next poll: PR 2's node could not be resolved (null, with an error naming its path).
    error = {
        "type": "SERVICE_UNAVAILABLE",
        "path": ["search", "nodes", 1],
        "message": "Something went wrong",
    }
    route.respond(
        200,
        headers=GRAPHQL,
        json=_answer(_node(1, commits=_rollup("FAILURE")), None, errors=[error]),
    )  # type: ignore[arg-type]

    result = await gh.fetch_section(section("github", "is:open"))

    rows = {i.key: i for i in result.items}
    assert rows["o/r#1"].check_status == "failure"  # type: ignore[union-attr]  # what came back
    assert rows["o/r#2"].check_status == "success"  # type: ignore[union-attr]  # last known
    assert result.cache == "stale"
    reason = str(result.stale_error)
    assert "1 of 2 PR rows not refreshed" in reason and "Something went wrong" in reason


async def test_rate_limited_graphql_keeps_rows_and_pauses_its_own_scope(
    make_gateway, router, clock
) -> None:
    gateway = make_gateway("github")
    gh = make_client(Account("github", "github", API), gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1))
    reset = int(clock.time()) + 600
    router.post(f"{API}/graphql").respond(
        200,
        headers={**GRAPHQL, "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        json={"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
    )

    result = await gh.fetch_section(section("github", "is:open"))

    assert [i.key for i in result.items] == ["o/r#1"]
    assert result.cache == "stale" and "rate limited" in str(result.stale_error)
    buckets = gateway.health().buckets
    assert buckets["graphql"].remaining == 0
    assert buckets["core"].remaining is None  # REST's budget is not GraphQL's


async def test_issue_panes_are_not_enriched(make_gateway, router) -> None:
    gh = _client(make_gateway)
    router.get(f"{API}/search/issues").respond(200, json=_search(1))
    graphql = router.post(f"{API}/graphql").respond(200, headers=GRAPHQL, json=_answer())
    await gh.fetch_section(section("github", "is:open", pane="issues"))
    assert not graphql.calls


class _Recorder:
    """A gateway double recording what enrichment asks for."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    async def request(self, method: str, path: str, **kw: object) -> object:
        from zen_tui.gateway.errors import ApiError

        self.calls.append({"method": method, "path": path, **kw})
        raise ApiError(service="github", account="gh", endpoint=path, status=500, message="x")


async def test_the_query_goes_through_the_gateway_in_its_own_scope() -> None:
    gw = _Recorder()
    gh = GitHubClient(Account("github", "github", API), gw)  # type: ignore[arg-type]
    answer, error = await gh._rows(section("github", "is:open"), 100, interactive=True)
    assert error is not None and not answer.rows
    [call] = gw.calls
    assert (call["method"], call["path"], call["scope"]) == ("POST", "/graphql", "graphql")
    assert call["priority"] == Priority.INTERACTIVE
    assert "cache_type" not in call  # GraphQL has no ETags: nothing to revalidate


def test_graphql_url_for_github_and_enterprise() -> None:
    assert graphql_url("https://api.github.com") == "/graphql"
    assert graphql_url("https://ghe.example/api/v3/") == "https://ghe.example/api/graphql"
    assert httpx.URL(graphql_url("https://ghe.example/api/v3")).path == "/api/graphql"
