"""A transition whose screen requires a field, in the dashboard over the real stack: after
the transition is picked, a picker of the field's allowed values (the simulator's Resolve
asks for the resolution) comes before anything is queued; the value travels with the action
and lands in Jira; escape on it queues nothing."""

from __future__ import annotations

import pytest

from tools.demo_stack import DemoStack, wait_until
from zen_tui.models import Issue
from zen_tui.ui.screens.modals import PickerModal

from .conftest import outbox_idle, status_line
from .test_jira_triage_live import modal, mutations, on_jira_section, pick, sim_issues, stack

pytestmark = pytest.mark.timeout(90)
__all__ = ["stack"]  # the fixture, shared


async def test_t_asks_for_the_required_resolution_then_sends_it(stack: DemoStack) -> None:
    async with on_jira_section(stack) as (app, pilot, items):
        target = items.cursor_item
        assert isinstance(target, Issue)
        issue = sim_issues(stack)[target.key]
        issue.status, issue.resolution = "3", None  # In Progress: Resolve is offered
        await pilot.press("t")
        first = await modal(app, PickerModal)
        assert "Resolve" in first.choices
        await pick(app, pilot, "Resolve")
        await wait_until(
            lambda: isinstance(app.screen, PickerModal) and "needs" in app.screen.prompt,
            "the resolution picker",
        )
        asked = app.screen
        assert asked.prompt == f'"Resolve" on {target.key} needs Resolution'
        assert asked.choices == ["Done", "Won't Do", "Fixed", "Duplicate"]
        assert not mutations(stack, "transition", target.key)  # nothing queued yet
        await pick(app, pilot, "Fixed")
        await wait_until(
            lambda: outbox_idle(app.backend) and bool(mutations(stack, "transition", target.key)),
            "the transition to land",
        )
        assert (issue.status, issue.resolution) == ("10002", "10002")
        assert len(mutations(stack, "transition", target.key)) == 1


async def test_escape_on_the_field_picker_queues_nothing(stack: DemoStack) -> None:
    async with on_jira_section(stack) as (app, pilot, items):
        target = items.cursor_item
        assert isinstance(target, Issue)
        issue = sim_issues(stack)[target.key]
        issue.status, issue.resolution = "3", None
        await pilot.press("t")
        await pick(app, pilot, "Resolve")
        await wait_until(
            lambda: isinstance(app.screen, PickerModal) and "needs" in app.screen.prompt,
            "the resolution picker",
        )
        await pilot.press("escape")
        await wait_until(lambda: "cancelled" in status_line(app), "the cancel to be said")
        assert "nothing sent" in status_line(app)
        assert outbox_idle(app.backend) and not mutations(stack, "transition", target.key)
        assert issue.status == "3"
