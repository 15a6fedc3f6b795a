"""`m` over the REAL stack (simulator, SyncEngine, SQLite, ZenApp): a pull request is merged
by a method its repository allows, read from the repository's settings (allow_merge_commit,
allow_squash_merge, allow_rebase_merge). One allowed: used, after the confirm. Several: a
picker, the first in GitHub's order highlighted. Not said (GitHub left the fields out): all
three offered, and the one the repository turned off fails with GitHub's reason. A selection
across repositories: one method per repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Label, OptionList

from tools.demo_stack import DemoStack, all_live, demo_stack, wait_until
from zen_tui.models import ActionState, PullRequest
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.modals import ConfirmModal, PickerModal
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import outbox_idle
from .test_jira_triage_live import modal

pytestmark = pytest.mark.timeout(90)
WIDE = (160, 45)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


def prs(app: ZenApp) -> ItemList:
    return app.screen.query_one("#list-prs", ItemList)


def github(stack: DemoStack) -> Any:
    return stack.sim.world.services["github"]


def mergeable(stack: DemoStack, app: ZenApp, row: int) -> PullRequest:
    """The PR on `row` of the PR list, made mergeable in the simulator (open, not a draft,
    no conflicts), so what decides its merge is the method alone."""
    listed = prs(app).rows[row]
    pr = app.backend.full_item(listed)
    assert isinstance(pr, PullRequest), pr
    sim = github(stack)
    with sim.world.lock:
        item = sim.state.by_name[pr.repo.lower()].items[pr.number]
        item.state, item.draft, item.mergeable = "open", False, True
    return pr


def merges(stack: DemoStack, pr: PullRequest) -> list[dict[str, object]]:
    log = stack.sim.counters()["mutation_log"]
    return [m for m in log if m["kind"] == "merge" and m.get("item") == f"{pr.repo}#{pr.number}"]


async def settled(app: ZenApp, pr: PullRequest) -> ActionState:
    """The row's state once the outbox has sent the merge (done or failed)."""
    rows = prs(app).row_states

    def ended() -> bool:
        state = rows.get(pr.id)
        return state is not None and state.state in (ActionState.DONE, ActionState.FAILED)

    await wait_until(lambda: ended() and outbox_idle(app.backend), f"the merge of {pr.key}")
    return rows[pr.id].state


def choices(app: ZenApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, PickerModal)
    return [c.partition(":")[0] for c in screen.choices]


def highlighted(app: ZenApp) -> str:
    screen = app.screen
    assert isinstance(screen, PickerModal)
    at = screen.query_one(OptionList).highlighted
    assert at is not None
    return choices(app)[at]


async def test_a_squash_only_repository_merges_by_squash(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        pr = mergeable(stack, app, prs(app).cursor or 0)
        github(stack).merge_methods = f"merge,squash,rebase;{pr.repo}=squash"
        await pilot.press("m")
        confirm = await modal(app, ConfirmModal)
        asked = str(confirm.query_one(Label).render())
        assert f"by squash (the one method {pr.repo} allows)" in asked, asked
        await pilot.press("y")
        assert await settled(app, pr) is ActionState.DONE
        assert [m["method"] for m in merges(stack, pr)] == ["squash"]


async def test_several_allowed_are_offered_the_first_highlighted(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        pr = mergeable(stack, app, prs(app).cursor or 0)
        github(stack).merge_methods = f"merge;{pr.repo}=squash,rebase"
        await pilot.press("m", "down", "enter")  # in one burst: the keys wait for the picker
        assert await settled(app, pr) is ActionState.DONE
        assert [m["method"] for m in merges(stack, pr)] == ["rebase"]
        # what was offered: only what the repository allows, its first highlighted
        await pilot.press("j")
        other = mergeable(stack, app, prs(app).cursor or 0)
        github(stack).merge_methods = f"rebase,squash;{other.repo}=merge,rebase"
        await pilot.press("m")
        await modal(app, PickerModal)
        assert (choices(app), highlighted(app)) == (["merge", "rebase"], "merge")
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, PickerModal), "the picker to close")
        assert not merges(stack, other)


async def test_a_repository_that_does_not_say_offers_all_and_github_says_why(
    stack: DemoStack,
) -> None:
    """Without the allow_* fields nothing is guessed: all three are offered, and the method
    the repository turned off fails with GitHub's reason and how to fix it."""
    sim = github(stack)
    sim.merge_settings_shown = False
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        pr = mergeable(stack, app, prs(app).cursor or 0)
        sim.merge_methods = "squash"
        await pilot.press("m")
        picker = await modal(app, PickerModal)
        assert (choices(app), highlighted(app)) == (["merge", "squash", "rebase"], "merge")
        assert "it does not say" in str(picker.query_one(Label).render())
        await pilot.press("enter")
        assert await settled(app, pr) is ActionState.FAILED
        reason = prs(app).row_states[pr.id].reason or ""
        assert "Merge commits are not allowed on this repository" in reason, reason
        assert "another merge_method" in reason and not merges(stack, pr)


async def test_a_selection_merges_each_repository_by_its_own_method(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        rows = prs(app).rows
        picked: dict[str, PullRequest] = {}
        for row in range(len(rows)):  # the first PR of each of two repositories
            pr = app.backend.full_item(rows[row])
            assert isinstance(pr, PullRequest)
            if pr.repo not in picked and len(picked) < 2:
                picked[pr.repo] = mergeable(stack, app, row)
        assert len(picked) == 2, "two repositories in the PR list"
        squash_only, two_ways = picked
        github(stack).merge_methods = f"{squash_only}=squash;{two_ways}=merge,rebase"
        for pr in picked.values():
            prs(app).cursor = next(n for n, r in enumerate(prs(app).rows) if r.id == pr.id)
            await pilot.press("space")
        await pilot.press("m")
        picker = await modal(app, PickerModal)
        assert two_ways in str(picker.query_one(Label).render())
        assert choices(app) == ["merge", "rebase"]
        await pilot.press("down", "enter")  # rebase for that one
        confirm = await modal(app, ConfirmModal)
        asked = str(confirm.query_one(Label).render())
        assert f"{squash_only} by squash" in asked and f"{two_ways} by rebase" in asked, asked
        await pilot.press("y")
        for pr in picked.values():
            assert await settled(app, pr) is ActionState.DONE
        assert [m["method"] for m in merges(stack, picked[squash_only])] == ["squash"]
        assert [m["method"] for m in merges(stack, picked[two_ways])] == ["rebase"]
