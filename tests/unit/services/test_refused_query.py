"""A section's query the server refuses becomes QueryRefused (the user's words, not an
outage): Jira's 400 on the first /search/jql page, GitHub's 422 on the first search page. A
400 on a later Jira page is the paging token, and only makes the listing partial."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway.errors import ApiError, QueryRefused

from .conftest import section
from .test_jira import API as JIRA_API
from .test_partial_listings import GH, ISSUES, jira_later_pages_fail, search_page

SAYS = "The value 'NOPE' does not exist for the field 'project'."


async def test_jira_400_on_the_first_page_is_the_query_once(jira, router) -> None:
    route = router.post(f"{JIRA_API}/search/jql").respond(
        400, json={"errorMessages": [SAYS], "errors": {}}
    )
    with pytest.raises(QueryRefused) as info:
        await jira.fetch_section(section("jira", "project = NOPE", pane="issues"))
    assert info.value.status == 400 and info.value.message == SAYS
    assert str(info.value) == f"jira: refused the query: {SAYS}"
    assert route.call_count == 1  # an answer: never retried


async def test_jira_400_on_a_later_page_is_partial_not_the_query(jira, router) -> None:
    jira_later_pages_fail(router, 400, "The token expired.")
    result = await jira.fetch_section(section("jira", "project = A", pane="issues"))
    assert [i.key for i in result.items] == ["A-1"] and result.partial
    assert isinstance(result.stale_error, ApiError)
    assert not isinstance(result.stale_error, QueryRefused)


async def test_jira_other_refusals_stay_plain_api_errors(jira, router) -> None:
    router.post(f"{JIRA_API}/search/jql").respond(403, json={"errorMessages": ["No."]})
    with pytest.raises(ApiError) as info:
        await jira.fetch_section(section("jira", "project = A", pane="issues"))
    assert not isinstance(info.value, QueryRefused)


async def test_github_422_on_search_is_the_query_once(gh, router) -> None:
    reason = {"message": "The listed users and repositories cannot be searched.", "code": "x"}
    route = router.get(f"{GH}/search/issues").respond(
        422, json={"message": "Validation Failed", "errors": [reason]}
    )
    # The repository itself is asked once, in case it was renamed (it was not: it is gone).
    lookup = router.get(f"{GH}/repos/no/pe").respond(404, json={"message": "Not Found"})
    with pytest.raises(QueryRefused) as info:
        await gh.fetch_section(section("github", "repo:no/pe", pane="issues"))
    assert info.value.message == f"Validation Failed: {reason['message']}"
    assert (route.call_count, lookup.call_count) == (1, 1)


async def test_github_search_answering_fine_is_untouched(gh, router) -> None:
    router.get(f"{GH}/search/issues").mock(return_value=search_page([1]))
    result = await gh.fetch_section(section("github", "is:open", pane="issues"))
    assert [i.key for i in result.items] == ["o/r#1"]


async def test_github_delta_refused_as_too_long_is_the_whole_query_since_the_cursor(
    gh, router
) -> None:
    """GitHub may count a query's length otherwise than its characters (clients report
    refusals under 256): a delta refused as too long is asked again without the cursor's
    term, and only the rows updated since the cursor kept, not the section refused."""
    too_long = {"message": "The search is longer than 256 characters.", "code": "invalid"}
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.params["q"])
        if "updated:>=" in request.url.params["q"]:
            return httpx.Response(422, json={"message": "Validation Failed", "errors": [too_long]})
        return search_page([5, 4, 3, 2])

    router.get(f"{GH}/search/issues").mock(side_effect=answer)
    result = await gh.fetch_section(ISSUES, cursor="2026-01-01T00:00:03Z")
    assert [i.key for i in result.items] == ["o/r#5", "o/r#4", "o/r#3"]
    assert result.complete and result.stale_error is None
    assert sent == ["is:issue is:open updated:>=2026-01-01T00:00:03Z", "is:issue is:open"]
