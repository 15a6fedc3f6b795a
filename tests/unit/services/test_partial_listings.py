"""A listing that did not read the whole query says so (`partial`), for each kind of paging:
GitHub Link pages and its search timing out (`incomplete_results`), Jira nextPageToken,
Slack cursors and channels. The engine then keeps the rows it did not see (tests/unit/sync/
test_partial_lists.py); a listing cut by the limit is not partial: it is the window asked for."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway.errors import IncompleteResults
from zen_tui.services import make_client
from zen_tui.services.github import GitHubClient
from zen_tui.services.jira import JiraClient
from zen_tui.services.slack import SlackClient

from .conftest import BASES, Account, load, section
from .test_jira import API as JIRA_API
from .test_jira import issue as jira_issue
from .test_jira import myself  # noqa: F401 - a fixture the jira one needs

GH = BASES["github"]
SLACK = BASES["slack"]


@pytest.fixture
def gh(make_gateway) -> GitHubClient:
    client = make_client(Account("github", "github", GH, user="me"), make_gateway("github"))
    assert isinstance(client, GitHubClient)
    return client


@pytest.fixture
def jira(make_gateway, clock, myself) -> JiraClient:  # noqa: F811 - the fixture above
    return JiraClient(Account("jira", "jira", BASES["jira"]), make_gateway("jira"), clock=clock)


@pytest.fixture
def slack(make_gateway, clock) -> SlackClient:
    return SlackClient(Account("slack", "slack", SLACK), make_gateway("slack"), clock=clock)


def gh_row(n: int) -> dict:
    return {
        "number": n,
        "title": f"issue {n}",
        "state": "open",
        "updated_at": f"2026-01-01T00:00:{n:02d}Z",
        "html_url": f"https://github.com/o/r/issues/{n}",
        "repository_url": f"{GH}/repos/o/r",
        "user": {"login": "ann"},
        "labels": [],
    }


def search_page(rows: list[int], *, incomplete: bool = False, next_page: int | None = None):
    body = {"total_count": 9, "incomplete_results": incomplete, "items": [gh_row(n) for n in rows]}
    headers = {}
    if next_page is not None:
        headers["link"] = f'<{GH}/search/issues?q=x&page={next_page}>; rel="next"'
    return httpx.Response(200, json=body, headers=headers)


ISSUES = section("github", "is:open", pane="issues")


async def test_github_a_failed_second_page_makes_the_listing_partial(gh, router) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(503, json={"message": "unavailable"})
        return search_page([3, 2], next_page=2)

    router.get(f"{GH}/search/issues").mock(side_effect=answer)
    result = await gh.fetch_section(ISSUES)
    assert [i.key for i in result.items] == ["o/r#3", "o/r#2"]  # what came is kept
    assert result.partial and not result.complete
    assert "503" in str(result.stale_error)


async def test_github_incomplete_results_make_the_listing_partial(gh, router) -> None:
    router.get(f"{GH}/search/issues").mock(return_value=search_page([3], incomplete=True))
    result = await gh.fetch_section(ISSUES)
    assert result.partial and not result.complete
    assert isinstance(result.stale_error, IncompleteResults)
    assert "GitHub search timed out" in str(result.stale_error)


async def test_github_a_listing_cut_by_the_limit_is_not_partial(gh, router) -> None:
    router.get(f"{GH}/search/issues").mock(return_value=search_page([3, 2, 1], next_page=2))
    result = await gh.fetch_section(ISSUES, limit=3)
    assert not result.complete and not result.partial and result.stale_error is None


async def test_github_search_timing_out_on_the_simulator_is_partial(sim, sim_client) -> None:
    gh = sim_client("github")
    whole = await gh.fetch_section(ISSUES, limit=1000)
    assert not whole.partial
    sim.world.services["github"].search_incomplete_rate = 1.0
    try:
        cut = await gh.fetch_section(ISSUES, limit=1000, revalidate=True)
    finally:
        sim.world.services["github"].search_incomplete_rate = 0.0
    assert cut.partial and isinstance(cut.stale_error, IncompleteResults)
    assert {i.id for i in cut.items} < {i.id for i in whole.items}


async def test_jira_a_failed_next_page_token_page_makes_the_listing_partial(jira, router) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if b"nextPageToken" in request.content:
            return httpx.Response(503, json={"errorMessages": ["down"]})
        body = {"issues": [jira_issue("A-1")], "nextPageToken": "t2", "isLast": False}
        return httpx.Response(200, json=body)

    router.post(f"{JIRA_API}/search/jql").mock(side_effect=answer)
    result = await jira.fetch_section(section("jira", "project = A", pane="issues"))
    assert [i.key for i in result.items] == ["A-1"]
    assert result.partial and "503" in str(result.stale_error)


async def test_jira_a_listing_cut_by_the_limit_is_not_partial(jira, router) -> None:
    body = {"issues": [jira_issue("A-1"), jira_issue("A-2")], "nextPageToken": "t2"}
    router.post(f"{JIRA_API}/search/jql").respond(200, json={**body, "isLast": False})
    result = await jira.fetch_section(section("jira", "project = A", pane="issues"), limit=2)
    assert not result.complete and not result.partial


@pytest.fixture
def basics(router, contracts):
    router.get(f"{SLACK}/auth.test").respond(
        200, json={"ok": True, "user_id": "U012AB3CDE", "url": "https://team.slack.test/"}
    )
    channels = load(contracts, "slack-api-specs/examples/conversations.list.200.json")
    channels["response_metadata"]["next_cursor"] = ""
    router.get(f"{SLACK}/conversations.list").respond(200, json=channels)
    router.get(f"{SLACK}/users.info").respond(200, json={"ok": False, "error": "user_not_found"})


def history(ts: str, cursor: str = "") -> httpx.Response:
    body = {
        "ok": True,
        "messages": [{"ts": ts, "text": "m", "user": "W1"}],
        "response_metadata": {"next_cursor": cursor},
    }
    return httpx.Response(200, json=body)


async def test_slack_a_failed_cursor_page_makes_the_listing_partial(slack, router, basics):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "c2":
            return httpx.Response(200, json={"ok": False, "error": "internal_error"})
        return history("2.0", cursor="c2")

    router.get(f"{SLACK}/conversations.history").mock(side_effect=answer)
    result = await slack.fetch_section(section("slack", "#general", pane="messages"))
    assert [m.key for m in result.items] == ["C012AB3CD:2.0"]
    assert result.partial and "internal_error" in str(result.stale_error)


async def test_slack_a_failed_second_channel_makes_the_listing_partial(slack, router, basics):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("channel") == "C0456DEFGH":
            return httpx.Response(200, json={"ok": False, "error": "internal_error"})
        return history("2.0")

    router.get(f"{SLACK}/conversations.history").mock(side_effect=answer)
    result = await slack.fetch_section(section("slack", "C012AB3CD C0456DEFGH", pane="messages"))
    assert [m.key for m in result.items] == ["C012AB3CD:2.0"]
    assert result.partial


async def test_slack_a_history_cut_by_the_limit_is_not_partial(slack, router, basics):
    router.get(f"{SLACK}/conversations.history").mock(return_value=history("2.0", cursor="c2"))
    result = await slack.fetch_section(section("slack", "#general", pane="messages"), limit=1)
    assert not result.complete and not result.partial
