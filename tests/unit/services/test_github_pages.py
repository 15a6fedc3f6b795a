"""Every GitHub list read follows all pages (Link rel=next), within a bound; a list cut on
purpose says so; verify() cannot tell rather than guess when the bound cut its read."""

from __future__ import annotations

import httpx

from zen_tui.models import Action, Issue, PullRequest

from .conftest import BASES

API = BASES["github"]


def _paged(router, path: str, pages: list[list[dict]], wrap: str | None = None) -> None:
    """Serve `pages` at `path` (then /p/2, /p/3...), each linking to the next one."""
    for index, rows in enumerate(pages):
        url = f"{API}{path}" if index == 0 else f"{API}/p/{path.strip('/')}/{index + 1}"
        links = {}
        if index + 1 < len(pages):
            links["link"] = f'<{API}/p/{path.strip("/")}/{index + 2}>; rel="next"'
        body = {wrap: rows, "total_count": 0} if wrap else rows
        router.get(url).mock(return_value=httpx.Response(200, json=body, headers=links))


def _item(cls: type, n: int) -> PullRequest | Issue:
    return cls(  # type: ignore[no-any-return]
        id=f"github:o/r#{n}",
        account="github",
        service="github",
        key=f"o/r#{n}",
        title="",
        url="",
        updated_at="",
    )


async def test_preview_reads_every_page_and_says_when_comments_are_cut(
    gh, router, monkeypatch
) -> None:
    monkeypatch.setattr("zen_tui.services.github.COMMENT_PAGES", 2)
    sha = "a" * 40
    router.get(f"{API}/repos/o/r/pulls/5").respond(
        200,
        json={
            "body": "",
            "mergeable": True,
            "requested_reviewers": [],
            "requested_teams": [],
            "head": {"sha": sha},
        },
    )
    review = lambda who, state: {"user": {"login": who}, "state": state}  # noqa: E731
    _paged(
        router,
        "/repos/o/r/pulls/5/reviews",
        [
            [review("al", "CHANGES_REQUESTED")],
            [review("al", "COMMENTED")],
            [review("al", "APPROVED")],
        ],
    )
    _paged(
        router,
        f"/repos/o/r/commits/{sha}/status",
        [[{"context": "ci", "state": "success"}]],
        wrap="statuses",
    )
    run = lambda name: {"name": name, "status": "completed", "conclusion": "success"}  # noqa: E731
    _paged(
        router, f"/repos/o/r/commits/{sha}/check-runs", [[run("a")], [run("b")]], wrap="check_runs"
    )
    comment = lambda n: {"user": {"login": "bo"}, "body": f"c{n}"}  # noqa: E731
    _paged(router, "/repos/o/r/issues/5/comments", [[comment(1)], [comment(2)], [comment(3)]])

    detail = await gh.details(_item(PullRequest, 5))

    assert detail.error is None
    assert [s for _, s in detail.reviews] == ["CHANGES_REQUESTED", "COMMENTED", "APPROVED"]
    assert detail.extra["review_decision"] == "approved"  # the third page decides
    assert detail.checks == (("ci", "success"), ("a", "success"), ("b", "success"))
    assert detail.comments[:2] == (("bo", "c1"), ("bo", "c2"))
    assert detail.comments[2][1].startswith("first 2 comments shown")  # the bound, said


async def test_a_failed_later_page_keeps_the_rows_read_and_says_why(gh, router) -> None:
    router.get(f"{API}/repos/o/r/issues/6/comments").respond(
        200,
        json=[{"user": {"login": "bo"}, "body": "one"}],
        headers={"link": f'<{API}/p/more>; rel="next"'},
    )
    router.get(f"{API}/p/more").respond(404, json={"message": "Not Found"})

    detail = await gh.details(_item(Issue, 6))

    assert detail.comments == (("bo", "one"),)
    assert detail.error and "404" in detail.error


async def test_verify_reads_every_review_page_and_cannot_tell_past_the_bound(
    gh, router, monkeypatch
) -> None:
    approve = Action(kind="approve", item_id="github:o/r#7", account="github")
    mine = {"user": {"login": "me"}, "state": "APPROVED"}
    other = {"user": {"login": "zed"}, "state": "COMMENTED"}
    _paged(router, "/repos/o/r/pulls/7/reviews", [[other], [other], [mine]])
    assert await gh.verify(approve, idempotency_key="k") is True  # found on page 3

    monkeypatch.setattr("zen_tui.services.github.LIST_PAGES", 2)
    assert await gh.verify(approve, idempotency_key="k") is None  # cut before page 3


async def test_a_next_link_to_another_host_is_not_followed(gh, router) -> None:
    router.get(f"{API}/repos/o/r/issues/8/comments").respond(
        200,
        json=[{"user": {"login": "bo"}, "body": "one"}],
        headers={"link": '<https://elsewhere.test/steal>; rel="next"'},
    )
    elsewhere = router.get("https://elsewhere.test/steal").respond(200, json=[])

    detail = await gh.details(_item(Issue, 8))

    assert not elsewhere.calls  # the token never goes to another host
    assert detail.comments == (("bo", "one"),)
    assert detail.error and "elsewhere.test:443, not this account" in detail.error
