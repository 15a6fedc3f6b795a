"""The simulated GitHub's GraphQL API and the REST reads that real repositories need: reviews
past one page, Actions-only checks, team review requests, PATCH pulls, GET commits/{ref}."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.simulator.github_helpers import graphql, open_pr
from zen_tui.simulator.core.world import ChangeEvent
from zen_tui.simulator.github.render import node_id
from zen_tui.simulator.github.service import GitHubSim

ROW_QUERY = """
query($q: String!, $n: Int!) {
  rateLimit { cost remaining resetAt limit used }
  search(query: $q, type: ISSUE, first: $n) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number isDraft reviewDecision mergeable mergeStateStatus
        repository { nameWithOwner }
        author { login }
        latestOpinionatedReviews(first: 10) { nodes { author { login } state } }
        reviewRequests(first: 10) {
          nodes { requestedReviewer { ... on User { login } ... on Team { slug name } } }
        }
        commits(last: 1) { nodes { commit { statusCheckRollup { state
          contexts(first: 20) { nodes {
            ... on CheckRun { name status conclusion }
            ... on StatusContext { context state }
          } } } } } }
      }
    }
  }
}
"""


def _node(body: dict[str, Any], number: int) -> dict[str, Any]:
    return next(n for n in body["data"]["search"]["nodes"] if n.get("number") == number)


async def test_search_returns_pr_rows_and_spends_points(gh, sim: GitHubSim) -> None:
    pr = open_pr(sim)
    query = f"repo:{pr.repo.full_name} is:pr is:open sort:updated-desc"
    resp = await graphql(gh, ROW_QUERY, q=query, n=100)
    assert resp.status_code == 200
    assert resp.headers["x-ratelimit-resource"] == "graphql"
    body = resp.json()
    assert "errors" not in body
    rate = body["data"]["rateLimit"]
    # 1 search + 100 x (reviews, requests, commits) + 100 x 1 x contexts = 401 requests: 4 points.
    assert rate["cost"] == 4
    assert int(resp.headers["x-ratelimit-used"]) == rate["used"] == 4
    assert int(resp.headers["x-ratelimit-remaining"]) == rate["remaining"] == 5000 - 4
    row = _node(body, pr.number)
    assert row["repository"]["nameWithOwner"] == pr.repo.full_name
    assert row["author"]["login"] == pr.user
    assert row["reviewDecision"] in ("APPROVED", "CHANGES_REQUESTED", "REVIEW_REQUIRED")
    assert sim.world.counters.quota_spent[("github", "graphql")] == 4
    assert sim.world.counters.quota_spent[("github", "core")] == 0


async def test_errors_come_back_as_200_with_what_could_be_resolved(gh, sim: GitHubSim) -> None:
    bad_field = await graphql(gh, '{ search(query: "is:pr", type: ISSUE, first: 1) { nope } }')
    assert bad_field.status_code == 200
    assert "nope" in bad_field.json()["errors"][0]["message"]
    assert "data" not in bad_field.json()
    assert sim.world.counters.quota_spent[("github", "graphql")] == 0  # invalid: not charged

    # A connection without `first` fails alone; the rest of the answer is still there.
    partial = await graphql(
        gh,
        '{ search(query: "is:pr is:open", type: ISSUE, first: 2) '
        "{ nodes { ... on PullRequest { number latestReviews { totalCount } } } } }",
    )
    body = partial.json()
    assert body["errors"][0]["message"].startswith("You must provide a `first` or `last`")
    assert body["errors"][0]["path"][-1] == "latestReviews"
    assert all(n["number"] for n in body["data"]["search"]["nodes"])

    too_many = await graphql(
        gh, '{ search(query: "is:pr", type: ISSUE, first: 101) { issueCount } }'
    )
    assert "exceeds the `first` limit of 100 records" in too_many.json()["errors"][0]["message"]


SEARCH = "query($q: String!) { search(query: $q, type: ISSUE, first: 5) { issueCount nodes {"
SEARCH += " ... on PullRequest { number } } pageInfo { hasNextPage endCursor } } }"


async def test_a_search_longer_than_256_characters_is_refused(gh) -> None:
    """GitHub's docs: search queries longer than 256 characters are not supported (REST and
    GraphQL alike); 256 still runs."""
    longest = ("is:pr " * 43)[:256]
    assert (await graphql(gh, SEARCH, q=longest)).json()["data"]["search"]["nodes"]
    body = (await graphql(gh, SEARCH, q=longest + "x")).json()
    assert body["data"] is None or body["data"]["search"] is None
    assert body["errors"][0]["message"] == "The search is longer than 256 characters."
    assert body["errors"][0]["path"] == ["search"]


async def test_issue_count_counts_every_match_past_the_first_1000(gh, monkeypatch) -> None:
    """GitHub's reference: issueCount is the total; the nodes reach only the first 1,000."""
    monkeypatch.setattr("zen_tui.simulator.github.graphql_api.SEARCH_CAP", 7)
    first = (await graphql(gh, SEARCH, q="is:pr")).json()["data"]["search"]
    assert first["issueCount"] > 7
    after = first["pageInfo"]["endCursor"]
    query = SEARCH.replace("first: 5)", "first: 5, after: $after)").replace(
        "$q: String!)", "$q: String!, $after: String)"
    )
    rest = (await graphql(gh, query, q="is:pr", after=after)).json()["data"]["search"]
    assert len(first["nodes"]) + len(rest["nodes"]) == 7 and not rest["pageInfo"]["hasNextPage"]


async def test_exhausted_points_answer_rate_limited(gh, sim: GitHubSim) -> None:
    sim.buckets["graphql"].used = 5000
    resp = await graphql(gh, "{ rateLimit { remaining } }")
    assert resp.status_code == 200
    assert resp.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert resp.headers["x-ratelimit-remaining"] == "0"


async def test_reviews_past_the_first_page(gh, sim: GitHubSim) -> None:
    """Changes requested, 30 comments, then an approval by the same reviewer: REST lists 30
    a page oldest first (the approval is on page 2); GraphQL's decision is APPROVED."""
    pr = open_pr(sim)
    sim.state.add_review(pr, "alice", "no", "CHANGES_REQUESTED")
    for n in range(30):
        sim.state.add_review(pr, "alice", f"note {n}", "COMMENTED")
    sim.state.add_review(pr, "alice", "", "APPROVED")
    base = f"/repos/{pr.repo.full_name}/pulls/{pr.number}/reviews"
    first = await gh.get(base)
    assert len(first.json()) == 30 and first.json()[0]["state"] == "CHANGES_REQUESTED"
    second = await gh.get(first.links["next"]["url"])
    assert second.json()[-1]["state"] == "APPROVED"

    body = (await graphql(gh, ROW_QUERY, q=f"repo:{pr.repo.full_name} is:pr", n=100)).json()
    row = _node(body, pr.number)
    assert row["reviewDecision"] == "APPROVED"
    assert {"author": {"login": "alice"}, "state": "APPROVED"} in row["latestOpinionatedReviews"][
        "nodes"
    ]


async def test_actions_only_repository_has_check_runs_and_no_statuses(gh, sim: GitHubSim) -> None:
    repo = next(r for r in sim.state.repos.values() if r.checks == "actions")
    pr = next(i for i in repo.items.values() if i.is_pr and i.state == "open")
    sim.state.finish_checks(pr, "failure")
    base = f"/repos/{repo.full_name}/commits/{pr.head_sha}"
    status = (await gh.get(f"{base}/status")).json()
    assert (status["state"], status["statuses"]) == ("pending", [])
    runs = (await gh.get(f"{base}/check-runs")).json()
    assert [(r["status"], r["conclusion"]) for r in runs["check_runs"]] == [
        ("completed", "failure")
    ]
    body = (await graphql(gh, ROW_QUERY, q=f"repo:{repo.full_name} is:pr is:open", n=100)).json()
    rollup = _node(body, pr.number)["commits"]["nodes"][0]["commit"]["statusCheckRollup"]
    assert rollup["state"] == "FAILURE"
    assert rollup["contexts"]["nodes"] == [
        {"name": "tests", "status": "COMPLETED", "conclusion": "FAILURE"}
    ]


async def test_team_review_request_shows_the_team(gh, sim: GitHubSim) -> None:
    pr = open_pr(sim)
    pr.reviewers.clear()
    pr.reviews.clear()
    sim.state.set_team_reviewers(pr, ["frontend"], adding=True)
    rest = (await gh.get(f"/repos/{pr.repo.full_name}/pulls/{pr.number}")).json()
    assert [t["slug"] for t in rest["requested_teams"]] == ["frontend"]
    body = (await graphql(gh, ROW_QUERY, q=f"repo:{pr.repo.full_name} is:pr", n=100)).json()
    row = _node(body, pr.number)
    assert row["reviewRequests"]["nodes"] == [
        {"requestedReviewer": {"slug": "frontend", "name": "Frontend"}}
    ]
    assert row["reviewDecision"] == "REVIEW_REQUIRED"


async def test_search_links_keep_sort_and_order(gh, sim: GitHubSim) -> None:
    resp = await gh.get(
        "/search/issues", params={"q": "is:pr", "sort": "created", "order": "asc", "per_page": 5}
    )
    query = parse_qs(urlsplit(resp.links["next"]["url"]).query)
    assert (query["sort"], query["order"]) == (["created"], ["asc"])
    seen: list[int] = []
    url: str | None = str(resp.url)
    for _ in range(4):
        assert url
        page = await gh.get(url)
        seen += [i["id"] for i in page.json()["items"]]
        url = page.links.get("next", {}).get("url")
    assert len(seen) == len(set(seen)) == 20  # no row twice when the order is kept


async def test_patch_pull_and_get_commit(gh, sim: GitHubSim) -> None:
    pr = open_pr(sim)
    base = f"/repos/{pr.repo.full_name}"
    resp = await gh.patch(f"{base}/pulls/{pr.number}", json={"title": "Renamed", "state": "closed"})
    assert resp.status_code == 200
    assert (resp.json()["title"], resp.json()["state"]) == ("Renamed", "closed")
    assert (await gh.patch(f"{base}/pulls/{pr.number}", json={"state": "gone"})).status_code == 422
    commit = await gh.get(f"{base}/commits/{pr.head_sha}")
    assert commit.status_code == 200
    assert commit.json()["sha"] == pr.head_sha
    assert (await gh.get(f"{base}/commits/{'0' * 40}")).status_code == 422


async def test_the_seed_has_a_long_review_history_and_a_team_only_request(gh, sim) -> None:
    long = next(i for i in sim.state.items if len(i.reviews) > 30)
    assert [r.state for r in long.reviews][::31] == ["CHANGES_REQUESTED", "APPROVED"]
    team_only = next(i for i in sim.state.items if i.teams and not i.reviewers)
    assert team_only.state == "open" and team_only.is_pr
    mine = await gh.get("/search/issues", params={"q": "is:pr is:open review-requested:@me"})
    urls = {i["html_url"] for i in mine.json()["items"]}
    assert f"https://github.com/{team_only.repo.full_name}/pull/{team_only.number}" in urls


DELETE = """
mutation($id: ID!) { deleteIssue(input: {issueId: $id, clientMutationId: "m1"}) {
  clientMutationId } }
"""


async def test_delete_issue_mutation_sends_issues_deleted_and_the_issue_is_gone(
    gh, sim: GitHubSim
) -> None:
    events: list[ChangeEvent] = []
    sim.world.on_change(events.append)
    issue = next(i for i in sim.state.items if not i.is_pr and i.state == "open")
    path = f"/repos/{issue.repo.full_name}/issues/{issue.number}"
    r = await graphql(gh, DELETE, id=node_id("Issue", issue.id))
    assert r.json() == {"data": {"deleteIssue": {"clientMutationId": "m1"}}}
    [event] = events
    assert event.event == "issues" and event.payload["action"] == "deleted"
    assert event.payload["issue"]["number"] == issue.number
    gone = await gh.get(path)
    assert gone.status_code == 410 and gone.json()["message"] == "This issue was deleted"
    q = f"repo:{issue.repo.full_name} is:issue {issue.title}"
    found = (await gh.get("/search/issues", params={"q": q})).json()["items"]
    assert issue.number not in [i["number"] for i in found]
    pr = open_pr(sim)  # a pull request cannot be deleted
    r = await graphql(gh, DELETE, id=node_id("PullRequest", pr.id))
    assert r.status_code == 200 and "Could not resolve" in r.json()["errors"][0]["message"]
    assert pr in sim.state.items and len(events) == 1


async def test_at_me_in_a_graphql_search_is_the_viewer(gh, sim: GitHubSim) -> None:
    """`@me` is whoever's token asks, in GraphQL as in REST search; so is `viewer`."""
    token = sim.add_user("alice")
    headers = {"Authorization": f"Bearer {token}"}
    query = """query($q: String!) { viewer { login }
      search(query: $q, type: ISSUE, first: 100) { issueCount nodes {
        ... on PullRequest { number repository { nameWithOwner } } } } }"""
    for q, check in [
        ("is:pr is:open author:@me", lambda i: i.user == "alice"),
        ("is:pr is:open user-review-requested:@me", lambda i: "alice" in i.reviewers),
    ]:
        body = (
            await gh.post("/graphql", json={"query": query, "variables": {"q": q}}, headers=headers)
        ).json()
        assert body["data"]["viewer"] == {"login": "alice"}
        got = {
            (n["repository"]["nameWithOwner"], n["number"]) for n in body["data"]["search"]["nodes"]
        }
        want = {
            (i.repo.full_name, i.number)
            for i in sim.state.items
            if i.is_pr and i.state == "open" and check(i)
        }
        assert want and got == want, q
        rest = await gh.get("/search/issues", params={"q": q, "per_page": 100}, headers=headers)
        assert rest.json()["total_count"] == body["data"]["search"]["issueCount"]
