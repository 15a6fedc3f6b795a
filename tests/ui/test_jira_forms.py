"""The Jira forms on their own: the form checks required fields, dates and allowed values
(taking a choice in any case), and the user picker asks the server only once typing pauses."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input

from zen_tui.ui.screens.forms import FormField, FormModal, UserPickerModal, canonical, problem

PRIORITY = FormField("priority", "Priority", choices=("Highest", "High", "Low"))
DUE = FormField("duedate", "Due date", kind="date")
SUMMARY = FormField("summary", "Summary", required=True)


def test_problems_are_one_line_and_say_how_to_fix() -> None:
    assert problem(SUMMARY, "") == "Summary is required"
    assert (
        problem(DUE, "31.01.2027") == "Due date: use YYYY-MM-DD, e.g. 2027-01-31 (empty clears it)"
    )
    assert problem(DUE, "") is None  # optional: empty clears it
    assert problem(PRIORITY, "urgent") == "Priority: use one of Highest, High, Low"
    assert problem(PRIORITY, "high") is None and canonical(PRIORITY, "high") == "High"


class Host(App[None]):
    def __init__(self, modal: Any) -> None:
        super().__init__()
        self.modal = modal
        self.result: Any = "unset"

    def on_mount(self) -> None:
        self.push_screen(self.modal, lambda value: setattr(self, "result", value))


async def test_form_refuses_until_valid_then_sends_every_field() -> None:
    app = Host(FormModal("Edit OPS-1", [SUMMARY, PRIORITY, DUE]))
    async with app.run_test() as pilot:
        await pilot.press("ctrl+s")
        assert app.result == "unset"  # summary missing: the form stays
        app.modal.query_one("#field-summary", Input).value = "New title"
        app.modal.query_one("#field-priority", Input).value = "low"
        app.modal.query_one("#field-duedate", Input).value = "tomorrow"
        await pilot.press("ctrl+s")
        assert app.result == "unset"
        app.modal.query_one("#field-duedate", Input).value = "2027-01-31"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == {"summary": "New title", "priority": "Low", "duedate": "2027-01-31"}


async def test_user_picker_waits_for_typing_to_pause() -> None:
    asked: list[str] = []

    async def search(query: str) -> list[tuple[str, str]]:
        asked.append(query)
        return [("u1", "Grace Hopper"), ("u2", "Greg House")]

    picker = UserPickerModal("Assign OPS-1 to", search, pause=60.0)
    app = Host(picker)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert asked == [""]  # everyone assignable, at once
        picker.query_one(Input).focus()
        await pilot.press("g", "r", "e")
        await pilot.pause()
        assert asked == [""]  # still typing: each keystroke cancelled the wait before it
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.result == ("u2", "Greg House")
