"""Query building for advanced search (with_terms), the kinds a query names, recognising
GitHub's mixed-kinds refusal, and a per-kind search whose second half fails."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from zen_tui.gateway.errors import ApiError, Unavailable
from zen_tui.models import FetchResult, Issue
from zen_tui.services.github import GitHubClient, section_query
from zen_tui.services.github_query import (
    kinds_named,
    merge_kinds,
    mixed_kinds_refused,
    with_terms,
    words,
)

from .conftest import Account, section
from .test_partial_listings import GH, gh_row

MIXED = "Query must include 'is:issue' or 'is:pull-request'"


@pytest.mark.parametrize(
    ("query", "before", "after", "sent"),
    [
        ("is:open", ("is:pr",), (), "is:pr is:open"),  # no OR: exactly as before
        ("is:open", (), ("updated:>=T",), "is:open updated:>=T"),
        ("author:@me OR assignee:@me", ("is:pr",), (), "is:pr (author:@me OR assignee:@me)"),
        (
            "repo:a/b repo:a/c label:x OR label:y",
            ("is:issue",),
            ("updated:>=T",),
            "is:issue repo:a/b repo:a/c (label:x OR label:y) updated:>=T",
        ),
        (
            '-repo:a/b (label:"in progress" OR label:x) OR is:draft',
            ("is:pr",),
            (),
            'is:pr -repo:a/b ((label:"in progress" OR label:x) OR is:draft)',
        ),
        ('label:"this OR that"', ("is:pr",), (), 'is:pr label:"this OR that"'),  # quoted
    ],
)
def test_with_terms(query: str, before: tuple[str, ...], after: tuple[str, ...], sent: str) -> None:
    assert with_terms(query, before, after) == sent


def test_with_terms_never_changes_what_a_query_says() -> None:
    """Seeded random queries: the words sent are the query's words plus the added terms,
    and parentheses stay balanced."""
    rng = random.Random(5)
    pool = ["is:open", "label:x", "OR", "AND", "repo:a/b", "-author:z", '"two words"', "(", ")"]
    for _ in range(500):
        query = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        sent = with_terms(query, ("is:pr",), ("updated:>=T",))
        got = [w for w in words(sent) if w not in "()"]
        assert sorted(got) == sorted(
            [*[w for w in words(query) if w not in "()"], "is:pr", "updated:>=T"]
        ), (query, sent)
        assert sent.count("(") - sent.count(")") == query.count("(") - query.count(")")


def test_kinds_named() -> None:
    assert kinds_named("is:pr is:open") == {"pr"}
    assert kinds_named("type:issue label:x") == {"issue"}
    assert kinds_named("is:pull-request") == {"pr"}
    assert kinds_named("involves:@me is:open") == set()
    assert kinds_named("(is:pr OR is:issue)") == set()  # inside parentheses: not the whole
    assert kinds_named("type:pr x", ("is",)) == set()  # GitHub's App-token rule: is: only


def test_section_query_of_an_or_query_in_a_pane() -> None:
    prs = section("github", "author:@me OR review-requested:@me", pane="prs")
    assert section_query(prs) == "is:pr (author:@me OR review-requested:@me)"
    inbox = section("github", "author:@me OR review-requested:@me", pane="inbox")
    assert section_query(inbox) == "author:@me OR review-requested:@me"


def test_mixed_kinds_refused_is_only_that_422() -> None:
    def err(status: int, message: str) -> ApiError:
        return ApiError(service="github", account="a", status=status, message=message)

    assert mixed_kinds_refused(err(422, MIXED))
    assert not mixed_kinds_refused(err(422, "Validation Failed: The listed users cannot be..."))
    assert not mixed_kinds_refused(err(403, MIXED))
    assert not mixed_kinds_refused(None)


def _result(items: list[Issue], **kw: object) -> FetchResult:
    return FetchResult(items=items, fetched_at=kw.pop("at", 100.0), cache="miss", **kw)  # type: ignore[arg-type]


def _issue(n: int, at: str) -> Issue:
    return Issue(
        id=f"github:o/r#{n}",
        service="github",
        account="a",
        key=f"o/r#{n}",
        title="t",
        url="https://github.com/o/r/issues/1",
        updated_at=at,
        repo="o/r",
        number=n,
    )


def _number(item: Any) -> int:
    return int(item.number)


def test_merge_kinds_is_newest_first_deduped_and_as_old_as_its_oldest_half() -> None:
    issues = _result([_issue(1, "2026-01-03T00:00:00Z"), _issue(2, "2026-01-01T00:00:00Z")])
    prs = _result(
        [_issue(3, "2026-01-02T00:00:00Z"), _issue(1, "2026-01-03T00:00:00Z")],
        at=90.0,
        partial=True,
    )
    merged = merge_kinds([issues, prs], limit=10, cursor=None)
    assert [_number(i) for i in merged.items] == [1, 3, 2]
    assert merged.fetched_at == 90.0 and merged.partial and merged.complete
    assert merged.fetched == {i.id: 100.0 for i in merged.items if _number(i) != 3}
    assert merged.cursor == "2026-01-03T00:00:00Z"
    cut = merge_kinds([issues, prs], limit=2, cursor=None)
    assert [_number(i) for i in cut.items] == [1, 3] and not cut.complete


async def test_one_kind_failing_leaves_the_other_partial(make_gateway: Any, router: Any) -> None:
    """The PR half is unavailable: the issue rows are shown, partial, with that reason; the
    engine then keeps the PR rows it did not see (tests/unit/sync/test_partial_lists.py)."""
    gh = GitHubClient(Account("github", "github", GH, user="me"), make_gateway("github"))

    def answer(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        if "is:issue" in q:
            body = {"total_count": 1, "incomplete_results": False, "items": [gh_row(1)]}
            return httpx.Response(200, json=body)
        if "is:pull-request" in q:
            return httpx.Response(502, json={"message": "Server Error"})
        return httpx.Response(422, json={"message": MIXED})

    router.get(f"{GH}/search/issues").mock(side_effect=answer)
    result = await gh.fetch_section(section("github", "involves:@me", pane="inbox"))
    assert [_number(i) for i in result.items] == [1]
    assert result.partial and not result.complete
    assert isinstance(result.stale_error, Unavailable)


async def test_both_kinds_failing_is_the_failure(make_gateway: Any, router: Any) -> None:
    gh = GitHubClient(Account("github", "github", GH, user="me"), make_gateway("github"))

    def answer(request: httpx.Request) -> httpx.Response:
        if "is:" in request.url.params["q"]:
            return httpx.Response(502, json={"message": "Server Error"})
        return httpx.Response(422, json={"message": MIXED})

    router.get(f"{GH}/search/issues").mock(side_effect=answer)
    with pytest.raises(Unavailable):
        await gh.fetch_section(section("github", "involves:@me", pane="inbox"))
