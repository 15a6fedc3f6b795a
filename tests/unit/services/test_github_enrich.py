"""PR row enrichment: review decision, check status, mergeable, requested reviewers."""

from __future__ import annotations

import httpx

from zen_tui.gateway.limiter import Priority
from zen_tui.models import PullRequest
from zen_tui.services import make_client
from zen_tui.services.base import Read
from zen_tui.services.github import GitHubClient

from .conftest import BASES, Account, section

API = BASES["github"]


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


def _pr(n: int, reviewers: list[str], mergeable: bool | None) -> dict:
    return {
        "number": n,
        "draft": False,
        "mergeable": mergeable,
        "requested_reviewers": [{"login": x} for x in reviewers],
        "head": {"sha": f"{n:040x}"},
    }


def _review(who: str, state: str) -> dict:
    return {"user": {"login": who}, "state": state}


async def test_rows_get_decision_checks_and_mergeable(make_gateway, router) -> None:
    gh = make_client(Account("github", "github", API), make_gateway("github"))
    router.get(f"{API}/search/issues").respond(200, json=_search(1, 2))
    router.get(f"{API}/repos/o/r/pulls/1").respond(200, json=_pr(1, ["bob"], True))
    router.get(f"{API}/repos/o/r/pulls/2").respond(200, json=_pr(2, [], False))
    router.get(f"{API}/repos/o/r/pulls/1/reviews").respond(200, json=[])
    router.get(f"{API}/repos/o/r/pulls/2/reviews").respond(
        200,
        json=[
            _review("cat", "CHANGES_REQUESTED"),
            _review("cat", "APPROVED"),  # cat's latest review counts
            _review("dan", "COMMENTED"),
        ],
    )
    status1 = router.get(f"{API}/repos/o/r/commits/{1:040x}/status").respond(
        200, json={"state": "failure", "statuses": [{"context": "ci", "state": "failure"}]}
    )
    router.get(f"{API}/repos/o/r/commits/{2:040x}/status").respond(
        200, json={"state": "pending", "statuses": []}
    )

    result = await gh.fetch_section(section("github", "is:open"))

    one, two = sorted(result.items, key=lambda i: i.key)
    assert isinstance(one, PullRequest) and isinstance(two, PullRequest)
    assert (one.review_decision, one.check_status, one.mergeable) == (
        "review_required",
        "failure",
        True,
    )
    assert one.requested_reviewers == ("bob",)
    assert (two.review_decision, two.check_status, two.mergeable) == ("approved", None, False)
    assert status1.calls[0].request.headers["authorization"].endswith("test-token")


async def test_enrichment_failure_leaves_fields_unknown(make_gateway, router) -> None:
    gh = make_client(Account("github", "github", API), make_gateway("github"))
    router.get(f"{API}/search/issues").respond(200, json=_search(3))
    router.get(f"{API}/repos/o/r/pulls/3").respond(404, json={"message": "Not Found"})
    router.get(f"{API}/repos/o/r/pulls/3/reviews").mock(side_effect=httpx.ConnectError("down"))

    result = await gh.fetch_section(section("github", "is:open"))

    [pr] = result.items
    assert isinstance(pr, PullRequest) and pr.title == "PR 3"
    assert (pr.review_decision, pr.check_status, pr.mergeable) == (None, None, None)


async def test_issue_panes_and_old_rows_are_not_enriched(make_gateway, router, monkeypatch) -> None:
    monkeypatch.setattr("zen_tui.services.github.ENRICH_MAX", 1)
    gh = make_client(Account("github", "github", API), make_gateway("github"))
    router.get(f"{API}/search/issues").respond(200, json=_search(1, 2))
    newest = router.get(f"{API}/repos/o/r/pulls/2").respond(200, json=_pr(2, [], None))
    router.get(f"{API}/repos/o/r/pulls/2/reviews").respond(200, json=[])
    router.get(f"{API}/repos/o/r/commits/{2:040x}/status").respond(200, json={"statuses": []})

    await gh.fetch_section(section("github", "is:open", pane="issues"))
    assert not newest.calls
    await gh.fetch_section(section("github", "is:open"))
    assert newest.call_count == 1  # only the newest PR: pulls/1 is not mocked and not asked


class _Recorder:
    """A gateway double recording what enrichment asks for (priority, cache type, overlap)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, object]] = []
        self.active = self.peak = 0

    async def request(self, method: str, path: str, **kw: object) -> object:
        import asyncio

        from zen_tui.gateway.errors import ApiError

        self.calls.append((path, kw.get("cache_type"), kw.get("priority")))  # type: ignore[arg-type]
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0)
        self.active -= 1
        raise ApiError(service="github", account="gh", endpoint=path, status=500, message="x")


async def test_priority_cache_type_and_bounded_concurrency() -> None:
    gw = _Recorder()
    gh = GitHubClient(Account("github", "github", API), gw)  # type: ignore[arg-type]
    prs = [
        PullRequest(
            id=f"github:o/r#{n}",
            account="github",
            service="github",
            key=f"o/r#{n}",
            title="t",
            url="u",
            updated_at=f"2026-01-{n:02d}",
        )
        for n in range(1, 11)
    ]
    out = await gh._enrich(list(prs), 30, Read(interactive=False))
    assert out == prs  # every part failed: rows unchanged
    assert gw.peak <= 4
    assert {c[1] for c in gw.calls} == {"issue_details"}
    assert {c[2] for c in gw.calls} == {Priority.BACKGROUND}
    gw.calls.clear()
    await gh._enrich(prs[:1], 30, Read(interactive=True))
    assert {c[2] for c in gw.calls} == {Priority.INTERACTIVE}
