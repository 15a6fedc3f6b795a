"""The Jira forms on their own: the form checks required fields, dates, numbers and allowed
values (taking a choice in any case), each problem shown under its field, and the user
picker asks the server only once typing pauses. A transition screen's typed fields become
the same `fields=` JSON `zen-tui act` takes, read back by the same code."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, Label

from zen_tui.models import ScreenField
from zen_tui.services.jira_parse import screen_refusal, transition_fields
from zen_tui.ui.screens.forms import (
    FormField,
    FormModal,
    UserPickerModal,
    canonical,
    problem,
    screen_field,
)
from zen_tui.ui.triage import as_number, screen_params

PRIORITY = FormField("priority", "Priority", choices=("Highest", "High", "Low"))
DUE = FormField("duedate", "Due date", kind="date")
SUMMARY = FormField("summary", "Summary", required=True)
ESTIMATE = FormField("estimate", "Estimate", kind="number")
DUE_ON_SCREEN = ScreenField("duedate", "Due date", (), "", kind="date")


def test_problems_are_one_line_and_say_how_to_fix() -> None:
    assert problem(SUMMARY, "") == "Summary is required"
    assert (
        problem(DUE, "31.01.2027") == "Due date: use YYYY-MM-DD, e.g. 2027-01-31 (empty clears it)"
    )
    assert problem(DUE, "") is None  # optional: empty clears it
    assert problem(DUE, "2027-02-30") is not None  # no such day
    assert problem(DUE, "2028-02-29") is None
    assert problem(PRIORITY, "urgent") == "Priority: use one of Highest, High, Low"
    assert problem(PRIORITY, "high") is None and canonical(PRIORITY, "high") == "High"
    assert problem(ESTIMATE, "three") == "Estimate: use a number, e.g. 3 or 2.5"
    assert problem(ESTIMATE, "2.5") is None and problem(ESTIMATE, "-3") is None
    assert problem(screen_field(DUE_ON_SCREEN), "31.01.2027") == (
        "Due date: use YYYY-MM-DD, e.g. 2027-01-31"  # required: empty does not clear it
    )
    assert problem(screen_field(DUE_ON_SCREEN), "") == "Due date is required"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3", 3),
        ("-3", -3),
        ("2.5", 2.5),
        ("3.0", 3.0),
        ("1e3", 1000.0),
        (" 7 ", 7),
        ("12345678901234567891", 12345678901234567891),  # not rounded through a float
    ],
)
def test_a_number_is_sent_as_a_json_number(text: str, number: float) -> None:
    value = as_number(text)
    assert value == number and type(value) is type(number)


@pytest.mark.parametrize("text", ["", "three", "nan", "inf", "-inf", "3,5", "0x10"])
def test_what_is_not_a_number_is_refused(text: str) -> None:
    assert as_number(text) is None


def test_typed_screen_fields_go_as_the_clis_fields_json_and_read_back_the_same() -> None:
    """The dashboard's values, through screen_params, are the `fields=` JSON `zen-tui act`
    takes: the service reads both with one function (transition_fields)."""
    needs = (
        ScreenField("resolution", "Resolution", ("Done", "Fixed"), "name", kind="resolution"),
        DUE_ON_SCREEN,
        ScreenField("customfield_10060", "Estimate", (), "", kind="number"),
        ScreenField("customfield_10061", "Reason", (), "", kind="string"),
    )
    chosen = {
        "resolution": "Fixed",
        "duedate": "2027-01-31",
        "customfield_10060": "2.5",
        "customfield_10061": 'said "later"',
    }
    params = screen_params(needs, chosen)
    assert params["resolution"] == "Fixed"
    fields = transition_fields(params)
    assert fields == {
        "resolution": {"name": "Fixed"},
        "duedate": "2027-01-31",
        "customfield_10060": 2.5,
        "customfield_10061": 'said "later"',
    }
    assert screen_refusal("Resolve", needs, fields) is None


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


def error_under(modal: FormModal, field: str) -> str:
    label = modal.query_one(f"#error-{field}", Label)
    return str(label.render()) if label.display else ""


async def test_each_problem_shows_under_its_field_until_it_is_edited() -> None:
    app = Host(FormModal("Defer OPS-1", [screen_field(DUE_ON_SCREEN), ESTIMATE]))
    async with app.run_test() as pilot:
        modal = app.modal
        modal.query_one("#field-estimate", Input).value = "three"
        await pilot.pause()  # its Changed handled, as a typed value's is before the next key
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result == "unset"
        assert error_under(modal, "duedate") == "Due date is required"
        assert error_under(modal, "estimate") == "Estimate: use a number, e.g. 3 or 2.5"
        assert app.focused is modal.query_one("#field-duedate")  # the first wrong one
        await pilot.press(*"2027-01-31")
        await pilot.pause()
        assert error_under(modal, "duedate") == ""  # edited: its problem goes
        assert error_under(modal, "estimate") != ""  # the other's stays
        modal.query_one("#field-estimate", Input).value = "3"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == {"duedate": "2027-01-31", "estimate": "3"}


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
