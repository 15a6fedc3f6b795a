"""GitHub reading: contract parsing, Link pagination, notifications, details, bad bodies."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway.errors import ApiGone, BadResponse
from zen_tui.models import Issue, PullRequest
from zen_tui.services import make_client
from zen_tui.services.base import MAX_EMPTY_PAGES, MAX_PAGES
from zen_tui.services.github import GitHubClient, review_decision, section_query

from .conftest import BASES, Account, load, section

API = BASES["github"]
EX = "github-rest-api-description/examples"


@pytest.fixture
def gh(make_gateway, monkeypatch) -> GitHubClient:
    monkeypatch.setattr("zen_tui.services.github.ENRICH_MAX", 0)  # listing only; see _enrich tests
    client = make_client(Account("github", "github", API, user="me"), make_gateway("github"))
    assert isinstance(client, GitHubClient)
    return client


def test_section_query_scopes_to_the_pane() -> None:
    assert section_query(section("github", "review-requested:@me")) == (
        "is:pr review-requested:@me"
    )
    assert section_query(section("github", "author:@me", pane="issues")) == "is:issue author:@me"
    assert section_query(section("github", "is:issue is:open")) == "is:issue is:open"


async def test_search_result_maps_every_field(gh, router, contracts) -> None:
    body = load(contracts, f"{EX}/issue-search-result-item-paginated.json")
    route = router.get(f"{API}/search/issues").respond(200, json=body)

    result = await gh.fetch_section(section("github", "is:open"))

    assert route.calls[0].request.url.params["q"] == "is:pr is:open"
    assert route.calls[0].request.url.params["per_page"] == "100"
    [pr] = result.items
    assert isinstance(pr, PullRequest)
    assert pr.id == "github:batterseapower/pinyin-toolkit#132"
    assert pr.key == "batterseapower/pinyin-toolkit#132"
    assert (pr.account, pr.service, pr.repo, pr.number) == (
        "github",
        "github",
        "batterseapower/pinyin-toolkit",
        132,
    )
    assert pr.title == "Line Number Indexes Beyond 20 Not Displayed"
    assert pr.url == "https://github.com/batterseapower/pinyin-toolkit/issues/132"
    assert pr.author == "Nick3C"
    assert pr.state == "open"
    assert pr.labels == ("bug",)
    assert pr.updated_at == "2009-07-19T09:23:43Z"
    assert result.cursor == "2009-07-19T09:23:43Z"
    assert result.complete


async def test_issue_without_pull_request_key_is_an_issue(gh, router, contracts) -> None:
    item = load(contracts, f"{EX}/issue-search-result-item-paginated.json")["items"][0]
    del item["pull_request"]
    item["assignee"] = {"login": "alice"}
    router.get(f"{API}/search/issues").respond(200, json={"items": [item]})
    [issue] = (await gh.fetch_section(section("github", "x", pane="issues"))).items
    assert isinstance(issue, Issue)
    assert (issue.status, issue.assignee, issue.number) == ("open", "alice", 132)


def _item(n: int, updated: str = "2024-01-01T00:00:00Z") -> dict:
    return {
        "number": n,
        "title": f"t{n}",
        "html_url": f"https://github.com/o/r/pull/{n}",
        "repository_url": f"{API}/repos/o/r",
        "updated_at": updated,
        "state": "open",
        "user": {"login": "bob"},
        "labels": [],
        "pull_request": {"merged_at": None},
    }


async def test_link_next_urls_are_followed_exactly(gh, router) -> None:
    # The next URL points at /repositories/{id}/... with opaque params: never rebuilt.
    page2 = f"{API}/repositories/42/search?page=2&q=weird%20thing&after=Y3Vyc29y"
    page3 = f"{API}/repositories/42/search?page=3&q=weird%20thing&after=bW9yZQ"
    router.get(f"{API}/search/issues").respond(
        200, json={"items": [_item(1)]}, headers={"Link": f'<{page2}>; rel="next", <x>; rel="last"'}
    )
    second = router.get(url=page2).respond(
        200,
        json={"items": [_item(2, "2024-03-01T00:00:00Z")]},
        headers={"Link": f'<{page3}>; rel="next", <{API}/x>; rel="first"'},
    )
    third = router.get(url=page3).respond(200, json={"items": [_item(3)]})

    result = await gh.fetch_section(section("github", "is:pr"))

    assert str(second.calls[0].request.url) == page2
    assert str(third.calls[0].request.url) == page3
    assert [i.key for i in result.items] == ["o/r#1", "o/r#2", "o/r#3"]
    assert result.complete and result.cursor == "2024-03-01T00:00:00Z"


async def test_pagination_stops_at_limit(gh, router) -> None:
    nxt = f"{API}/repositories/42/search?page=2"
    router.get(f"{API}/search/issues").respond(
        200, json={"items": [_item(1), _item(2)]}, headers={"Link": f'<{nxt}>; rel="next"'}
    )
    later = router.get(url=nxt).respond(200, json={"items": [_item(3)]})
    result = await gh.fetch_section(section("github", "is:pr"), limit=2)
    assert [i.key for i in result.items] == ["o/r#1", "o/r#2"]
    assert not result.complete
    assert not later.called


async def test_a_run_of_empty_pages_stops_paging(gh, router) -> None:
    # Every page is empty and links to a new next page: without a bound this never ends.
    pages = router.get(url__regex=rf"{API}/search/issues.*").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json={"items": []},
            headers={"Link": f'<{API}/search/issues?page={len(pages.calls) + 1}>; rel="next"'},
        )
    )
    result = await gh.fetch_section(section("github", "is:pr"))
    assert pages.call_count == MAX_EMPTY_PAGES
    assert not result.complete and result.items == []
    assert "empty pages in a row" in str(result.stale_error)


async def test_page_count_is_bounded(gh, router, clock) -> None:
    # One item per page whatever per_page says, and always a next link: 1000 items would
    # take 1000 pages; the guard allows the pages the limit needs (10) or MAX_PAGES.
    # The answers report a search budget that lasts (GitHub's own 30 a minute would stop the
    # paging at 30 first): the guard is what is tested.
    n = iter(range(1, 10_000))
    budget = {
        "x-ratelimit-limit": "1000",
        "x-ratelimit-resource": "search",
        "x-ratelimit-reset": str(int(clock.time()) + 60),
    }
    pages = router.get(url__regex=rf"{API}/search/issues.*").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json={"items": [_item(next(n))]},
            headers={
                "Link": f'<{API}/search/issues?page={len(pages.calls) + 1}>; rel="next"',
                "x-ratelimit-remaining": str(1000 - len(pages.calls)),
                **budget,
            },
        )
    )
    result = await gh.fetch_section(section("github", "is:pr"), limit=1000)
    assert pages.call_count == MAX_PAGES and len(result.items) == MAX_PAGES
    assert f"stopped paging after {MAX_PAGES} pages" in str(result.stale_error)


async def test_cursor_asks_for_updated_since(gh, router) -> None:
    route = router.get(f"{API}/search/issues").respond(200, json={"items": []})
    await gh.fetch_section(section("github", "is:pr"), cursor="2024-05-01T00:00:00Z")
    assert route.calls[0].request.url.params["q"] == "is:pr updated:>=2024-05-01T00:00:00Z"


async def test_error_mid_pagination_returns_partial(gh, router) -> None:
    nxt = f"{API}/repositories/42/search?page=2"
    router.get(f"{API}/search/issues").respond(
        200, json={"items": [_item(1)]}, headers={"Link": f'<{nxt}>; rel="next"'}
    )
    router.get(url=nxt).respond(422, json={"message": "Validation Failed"})
    result = await gh.fetch_section(section("github", "is:pr"))
    assert [i.key for i in result.items] == ["o/r#1"]
    assert not result.complete
    assert result.stale_error is not None and result.stale_error.status == 422


async def test_notifications_poll_interval_and_threads(gh, router, contracts) -> None:
    threads = load(contracts, f"{EX}/thread-items.json")
    route = router.get(f"{API}/notifications").respond(
        200, json=threads, headers={"X-Poll-Interval": "60", "Last-Modified": "Thu, 01 Jan 2024"}
    )
    result = await gh.fetch_section(
        section("github", "notifications participating", pane="issues"),
        cursor="2024-01-01T00:00:00Z",
    )
    params = route.calls[0].request.url.params
    assert (params["participating"], params["since"]) == ("true", "2024-01-01T00:00:00Z")
    assert result.poll_interval == 60.0
    [item] = result.items
    assert isinstance(item, Issue)
    assert item.key == "octokit/octokit.rb#123"
    assert item.url == "https://github.com/octokit/octokit.rb/issues/123"
    assert (item.title, item.status) == ("Greetings", "unread")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"total_count": 1}',
        b'{"items": {"a": 1}}',
    ],
)
async def test_malformed_bodies_are_bad_response(gh, router, body) -> None:
    router.get(f"{API}/search/issues").respond(200, content=body)
    with pytest.raises(BadResponse) as info:
        await gh.fetch_section(section("github", "is:pr"))
    assert info.value.service == "github"
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"number": "12", "title": "x"},
        {"number": 1, "title": None, "repository_url": "u"},
    ],
)
async def test_a_malformed_item_is_skipped_not_its_page(gh, router, bad, caplog) -> None:
    body = {"items": [_item(1), bad, _item(2)]}
    router.get(f"{API}/search/issues").respond(200, json=body)
    result = await gh.fetch_section(section("github", "is:pr"))
    assert [i.key for i in result.items] == ["o/r#1", "o/r#2"]
    assert result.skipped == 1
    assert "skipped a malformed item" in caplog.text


async def test_gone_names_the_endpoint(gh, router) -> None:
    router.get(f"{API}/search/issues").respond(410, json={"message": "Gone"})
    with pytest.raises(ApiGone) as info:
        await gh.fetch_section(section("github", "is:pr"))
    assert "/search/issues" in str(info.value) and "upgrade" in str(info.value)


async def test_details_enrich_a_pull_request(gh, router, contracts) -> None:
    pr = load(contracts, f"{EX}/pull-request.json")
    reviews = load(contracts, f"{EX}/pull-request-review-items.json")
    base = f"{API}/repos/o/r"
    sha = pr["head"]["sha"]
    router.get(f"{base}/pulls/7").respond(200, json=pr)
    router.get(f"{base}/pulls/7/reviews").respond(200, json=reviews)
    router.get(f"{base}/commits/{sha}/status").respond(
        200, json={"state": "failure", "statuses": [{"context": "ci", "state": "failure"}]}
    )
    router.get(f"{base}/commits/{sha}/check-runs").respond(
        200,
        json={
            "total_count": 2,
            "check_runs": [
                {"name": "build", "status": "completed", "conclusion": "success"},
                {"name": "e2e", "status": "in_progress", "conclusion": None},
            ],
        },
    )
    router.get(f"{base}/issues/7/comments").respond(
        200, json=[{"user": {"login": "al"}, "body": "lgtm"}]
    )
    item = PullRequest(
        id="github:o/r#7",
        account="github",
        service="github",
        key="o/r#7",
        title="",
        url="",
        updated_at="",
    )
    detail = await gh.details(item)
    assert detail.error is None
    # Requested users and teams (as org/slug) show beside the reviews.
    assert detail.reviews == (
        ("octocat", "APPROVED"),
        ("other_user", "requested"),
        ("o/justice-league", "requested"),
    )
    # Commit statuses and check runs (what GitHub Actions reports) together.
    assert detail.checks == (("ci", "failure"), ("build", "success"), ("e2e", "pending"))
    assert detail.comments == (("al", "lgtm"),)
    assert detail.extra["mergeable"] == "true"
    assert detail.extra["requested_reviewers"] == "other_user, o/justice-league"
    assert detail.extra["review_decision"] == "approved"


async def test_details_keep_going_when_a_part_fails(gh, router) -> None:
    router.get(f"{API}/repos/o/r/issues/3/comments").respond(404, json={"message": "Not Found"})
    item = Issue(
        id="github:o/r#3",
        account="github",
        service="github",
        key="o/r#3",
        title="",
        url="",
        updated_at="",
        body="text",
    )
    detail = await gh.details(item)
    assert detail.body == "text"
    assert detail.error and "404" in detail.error


def test_review_decision_latest_state_per_reviewer_counts() -> None:
    assert review_decision((("a", "CHANGES_REQUESTED"), ("a", "APPROVED"))) == "approved"
    assert review_decision((("a", "APPROVED"), ("b", "CHANGES_REQUESTED"))) == "changes_requested"
    assert review_decision((("a", "COMMENTED"),)) == "review_required"
    assert review_decision(()) is None
    assert review_decision((("me", "PENDING"),)) is None  # not submitted: no review yet


def test_webhook_payload_becomes_an_item(gh, contracts) -> None:
    payload = load(
        contracts,
        "octokit-webhooks/payload-examples/api.github.com/pull_request/opened.payload.json",
    )
    [item] = gh.items_for_webhook("pull_request", payload)
    assert isinstance(item, PullRequest)
    assert item.key == f"{payload['repository']['full_name']}#{payload['number']}"
    assert item.branch == payload["pull_request"]["head"]["ref"] and item.branch
    assert gh.items_for_webhook("ping", {}) == []


def test_a_deleted_or_transferred_issue_is_no_item(gh) -> None:
    issue = {"number": 3, "title": "t", "html_url": "u", "updated_at": "2026-01-01T00:00:00Z"}
    payload = {"issue": {**issue, "state": "open"}, "repository": {"full_name": "acme/api"}}
    assert gh.items_for_webhook("issues", {**payload, "action": "deleted"}) == []
    assert gh.items_for_webhook("issues", {**payload, "action": "transferred"}) == []
    [item] = gh.items_for_webhook("issues", {**payload, "action": "edited"})
    assert item.key == "acme/api#3"


def test_unknown_service_is_a_clear_error(make_gateway) -> None:
    with pytest.raises(ValueError, match="unknown service 'gitlab'"):
        make_client(Account("x", "gitlab", API), make_gateway("github"))


async def test_headers_are_the_gateways(gh, router) -> None:
    route = router.get(f"{API}/search/issues").respond(200, json={"items": []})
    await gh.fetch_section(section("github", "is:pr"))
    request: httpx.Request = route.calls[0].request
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


async def test_truncating_the_last_page_is_not_complete(gh, router) -> None:
    router.get(f"{API}/search/issues").respond(200, json={"items": [_item(1), _item(2), _item(3)]})
    result = await gh.fetch_section(section("github", "is:pr"), limit=2)
    assert len(result.items) == 2 and not result.complete


async def test_empty_delta_keeps_the_cursor(gh, router) -> None:
    router.get(f"{API}/search/issues").respond(200, json={"items": []})
    result = await gh.fetch_section(section("github", "is:pr"), cursor="2024-05-01T00:00:00Z")
    assert result.items == [] and result.cursor == "2024-05-01T00:00:00Z"


async def test_octokit_recorded_search_replays(gh, router, contracts) -> None:
    [record] = load(contracts, "octokit-fixtures/search-issues/normalized-fixture.json")
    route = router.get(f"{API}/search/issues").respond(record["status"], json=record["response"])
    result = await gh.fetch_section(
        section("github", "sesame repo:octokit-fixture-org/search-issues", pane="issues")
    )
    assert (
        route.calls[0]
        .request.url.params["q"]
        .endswith("sesame repo:octokit-fixture-org/search-issues")
    )
    expected = [
        f"octokit-fixture-org/search-issues#{i['number']}" for i in record["response"]["items"]
    ]
    assert [i.key for i in result.items] == expected
    assert all(isinstance(i, Issue) for i in result.items)


def test_full_pull_request_object_maps_exactly(gh, contracts) -> None:
    pr = load(contracts, f"{EX}/pull-request.json")
    [item] = gh.items_for_webhook(
        "pull_request", {"pull_request": pr, "repository": {"full_name": "octocat/Hello-World"}}
    )
    assert isinstance(item, PullRequest)
    assert item.key == "octocat/Hello-World#1347"
    assert item.url == "https://github.com/octocat/Hello-World/pull/1347"
    assert (item.author, item.draft, item.mergeable) == ("octocat", False, True)
    # Users by login, teams as org/slug (as the GraphQL rows name them).
    assert item.requested_reviewers == ("other_user", "octocat/justice-league")
    assert item.assignees == ("octocat", "hubot")
    assert item.labels == ("bug",)
    assert item.state == "merged"  # the example carries a merged_at
    assert item.updated_at == "2011-01-26T19:01:12Z"
