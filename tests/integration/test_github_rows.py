"""PR rows that are right on real repositories, end to end: the simulator on a socket, the
sync engine, real SQLite. Reviews past the first page, Actions-only checks, team-only review
requests, and a check run finishing while the PR itself does not change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from zen_tui.config import Settings
from zen_tui.models import Action, FreshnessState, PullRequest
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

from .conftest import engine_for

ME = "me"


def _state(sim: SimulatorServer) -> Any:
    return sim.world.services["github"].state


def _open_pr(sim: SimulatorServer, checks: str | None = None) -> Any:
    """An open PR by someone else, in a repository whose checks come from `checks`."""
    for item in _state(sim).items:
        usable = item.is_pr and item.state == "open" and item.user != ME and not item.draft
        if usable and (checks is None or item.repo.checks == checks):
            return item
    raise AssertionError(f"no open PR with checks={checks}")


def _ask_me(sim: SimulatorServer, item: Any) -> None:
    """Put the PR in the `review-requested:@me` section."""
    with sim.world.lock:
        _state(sim).set_reviewers(item, [ME], adding=True)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[SyncEngine]:
    """Built on the simulator, not started (each test's _row polls once); stopped after."""
    engine = engine_for(settings)
    yield engine
    await engine.stop()


async def _row(engine: Any, key: str) -> PullRequest:
    snapshots = await engine.sync_once()
    for section in engine.sections:
        snap = snapshots[section.id]
        assert snap.freshness.state is FreshnessState.LIVE, snap.freshness.reason
        for item in snap.items:
            if item.key == key and isinstance(item, PullRequest):
                return item
    raise AssertionError(f"{key} is in no section")


async def test_approved_after_more_than_30_reviews_shows_approved(sim, engine) -> None:
    pr = _open_pr(sim)
    _ask_me(sim, pr)
    with sim.world.lock:
        state = _state(sim)
        state.add_review(pr, "alice", "please fix", "CHANGES_REQUESTED")
        for n in range(30):  # the approval lands on the second REST page (30 a page)
            state.add_review(pr, "alice", f"comment {n}", "COMMENTED")
        state.add_review(pr, "alice", "", "APPROVED")
    row = await _row(engine, pr.ref)
    assert row.review_decision == "approved"
    detail = await engine.details(row)
    assert detail.error is None
    assert len([r for r in detail.reviews if r[0] == "alice"]) == 32  # every page read
    assert detail.reviews[31] == ("alice", "APPROVED")
    assert detail.extra["review_decision"] == "approved"


async def test_actions_only_repository_shows_its_check_runs(sim, engine) -> None:
    pr = _open_pr(sim, checks="actions")
    _ask_me(sim, pr)
    with sim.world.lock:
        _state(sim).finish_checks(pr, "failure")
    row = await _row(engine, pr.ref)
    assert row.check_status == "failure"  # from the check run: there is no commit status
    detail = await engine.details(row)
    assert detail.checks == (("tests", "failure"),)


async def test_team_only_request_shows_the_team_and_the_decision(sim, engine) -> None:
    pr = _open_pr(sim)
    with sim.world.lock:
        pr.reviewers.clear()
        pr.reviews.clear()
        _state(sim).set_team_reviewers(pr, ["backend"], adding=True)  # I am in backend
    row = await _row(engine, pr.ref)
    assert row.requested_reviewers == ("acme/backend",)
    assert row.review_decision == "review_required"
    detail = await engine.details(row)
    assert ("acme/backend", "requested") in detail.reviews
    assert detail.extra["review_decision"] == "review_required"


async def test_a_finished_check_run_changes_the_row_on_the_next_poll(sim, engine) -> None:
    pr = _open_pr(sim, checks="actions")
    _ask_me(sim, pr)
    with sim.world.lock:
        _state(sim).finish_checks(pr, "pending")
    before = await _row(engine, pr.ref)
    assert before.check_status == "pending"
    with sim.world.lock:
        _state(sim).finish_checks(pr, "success")  # the PR's updated_at does not move
    after = await _row(engine, pr.ref)
    assert after.updated_at == before.updated_at
    assert after.check_status == "success"
    stored = {i.key: i for i in engine.store.load_section(_section_of(engine, pr.ref))[0]}
    assert stored[pr.ref].check_status == "success"  # and it is what the store keeps


def _section_of(engine: Any, key: str) -> str:
    for section in engine.sections:
        snap = engine.snapshot(section.id)
        if snap and any(i.key == key for i in snap.items):
            return str(section.id)
    raise AssertionError(key)


async def test_what_zen_tui_wrote_reads_back_without_its_hidden_marker(sim, engine) -> None:
    """The marker zen-tui adds to a comment or an issue's body (an HTML comment, nothing on
    GitHub's page) is not shown in the preview or the row: the text reads as it was typed,
    an HTML comment of the user's own kept."""
    pr = _open_pr(sim)
    _ask_me(sim, pr)
    row = await _row(engine, pr.ref)
    client = engine.wired.clients[row.account]
    typed = "LGTM <!-- not a marker -->"
    comment = Action(kind="comment", item_id=row.id, account=row.account, params={"body": typed})
    assert (await client.apply(comment, idempotency_key="mark-1")).ok
    message = {"body": "Steps to reproduce", "title": "From Slack", "repo": pr.repo.full_name}
    create = Action(kind="create_issue", item_id=row.id, account=row.account, params=message)
    created = await client.apply(create, idempotency_key="mark-2")
    assert created.ok, created.message
    detail = await engine.details(row)
    assert detail.comments[-1] == (ME, typed)
    issue = next(i for i in _state(sim).items if i.title == "From Slack")
    with sim.world.lock:
        _state(sim).set_assignees(issue, [ME], adding=True)
    snapshots = await engine.sync_once()
    [made] = [i for s in snapshots.values() for i in s.items if i.title == "From Slack"]
    assert (await engine.details(made)).body == "Steps to reproduce"
