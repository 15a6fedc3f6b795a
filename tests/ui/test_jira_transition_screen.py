"""A transition whose screen requires a field, in the dashboard over the real stack: after
the transition is picked, a picker of the field's allowed values (the simulator's Resolve
asks for the resolution), or a form for a field typed in (its Defer asks for the due date,
checked as a date; its Request Changes for a comment, in a text area) comes before anything
is queued; the value travels with the action and lands in Jira; escape on either queues
nothing."""

from __future__ import annotations

import pytest
from msgspec.structs import replace
from textual.widgets import Input, Label, OptionList, TextArea

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from tools.demo_stack import DemoStack, wait_until
from zen_tui.models import Issue, Item, ItemDetail, ScreenField
from zen_tui.services.markers import strip_zw
from zen_tui.simulator.jira import adf
from zen_tui.ui.screens.forms import FormModal
from zen_tui.ui.screens.modals import PickerModal

from .conftest import make_app, outbox_idle, status_line, type_text, until_quiet
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


async def ask_for_the_due_date(app, pilot, stack: DemoStack, items) -> tuple[Issue, FormModal]:
    """`t` on the cursor issue, put In Review (where Defer is offered), and Defer picked."""
    target = items.cursor_item
    assert isinstance(target, Issue)
    issue = sim_issues(stack)[target.key]
    issue.status, issue.duedate = "10001", None
    await pilot.press("t")
    await pick(app, pilot, "Defer")
    form = await modal(app, FormModal)
    return target, form


async def test_t_asks_for_a_required_due_date_checks_it_then_sends_it(stack: DemoStack) -> None:
    async with on_jira_section(stack) as (app, pilot, items):
        target, form = await ask_for_the_due_date(app, pilot, stack, items)
        issue = sim_issues(stack)[target.key]
        assert form.title_text == f'"Defer" on {target.key} needs'
        assert [(f.id, f.label, f.kind, f.required) for f in form.fields] == [
            ("duedate", "Due date", "date", True)
        ]
        await type_text(pilot, "31.01.2027")
        await pilot.press("enter")  # enter on the last field sends: refused
        error = form.query_one("#error-duedate", Label)
        await wait_until(lambda: error.display, "the date's problem under it")
        assert str(error.render()) == "Due date: use YYYY-MM-DD, e.g. 2027-01-31"
        assert app.screen is form and not mutations(stack, "transition", target.key)
        form.query_one("#field-duedate", Input).value = ""
        await type_text(pilot, "2027-01-31")
        await pilot.press("enter")
        await wait_until(
            lambda: outbox_idle(app.backend) and bool(mutations(stack, "transition", target.key)),
            "the transition to land",
        )
        assert (issue.status, issue.duedate) == ("10000", "2027-01-31")
        assert len(mutations(stack, "transition", target.key)) == 1


async def test_escape_on_the_due_date_form_queues_nothing(stack: DemoStack) -> None:
    async with on_jira_section(stack) as (app, pilot, items):
        target, _form = await ask_for_the_due_date(app, pilot, stack, items)
        await type_text(pilot, "2027-01-31")
        await pilot.press("escape")
        await wait_until(lambda: "cancelled" in status_line(app), "the cancel to be said")
        assert "nothing sent" in status_line(app)
        assert outbox_idle(app.backend) and not mutations(stack, "transition", target.key)
        assert sim_issues(stack)[target.key].status == "10001"


# --- over the FakeBackend: a screen with a pick, a number, and a field that cannot be typed ----

RESOLUTION = ScreenField("resolution", "Resolution", ("Done", "Fixed"), "name", kind="resolution")
ESTIMATE = ScreenField("customfield_10060", "Estimate", (), "", kind="number")
APPROVER = ScreenField("customfield_10070", "Approver", (), "", kind="user")


def with_screen(backend: FakeBackend, needs: tuple[ScreenField, ...]) -> FakeBackend:
    """The FakeBackend's Jira issues, their Done requiring `needs`."""
    details = backend.details

    async def screened(item: Item) -> ItemDetail:
        return replace(await details(item), screens={"Done": needs})

    backend.details = screened  # type: ignore[method-assign]
    return backend


async def transition_to_done(pilot, backend: FakeBackend) -> None:
    await until_quiet(pilot)
    await pilot.press("tab", "right_square_bracket", "t")  # the issues pane, its Jira tab
    await until_quiet(pilot)
    assert isinstance(pilot.app.screen, PickerModal)
    await pilot.press("down", "down", "enter")  # Done
    await until_quiet(pilot)


async def test_a_pick_then_a_typed_number_go_together_as_fields_json() -> None:
    backend = with_screen(FakeBackend(), (RESOLUTION, ESTIMATE))
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        await transition_to_done(pilot, backend)
        await pick_choice(pilot, "Fixed")  # the resolution first
        form = pilot.app.screen
        assert isinstance(form, FormModal) and [f.kind for f in form.fields] == ["number"]
        await type_text(pilot, "2.5")
        await pilot.press("ctrl+s")
        await eventually(lambda: backend.submitted, "the transition queued")
    [[action]] = backend.submitted
    assert action.params == {
        "transition": "Done",
        "resolution": "Fixed",
        "fields": '{"customfield_10060": 2.5}',
    }


async def test_a_field_that_cannot_be_typed_points_to_the_cli_and_sends_nothing() -> None:
    backend = with_screen(FakeBackend(), (ESTIMATE, APPROVER))
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        await transition_to_done(pilot, backend)
        await eventually(lambda: "needs Approver" in status_line(pilot.app), "the reason")
        assert "fields=JSON" in status_line(pilot.app)
        assert not isinstance(pilot.app.screen, FormModal | PickerModal)  # nothing half-asked
    assert backend.submitted == []


async def pick_choice(pilot, choice: str) -> None:
    picker = pilot.app.screen
    assert isinstance(picker, PickerModal)
    picker.query_one(OptionList).highlighted = picker.choices.index(choice)
    await pilot.press("enter")
    await until_quiet(pilot)


async def lands_with_comment(
    stack: DemoStack, pilot, area: TextArea, text: str, key: str, *, status: str, comments: int
) -> None:
    """`text` typed in the form's comment box and saved: the move lands once, the issue in
    `status` with one comment more than the `comments` it had, reading `text` as typed."""
    area.text = text
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_until(
        lambda: outbox_idle(pilot.app.backend) and bool(mutations(stack, "transition", key)),
        "the transition to land",
    )
    issue = sim_issues(stack)[key]
    assert issue.status == status and len(issue.comments) == comments + 1
    assert strip_zw(adf.to_text(issue.comments[-1].body)) == text
    assert len(mutations(stack, "transition", key)) == 1


async def test_t_asks_for_a_required_comment_in_a_text_area_then_adds_it(
    stack: DemoStack,
) -> None:
    """Request Changes requires a comment: a text area, checked on send (empty, longer than
    Jira takes: each said under it), then the transition lands with the comment as typed
    (markup-looking text stays text) among the issue's comments."""
    async with on_jira_section(stack) as (app, pilot, items):
        target = items.cursor_item
        assert isinstance(target, Issue)
        issue = sim_issues(stack)[target.key]
        issue.status = "10001"  # In Review: Request Changes is offered
        comments = len(issue.comments)
        await pilot.press("t")
        await pick(app, pilot, "Request Changes")
        form = await modal(app, FormModal)
        assert form.title_text == f'"Request Changes" on {target.key} needs'
        assert [(f.id, f.label, f.kind, f.multiline, f.required) for f in form.fields] == [
            ("comment", "Comment", "comment", True, True)
        ]
        error = form.query_one("#error-comment", Label)
        area = form.query_one("#field-comment", TextArea)
        for text, said in (
            ("  \n ", "Comment is required"),
            ("x" * 32_768, "Comment: 32,768 characters as sent, at most 32,767; shorten it by 1"),
        ):
            area.text = text
            await pilot.pause()  # the edit's own message first: it clears a shown problem
            await pilot.press("ctrl+s")
            await wait_until(lambda: error.display, "the comment's problem under it")
            assert str(error.render()) == said
            assert app.screen is form and not mutations(stack, "transition", target.key)
        text = "Needs [b]tests[/b]\nand docs"
        await lands_with_comment(
            stack, pilot, area, text, target.key, status="3", comments=comments
        )


async def test_t_offers_an_optional_comment_and_asks_for_it_once_a_rule_refused_the_move(
    stack: DemoStack,
) -> None:
    """Reject's screen lists the comment as optional: the form offers the box, which may
    stay empty. Sent empty, Jira's workflow rule refuses the move: the status line says the
    comment is needed. Picked again, the form requires it and says why; the comment typed
    lands with the move."""
    async with on_jira_section(stack) as (app, pilot, items):
        target = items.cursor_item
        assert isinstance(target, Issue)
        issue = sim_issues(stack)[target.key]
        issue.status = "10001"  # In Review: Reject is offered
        comments = len(issue.comments)
        await pilot.press("t")
        await pick(app, pilot, "Reject")
        form = await modal(app, FormModal)
        assert form.title_text == f'"Reject" on {target.key}'  # nothing it needs
        assert [(f.id, f.label, f.kind, f.multiline, f.required) for f in form.fields] == [
            ("comment", "Comment", "comment", True, False)
        ]
        assert "optional" in str(form.query_one("#field-comment", TextArea).placeholder)
        await pilot.press("ctrl+s")  # left empty: the move goes without one
        await wait_until(lambda: "needs comment" in status_line(app), "the rule's refusal said")
        assert f'transition on {target.key} failed: conflict: "Reject" needs comment' in (
            status_line(app)
        )
        assert issue.status == "10001" and not mutations(stack, "transition", target.key)

        await pilot.press("t")
        await pick(app, pilot, "Reject")
        form = await modal(app, FormModal)
        assert form.title_text == f'"Reject" on {target.key} needs'
        [field] = form.fields
        assert field.required and field.hint == (
            "required for this move: Jira refused it without one (comment: Comment is required.)"
        )
        assert field.hint in str(form.query_one("#field-comment", TextArea).placeholder)
        error = form.query_one("#error-comment", Label)
        await pilot.press("ctrl+s")
        await wait_until(lambda: error.display, "the comment's problem under it")
        assert str(error.render()) == "Comment is required"
        assert app.screen is form
        area = form.query_one("#field-comment", TextArea)
        text = "Out of [b]scope[/b]"
        await lands_with_comment(
            stack, pilot, area, text, target.key, status="10000", comments=comments
        )
