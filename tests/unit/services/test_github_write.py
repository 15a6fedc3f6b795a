"""GitHub triage writes: request shapes, merge conflicts, verify(), bulk pacing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_tui.gateway.errors import Unavailable
from zen_tui.models import Action
from zen_tui.services.github import GitHubClient
from zen_tui.services.markers import html_marker

from .conftest import BASES, Account, body_of

API = BASES["github"]
REPO = f"{API}/repos/o/r"
KEY = "k-123"


@pytest.fixture
def gh(make_gateway, clock) -> GitHubClient:
    return GitHubClient(
        Account("github", "github", API, user="me"), make_gateway("github"), clock=clock
    )


def act(kind: str, **params: str) -> Action:
    return Action(kind=kind, item_id="github:o/r#5", account="github", params=params)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "method", "path", "body"),
    [
        (act("approve"), "POST", "/pulls/5/reviews", {"event": "APPROVE", "body": ""}),
        (
            act("request_changes", body="fix it"),
            "POST",
            "/pulls/5/reviews",
            {"event": "REQUEST_CHANGES", "body": f"fix it\n\n{html_marker(KEY)}"},
        ),
        (
            act("comment", body="hm", review="1"),
            "POST",
            "/pulls/5/reviews",
            {"event": "COMMENT", "body": f"hm\n\n{html_marker(KEY)}"},
        ),
        (
            act("comment", body="hello"),
            "POST",
            "/issues/5/comments",
            {"body": f"hello\n\n{html_marker(KEY)}"},
        ),
        (act("merge"), "PUT", "/pulls/5/merge", {"merge_method": "merge"}),
        (act("merge", merge_method="squash"), "PUT", "/pulls/5/merge", {"merge_method": "squash"}),
        (act("add_label", label="bug"), "POST", "/issues/5/labels", {"labels": ["bug"]}),
        (act("remove_label", label="bug"), "DELETE", "/issues/5/labels/bug", None),
        (act("assign", assignee="al"), "POST", "/issues/5/assignees", {"assignees": ["al"]}),
        (act("assign"), "POST", "/issues/5/assignees", {"assignees": ["me"]}),
        (act("unassign", assignee="al"), "DELETE", "/issues/5/assignees", {"assignees": ["al"]}),
        (act("close"), "PATCH", "/issues/5", {"state": "closed"}),
        (act("reopen"), "PATCH", "/issues/5", {"state": "open"}),
    ],
)
async def test_action_request_shape(gh, router, action, method, path, body) -> None:
    # An issue answer names its assignees: an assign GitHub ignored is a failure (below).
    issue = {"assignees": [{"login": "al"}, {"login": "me"}]}
    route = router.route(method=method, url=f"{REPO}{path}").respond(200, json=issue)
    result = await gh.apply(action, idempotency_key=KEY)
    assert result.ok, result.message
    request = route.calls[0].request
    assert (request.content and body_of(route.calls[0])) == (body if body is not None else b"")


async def test_mark_read_uses_the_thread_id(gh, router) -> None:
    route = router.patch(f"{API}/notifications/threads/99").respond(205)
    result = await gh.apply(act("mark_read", thread_id="99"), idempotency_key=KEY)
    assert result.ok and route.called


async def test_mark_read_without_thread_is_a_clear_failure(gh) -> None:
    result = await gh.apply(act("mark_read"), idempotency_key=KEY)
    assert not result.ok and result.conflict and "thread" in result.message


@pytest.mark.parametrize(("status", "text"), [(405, "not mergeable"), (409, "head moved")])
async def test_merge_conflicts_are_final(gh, router, status, text) -> None:
    router.put(f"{REPO}/pulls/5/merge").respond(status, json={"message": "nope"})
    result = await gh.apply(act("merge"), idempotency_key=KEY)
    assert (result.ok, result.conflict) == (False, True)
    assert text in result.message


async def test_other_4xx_is_a_final_refusal(gh, router) -> None:
    router.post(f"{REPO}/issues/5/labels").respond(422, json={"message": "Validation Failed"})
    result = await gh.apply(act("add_label", label="x"), idempotency_key=KEY)
    assert result.conflict and "422" in result.message


async def test_transient_errors_raise_for_the_outbox(gh, router) -> None:
    router.patch(f"{REPO}/issues/5").respond(503)
    with pytest.raises(Unavailable):
        await gh.apply(act("close"), idempotency_key=KEY)


async def test_removing_an_absent_label_is_ok(gh, router) -> None:
    router.delete(f"{REPO}/issues/5/labels/bug").respond(
        404, json={"message": "Label does not exist"}
    )
    assert (await gh.apply(act("remove_label", label="bug"), idempotency_key=KEY)).ok


async def test_removing_a_label_from_an_issue_not_there_is_refused(gh, router) -> None:
    """GitHub's plain 404 (the issue or its repository not there, or not visible to the user
    any more) removed nothing: not `done`, but the refusal, said."""
    router.delete(f"{REPO}/issues/5/labels/bug").respond(404, json={"message": "Not Found"})
    result = await gh.apply(act("remove_label", label="bug"), idempotency_key=KEY)
    assert not result.ok and result.conflict
    assert "404" in result.message and "Not Found" in result.message


async def test_bad_item_key_is_a_clear_failure(gh) -> None:
    action = Action(kind="close", item_id="github:nonsense", account="github")
    result = await gh.apply(action, idempotency_key=KEY)
    assert result.conflict and "owner/repo#12" in result.message


# ---- verify ---------------------------------------------------------------------------------


async def test_verify_comment_finds_the_marker_on_a_later_page(gh, router) -> None:
    nxt = f"{API}/repositories/9/issues/5/comments?page=2"
    router.get(f"{REPO}/issues/5/comments").respond(
        200, json=[{"body": "other"}], headers={"Link": f'<{nxt}>; rel="next"'}
    )
    router.get(url=nxt).respond(200, json=[{"body": f"hi\n\n{html_marker(KEY)}"}])
    assert await gh.verify(act("comment", body="hi"), idempotency_key=KEY) is True
    assert await gh.verify(act("comment", body="hi"), idempotency_key="other-key") is False


async def test_verify_comment_walks_back_from_the_last_page(gh, router) -> None:
    last = f"{API}/repositories/9/issues/5/comments?page=9"
    prev = f"{API}/repositories/9/issues/5/comments?page=8"
    router.get(f"{REPO}/issues/5/comments").respond(
        200, json=[{"body": "old"}], headers={"Link": f'<{last}>; rel="last"'}
    )
    newest = router.get(url=last).respond(
        200, json=[{"body": "new"}], headers={"Link": f'<{prev}>; rel="prev"'}
    )
    router.get(url=prev).respond(200, json=[{"body": html_marker(KEY)}])
    assert await gh.verify(act("comment", body="hi"), idempotency_key=KEY) is True
    assert newest.called


async def test_verify_comment_does_not_follow_a_link_to_another_host(gh, router) -> None:
    elsewhere = "https://other.test/repositories/9/issues/5/comments?page=9"
    router.get(f"{REPO}/issues/5/comments").respond(
        200, json=[{"body": "old"}], headers={"Link": f'<{elsewhere}>; rel="last"'}
    )
    other = router.get(url=elsewhere).respond(200, json=[{"body": html_marker(KEY)}])
    # Can't tell without following it: the outbox keeps the action unknown and asks again.
    assert await gh.verify(act("comment", body="hi"), idempotency_key=KEY) is None
    assert not other.called


async def test_verify_mark_read(gh, router) -> None:
    router.get(f"{API}/notifications/threads/99").respond(200, json={"id": "99", "unread": False})
    assert await gh.verify(act("mark_read", thread_id="99"), idempotency_key=KEY) is True
    assert await gh.verify(act("mark_read"), idempotency_key=KEY) is None  # no thread known


async def test_verify_label_presence(gh, router) -> None:
    router.get(f"{REPO}/issues/5/labels").respond(200, json=[{"name": "bug"}])
    assert await gh.verify(act("add_label", label="bug"), idempotency_key=KEY) is True
    assert await gh.verify(act("remove_label", label="bug"), idempotency_key=KEY) is False
    assert await gh.verify(act("add_label", label="ux"), idempotency_key=KEY) is False


@pytest.mark.parametrize(
    ("pr", "merged"),
    [({"merged": True}, True), ({"merged": False, "merged_at": None}, False)],
)
async def test_verify_merge(gh, router, pr, merged) -> None:
    router.get(f"{REPO}/pulls/5").respond(200, json=pr)
    assert await gh.verify(act("merge"), idempotency_key=KEY) is merged


async def test_verify_approve_needs_my_review(gh, router) -> None:
    router.get(f"{REPO}/pulls/5/reviews").respond(
        200, json=[{"user": {"login": "al"}, "state": "APPROVED"}]
    )
    assert await gh.verify(act("approve"), idempotency_key=KEY) is False
    router.get(f"{REPO}/pulls/5/reviews").respond(
        200, json=[{"user": {"login": "me"}, "state": "APPROVED"}]
    )
    assert await gh.verify(act("approve"), idempotency_key=KEY) is True


async def test_verify_state_and_assignees(gh, router) -> None:
    router.get(f"{REPO}/issues/5").respond(
        200, json={"state": "closed", "assignees": [{"login": "me"}]}
    )
    assert await gh.verify(act("close"), idempotency_key=KEY) is True
    assert await gh.verify(act("reopen"), idempotency_key=KEY) is False
    assert await gh.verify(act("assign"), idempotency_key=KEY) is True
    assert await gh.verify(act("unassign", assignee="al"), idempotency_key=KEY) is True


async def test_verify_cannot_tell_when_offline(gh, router) -> None:
    router.get(f"{REPO}/issues/5").respond(503)
    assert await gh.verify(act("close"), idempotency_key=KEY) is None


async def test_me_comes_from_the_user_endpoint_once(make_gateway, router) -> None:
    client = GitHubClient(Account("github", "github", API), make_gateway("github"))
    route = router.get(f"{API}/user").respond(200, json={"login": "octo"})
    assert await client.me() == "octo"
    assert await client.me() == "octo"
    assert route.call_count == 1


# ---- bulk -----------------------------------------------------------------------------------


async def test_bulk_writes_are_bounded_and_spaced(gh, router, clock) -> None:
    in_flight = peak = 0
    started: list[float] = []

    async def slow(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        started.append(clock.time())
        await asyncio.sleep(0)
        await clock.sleep(5.0)  # each write takes 5 s of (fake) time
        in_flight -= 1
        import httpx

        return httpx.Response(200, json=[])

    router.post(url__regex=rf"{REPO}/issues/\d+/labels").mock(side_effect=slow)
    actions = [
        Action(kind="add_label", item_id=f"github:o/r#{n}", account="github", params={"label": "x"})
        for n in range(12)
    ]
    seen: list[tuple[int, int]] = []
    results = await gh.bulk_apply(
        actions, [f"k{n}" for n in range(12)], lambda d, t: seen.append((d, t))
    )

    assert all(r.ok for r in results)
    assert peak <= 3
    gaps = [b - a for a, b in zip(sorted(started), sorted(started)[1:], strict=False)]
    assert min(gaps) >= gh.bulk_spacing - 1e-9  # <= 80 content-creating requests a minute
    assert 60.0 / gh.bulk_spacing <= 80
    assert seen[-1] == (12, 12) and len(seen) == 12


async def test_bulk_keeps_going_past_a_failure(gh, router) -> None:
    router.patch(f"{REPO}/issues/1").respond(200, json={})
    router.patch(f"{REPO}/issues/2").respond(503)
    actions = [Action(kind="close", item_id=f"github:o/r#{n}", account="github") for n in (1, 2)]
    results = await gh.bulk_apply(actions, ["a", "b"], lambda d, t: None)
    assert results[0].ok
    assert not results[1].ok and not results[1].conflict  # transient: outbox retries it


async def test_timeout_after_send_is_verified_not_resent(gh, router) -> None:
    """The gateway asks our verify() before re-sending: the comment landed, so no duplicate."""
    post = router.post(f"{REPO}/issues/5/comments").mock(side_effect=httpx.ReadTimeout("slow"))
    router.get(f"{REPO}/issues/5/comments").respond(
        200, json=[{"body": f"hello\n\n{html_marker(KEY)}"}]
    )
    result = await gh.apply(act("comment", body="hello"), idempotency_key=KEY)
    assert result.ok
    assert post.call_count == 1


async def test_timeout_after_send_resends_when_not_applied(gh, router) -> None:
    post = router.post(f"{REPO}/issues/5/comments").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(201, json={})]
    )
    router.get(f"{REPO}/issues/5/comments").respond(200, json=[])
    assert (await gh.apply(act("comment", body="hello"), idempotency_key=KEY)).ok
    assert post.call_count == 2


async def test_missing_parameter_is_a_clear_final_failure(gh) -> None:
    result = await gh.apply(act("add_label"), idempotency_key=KEY)
    assert (result.ok, result.conflict) == (False, True)
    assert result.message == "add_label needs the parameter 'label'"
    assert await gh.verify(act("add_label"), idempotency_key=KEY) is None


async def test_label_names_are_escaped_in_paths(gh, router) -> None:
    route = router.delete(f"{REPO}/issues/5/labels/needs%20review%2Fux").respond(200, json=[])
    assert (await gh.apply(act("remove_label", label="needs review/ux"), idempotency_key=KEY)).ok
    assert route.called
