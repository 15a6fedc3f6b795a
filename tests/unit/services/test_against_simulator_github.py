"""The GitHub client against the simulator over loopback: sections, details, writes, verify."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.github_helpers import open_pr, pr_item
from zen_tui.gateway.errors import QueryRefused
from zen_tui.models import Action, PullRequest
from zen_tui.services import make_client

from .conftest import section, sim_gateway


async def test_sections_details_and_notifications(sim_client) -> None:
    gh = sim_client("github")
    prs = await gh.fetch_section(section("github", "is:open review-requested:@me"), limit=500)
    assert prs.items and prs.complete
    assert all(isinstance(i, PullRequest) and i.state == "open" for i in prs.items)
    assert all(i.id == f"github:{i.key}" for i in prs.items)

    detail = await gh.details(prs.items[0])
    assert detail.error is None
    assert "me" in detail.extra["requested_reviewers"].split(", ")

    notes = await gh.fetch_section(section("github", "notifications", pane="issues"))
    assert notes.items and notes.poll_interval and notes.poll_interval > 0
    read = Action(kind="mark_read", item_id=notes.items[0].id, account="github")
    assert (await gh.apply(read, idempotency_key="sim-r1")).ok
    assert await gh.verify(read, idempotency_key="sim-r1") is True


async def test_link_pagination_over_many_pages(sim_client, monkeypatch) -> None:
    monkeypatch.setattr("zen_tui.services.github.PER_PAGE", 5)  # many small pages
    gh = sim_client("github")
    first = await gh.fetch_section(section("github", "is:open"), limit=5)
    everything = await gh.fetch_section(section("github", "is:open"), limit=1000)
    assert len(first.items) == 5 and not first.complete
    assert len(everything.items) > 10 and everything.complete
    assert len({i.id for i in everything.items}) == len(everything.items)
    assert [i.id for i in everything.items[:5]] == [i.id for i in first.items]


async def test_comment_label_close_and_verify(sim_client) -> None:
    gh = sim_client("github")
    issue = (await gh.fetch_section(section("github", "is:open", pane="issues"))).items[0]

    def act(kind: str, **params: str) -> Action:
        return Action(kind=kind, item_id=issue.id, account="github", params=params)  # type: ignore[arg-type]

    comment = act("comment", body="Looking into it")
    assert await gh.verify(comment, idempotency_key="sim-c1") is False
    assert (await gh.apply(comment, idempotency_key="sim-c1")).ok
    assert await gh.verify(comment, idempotency_key="sim-c1") is True

    label = act("add_label", label="needs triage")
    assert (await gh.apply(label, idempotency_key="sim-l1")).ok
    assert await gh.verify(label, idempotency_key="sim-l1") is True
    unlabel = act("remove_label", label="needs triage")
    assert (await gh.apply(unlabel, idempotency_key="sim-l2")).ok
    assert await gh.verify(unlabel, idempotency_key="sim-l2") is True
    assert await gh.verify(label, idempotency_key="sim-l1") is False

    close = act("close")
    assert (await gh.apply(close, idempotency_key="sim-x1")).ok
    assert await gh.verify(close, idempotency_key="sim-x1") is True


async def test_approve_and_merge_outcomes(sim_client) -> None:
    gh = sim_client("github")
    prs = (await gh.fetch_section(section("github", "is:open review-requested:@me"))).items
    pr = prs[0]
    approve = Action(kind="approve", item_id=pr.id, account="github")
    assert (await gh.apply(approve, idempotency_key="sim-a1")).ok
    assert await gh.verify(approve, idempotency_key="sim-a1") is True

    results = []
    for n, candidate in enumerate(prs):
        merge = Action(kind="merge", item_id=candidate.id, account="github")
        result = await gh.apply(merge, idempotency_key=f"sim-m{n}")
        results.append(result)
        if result.ok:
            assert await gh.verify(merge, idempotency_key=f"sim-m{n}") is True
    # Every answer is either done or a final, explained conflict: never an exception.
    assert all(r.ok or (r.conflict and r.message) for r in results)


async def test_approving_my_own_pr_says_why_github_refused(sim_client) -> None:
    """GitHub's 422 carries the reason in `errors` ("Can not approve your own pull
    request"); the message 'Unprocessable Entity' alone says nothing the user can act on."""
    gh = sim_client("github")
    mine = (await gh.fetch_section(section("github", "is:open is:pr author:@me"))).items[0]
    approve = Action(kind="approve", item_id=mine.id, account="github")
    result = await gh.apply(approve, idempotency_key="sim-own-1")
    assert not result.ok
    assert "Can not approve your own pull request" in result.message


async def test_sections_asking_for_missing_metadata(sim, sim_client) -> None:
    """GitHub's `no:` qualifiers reach the simulator as written and narrow the rows there: an
    issues section of unassigned issues, a PR section of unlabelled PRs (rows enriched by the
    GraphQL search of the same query), and one that ORs `no:label` with a label."""
    gh = sim_client("github")
    items = sim.world.services["github"].state.items
    cases = [
        ("issues", "is:open no:assignee", lambda i: not i.is_pr and not i.assignees),
        ("prs", "is:open no:label", lambda i: i.is_pr and not i.labels),
        (
            "issues",
            "is:open (no:label OR label:bug)",
            lambda i: not i.is_pr and (not i.labels or "bug" in i.labels),
        ),
    ]
    for pane, query, check in cases:
        want = {(i.repo.full_name, i.number) for i in items if i.state == "open" and check(i)}
        every = {(i.repo.full_name, i.number) for i in items if i.state == "open"}
        assert want and want < every, f"the seed cannot tell {query!r} apart"
        result = await gh.fetch_section(section("github", query, pane=pane), limit=1000)
        assert {(i.repo, i.number) for i in result.items} == want, query
        assert result.stale_error is None


async def test_notifications_carry_the_servers_poll_interval(sim, sim_client) -> None:
    """The interval GitHub asks for under load reaches the poller (which never polls faster)."""
    github = sim.world.services["github"]
    github.poll_interval = 240
    try:
        gh = sim_client("github")
        notes = await gh.fetch_section(section("github", "notifications", pane="issues"))
    finally:
        github.poll_interval = 60
    assert notes.poll_interval == 240


async def test_merge_refused_by_the_repositorys_merge_methods_says_so(sim, sim_client) -> None:
    """A repository that allows only squash merges answers the default merge with 405 and
    GitHub's reason: the failure says it and how to fix it, not a bare "not mergeable"
    (the PR itself may be fine)."""
    github = sim.world.services["github"]
    github.merge_methods = "squash"
    try:
        gh = sim_client("github")
        pr = open_pr(github, mergeable=True)
        item_id = f"github:{pr.repo.full_name}#{pr.number}"
        merge = Action(kind="merge", item_id=item_id, account="github")
        refused = await gh.apply(merge, idempotency_key="sim-mm1")
        squash = Action("merge", item_id, "github", {"merge_method": "squash"})
        merged = await gh.apply(squash, idempotency_key="sim-mm2")
    finally:
        github.merge_methods = "merge,squash,rebase"
    assert (refused.ok, refused.conflict) == (False, True)
    assert "Merge commits are not allowed on this repository" in refused.message
    assert "squash" in refused.message
    assert merged.ok, merged.message


async def test_an_assignee_github_silently_ignores_is_a_failure(sim, sim_client) -> None:
    """GitHub answers 201 with the issue whether or not it assigned anyone: a user who cannot
    be assigned is left out without an error. The action must fail saying so, not report
    "assign done" for an issue nobody was assigned to; a user it did assign is done."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    issue = next(i for i in github.state.items if not i.is_pr and i.state == "open")
    item_id = f"github:{issue.repo.full_name}#{issue.number}"
    stranger = Action("assign", item_id, "github", {"assignee": "no-such-collaborator"})
    result = await gh.apply(stranger, idempotency_key="sim-as1")
    assert (result.ok, result.conflict, result.label) == (False, True, "not allowed")
    assert "did not assign no-such-collaborator" in result.message
    assert "no-such-collaborator" not in issue.assignees
    colleague = next(u for u in github.state.users if u not in issue.assignees)
    assign = Action("assign", item_id, "github", {"assignee": colleague})
    done = await gh.apply(assign, idempotency_key="sim-as2")
    assert done.ok, done.message
    assert colleague in issue.assignees


async def test_text_past_githubs_limits_is_refused_before_sending(sim, sim_client) -> None:
    """GitHub refuses (422) an issue or comment body past 65,536 characters and an issue
    title past 256. Counted as sent (the hidden marker added, characters not bytes): refused
    saying by how much to shorten it, nothing sent; text that fits goes."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    issue = next(i for i in github.state.items if not i.is_pr and i.state == "open")
    item_id = f"github:{issue.repo.full_name}#{issue.number}"
    sent: list[str] = []
    real = gh.gateway.request

    async def spy(method: str, path: str, **kwargs: Any) -> Any:
        sent.append(f"{method} {path}")
        return await real(method, path, **kwargs)

    gh.gateway.request = spy
    repo = issue.repo.full_name
    refusals = [
        (
            Action("comment", item_id, "github", {"body": "é" * 65_520}),
            "comment too long for GitHub: 65,545",
        ),
        (
            Action("create_issue", "slack:C1/1.2", "github", {"repo": repo, "title": "t" * 257}),
            "title too long for GitHub: 257 characters as sent, at most 256; shorten it by 1",
        ),
        (
            Action(
                "create_issue",
                "slack:C1/1.2",
                "github",
                {"repo": repo, "title": "t", "body": "é" * 65_520},
            ),
            "issue body too long for GitHub: 65,545 characters as sent (with the hidden marker",
        ),
    ]
    for n, (action, says) in enumerate(refusals):
        result = await gh.apply(action, idempotency_key=f"long-{n}")
        assert not result.ok and result.conflict, result
        assert says in result.message and "Validation Failed" not in result.message, result
    assert not [s for s in sent if s.startswith("POST")], sent
    comments = len(issue.comments)
    fits = Action("comment", item_id, "github", {"body": "é" * 65_000})
    assert (await gh.apply(fits, idempotency_key="long-fits")).ok
    assert len(issue.comments) == comments + 1


async def test_issues_turned_off_is_the_repositorys_refusal_not_a_retired_api(
    sim, sim_client
) -> None:
    """A repository with issues turned off (a fork's default) answers 410 "Issues are
    disabled for this repo". That is about the repository, not an API GitHub removed: the
    issue a Slack message asks for fails saying so, and nobody is told to upgrade zen-tui
    (the account's health lists no retired endpoint)."""
    github = sim.world.services["github"]
    repo = next(iter(github.state.repos.values())).full_name
    github.issues_disabled_repos = repo
    try:
        gh = sim_client("github")
        create = Action("create_issue", "slack:C1/1.2", "github", {"repo": repo, "title": "t"})
        result = await gh.apply(create, idempotency_key="sim-off1")
    finally:
        github.issues_disabled_repos = ""
    assert (result.ok, result.conflict) == (False, True)
    assert "Issues are disabled for this repo" in result.message
    assert "upgrade" not in result.message
    assert gh.gateway.health().deprecations == []


async def test_verify_of_a_label_matches_its_name_whatever_the_case(sim, sim_client) -> None:
    """GitHub's label names ignore case: adding "BUG" where "bug" exists applies "bug", and
    DELETE .../labels/BUG removes it. verify() must read them the same way: a label present
    as "bug" is there for an add or remove of "BUG" (a remove the outbox took as done
    after a lost answer would leave the label on)."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    issue = next(i for i in github.state.items if not i.is_pr and "bug" in i.labels)
    item_id = f"github:{issue.repo.full_name}#{issue.number}"
    add = Action("add_label", item_id, "github", {"label": "BUG"})
    remove = Action("remove_label", item_id, "github", {"label": "BUG"})
    assert await gh.verify(add, idempotency_key="sim-lc1") is True
    assert await gh.verify(remove, idempotency_key="sim-lc2") is False
    assert (await gh.apply(remove, idempotency_key="sim-lc2")).ok
    assert "bug" not in issue.labels
    assert await gh.verify(remove, idempotency_key="sim-lc2") is True


async def test_verify_of_a_review_reads_past_a_deleted_users_review(sim, sim_client) -> None:
    """A review by an account since deleted answers `user: null` (GitHub shows "ghost"):
    verify() reads past it to mine, as the preview does, rather than failing on it (the
    outbox would then never learn that my approval is there)."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    pr = open_pr(github)
    github.state.users.setdefault("leaver", len(github.state.users) + 1)
    github.state.add_review(pr, "leaver", "lgtm", "APPROVED")
    github.deleted_users = "leaver"
    try:
        approve = Action("approve", f"github:{pr.repo.full_name}#{pr.number}", "github")
        before = await gh.verify(approve, idempotency_key="sim-gh1")
        assert (await gh.apply(approve, idempotency_key="sim-gh1")).ok
        after = await gh.verify(approve, idempotency_key="sim-gh1")
    finally:
        github.deleted_users = ""
    assert (before, after) == (False, True)


async def test_the_preview_shows_no_one_elses_pending_review(sim, sim_client) -> None:
    """Another person's review started and not submitted is not shown (GitHub shows it to its
    author only), nor does it make the PR "review required"; my own is shown as PENDING but
    is no review yet either: the decision is everyone's. Both were listed before, and the
    other's made an unreviewed PR look reviewed."""
    github = sim.world.services["github"]
    gh = sim_client("github")
    pr = open_pr(github)
    saved = pr.reviews[:], pr.reviewers[:], pr.teams[:]
    pr.reviews.clear()
    pr.reviewers.clear()
    pr.teams.clear()
    try:
        github.state.users.setdefault("ada", len(github.state.users) + 1)
        github.state.add_review(pr, "ada", "half done", "PENDING")
        detail = await gh.details(pr_item(pr))
        assert detail.reviews == () and detail.extra["review_decision"] == ""
        github.state.add_review(pr, "me", "mine, half done", "PENDING")
        detail = await sim_client("github").details(pr_item(pr))  # a client with no cache
        assert detail.reviews == (("me", "PENDING"),)
        assert detail.extra["review_decision"] == ""
    finally:
        pr.reviews[:], pr.reviewers[:], pr.teams[:] = saved


async def test_notifications_under_a_token_github_refuses_there_say_what_to_do(
    sim, sim_client
) -> None:
    """GitHub's notifications take only a classic token: under a fine-grained PAT the Inbox's
    `notifications` section gets a 403 for the token type. That is the section's query not
    working with this login (a QueryRefused, so the pane says which config key to change),
    saying why and what works, not a bare "403 Resource not accessible by personal access
    token". A search section works under the same token."""
    github = sim.world.services["github"]
    gateway = sim_gateway(sim, "github", token=github.add_fine_grained_token())
    try:
        gh = make_client(sim.account("github"), gateway)
        with pytest.raises(QueryRefused) as refused:
            await gh.fetch_section(section("github", "notifications", pane="issues"))
        found = await gh.fetch_section(section("github", "involves:@me is:open", pane="issues"))
    finally:
        await gateway.aclose()
    assert refused.value.status == 403
    assert "classic" in refused.value.message and "involves:@me" in refused.value.message
    assert found.items


async def test_a_write_a_fine_grained_token_may_not_do_says_which_permission(
    sim, sim_client
) -> None:
    """GitHub's 403 "Resource not accessible by personal access token" says nothing of how to
    fix it; its x-accepted-github-permissions header does. The failed action names the
    permission to add to the token."""
    github = sim.world.services["github"]
    gateway = sim_gateway(sim, "github", token=github.add_fine_grained_token("issues=write"))
    try:
        gh = make_client(sim.account("github"), gateway)
        pr = open_pr(github)
        approve = Action("approve", f"github:{pr.repo.full_name}#{pr.number}", "github")
        result = await gh.apply(approve, idempotency_key="sim-fg1")
    finally:
        await gateway.aclose()
    assert (result.ok, result.label) == (False, "not allowed")
    assert result.message == (
        "403 Resource not accessible by personal access token (the token needs pull_requests=write)"
    )
