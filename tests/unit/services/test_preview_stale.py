"""A preview part the gateway serves from its stale copy (the server failed after the
issue_details TTL) says so, so the preview shows the copy's age instead of passing it off as
fresh. The real Gateway over respx routes, on the fake clock."""

from __future__ import annotations

from zen_tui.models import Issue
from zen_tui.services import make_client

from .conftest import BASES, Account

TTL = 30.0  # issue_details


def issue(service: str, key: str) -> Issue:
    return Issue(
        id=f"{service}:{key}",
        account=service,
        service=service,
        key=key,
        title="t",
        url="",
        updated_at="",
        body="listed",
    )


async def test_a_stale_github_part_is_reported_with_its_reason(make_gateway, router, clock):
    gh = make_client(
        Account("github", "github", BASES["github"], user="me"), make_gateway("github")
    )
    route = router.get(f"{BASES['github']}/repos/o/r/issues/3/comments")
    route.respond(200, json=[{"user": {"login": "al"}, "body": "lgtm"}])
    fresh = await gh.details(issue("github", "o/r#3"))
    assert fresh.error is None and fresh.comments == (("al", "lgtm"),)

    clock.advance(TTL + 1)
    route.respond(503, json={"message": "down"})
    stale = await gh.details(issue("github", "o/r#3"))
    assert stale.comments == fresh.comments  # the last good copy, not nothing
    assert stale.error is not None and "503" in stale.error, stale.error


async def test_a_stale_jira_preview_is_reported_with_its_reason(make_gateway, router, clock):
    jira = make_client(Account("jira", "jira", BASES["jira"]), make_gateway("jira"))
    api = f"{BASES['jira']}/rest/api/3/issue/P-1"
    body = {"fields": {"description": None, "comment": {"comments": []}}}
    issue_route = router.get(api).respond(200, json=body)
    moves = router.get(f"{api}/transitions").respond(
        200, json={"transitions": [{"id": "1", "name": "Done", "to": {"name": "Done"}}]}
    )
    fresh = await jira.details(issue("jira", "P-1"))
    assert fresh.error is None and fresh.transitions == ("Done",)
    clock.advance(TTL + 1)
    issue_route.respond(503, json={"errorMessages": ["down"]})
    moves.respond(503, json={"errorMessages": ["down"]})
    stale = await jira.details(issue("jira", "P-1"))
    assert stale.transitions == ("Done",)
    assert stale.error is not None and "503" in stale.error, stale.error
