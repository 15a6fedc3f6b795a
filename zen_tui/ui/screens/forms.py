"""Modal forms for Jira triage: a form of fields (create, edit: built from createmeta /
editmeta) and a user picker that searches as you type (assign to anyone).

Each dismisses with its value, or None when cancelled (escape). Every server string shown
here (field names, allowed values, user names) is data, never markup.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import date

import msgspec
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, TextArea
from textual.worker import Worker

from zen_tui.lengths import JIRA_TEXT_MAX, TooLong, within
from zen_tui.models import ScreenField
from zen_tui.text_safety import clean
from zen_tui.ui.key_gate import keys_wait
from zen_tui.ui.safe import plain
from zen_tui.ui.screens.dialog import CANCEL, AnswerInput, Dialog
from zen_tui.ui.screens.modals import _CSS
from zen_tui.ui.triage import as_number

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SEARCH_PAUSE = 0.15  # seconds of no typing before the user search asks the server


class FormField(msgspec.Struct, frozen=True):
    """One field of a form. `choices` (allowed values from the server) are checked on send,
    ignoring case; `kind` "date" takes YYYY-MM-DD, "number" a number; `multiline` is a text
    area; `most`, when set, the characters the service takes."""

    id: str
    label: str
    value: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    kind: str = "string"
    multiline: bool = False
    hint: str = ""
    most: int = 0


def problem(field: FormField, value: str) -> str | None:
    """Why `value` cannot be sent for `field`, in one line; None when it can."""
    if not value:
        return f"{field.label} is required" if field.required else None
    if field.kind == "date" and not _is_date(value):
        clears = "" if field.required else " (empty clears it)"
        return f"{field.label}: use YYYY-MM-DD, e.g. 2027-01-31{clears}"
    if field.kind == "number" and as_number(value) is None:
        return f"{field.label}: use a number, e.g. 3 or 2.5"
    if field.choices and value.casefold() not in {c.casefold() for c in field.choices}:
        return f"{field.label}: use one of {', '.join(field.choices)}"
    if field.most:
        try:
            within(value, field.most, field.label)
        except TooLong as err:
            return str(err)
    return None


def _is_date(value: str) -> bool:
    """YYYY-MM-DD, and a day the calendar has (2027-02-30 is refused here, not by Jira)."""
    try:
        return bool(_DATE.fullmatch(value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


HINTS = {"date": "YYYY-MM-DD", "number": "a number, e.g. 3 or 2.5"}


def screen_field(need: ScreenField) -> FormField:
    """A field a Jira transition's screen asks for, with no values to pick from, as a form
    field: checked by its schema type (a date, a number, a text); the comment in a text area,
    as long as Jira takes. Required unless the screen lists it as optional (the comment box,
    which may stay empty); one Jira refused the move without says so in its hint."""
    comment = need.kind == "comment"
    hint = HINTS.get(need.kind, "")
    if need.refused:
        hint = f"required for this move: Jira refused it without one ({need.refused})"
    elif not need.required:
        hint = "optional; a workflow rule may still want one for this move"
    return FormField(
        need.key,
        need.name,
        required=need.required,
        kind=need.kind,
        multiline=comment,
        hint=hint,
        most=JIRA_TEXT_MAX if comment else 0,
    )


def canonical(field: FormField, value: str) -> str:
    """A choice as the server spells it (`high` -> `High`)."""
    return next((c for c in field.choices if c.casefold() == value.casefold()), value)


class FormModal(Dialog[dict[str, str] | None]):
    """Fields top to bottom; ctrl+s sends (every field checked first), escape cancels.
    Dismisses with {field id: value} of every field (empty string = left empty)."""

    DEFAULT_CSS = (
        _CSS.format(name="FormModal")
        + """
    FormModal > Vertical { width: 72; }
    FormModal VerticalScroll { height: auto; max-height: 30; }
    FormModal Label.field { margin: 0; }
    FormModal Label.error { margin: 0; color: $error; display: none; }
    FormModal Label.error.-shown { display: block; }
    FormModal TextArea { height: 6; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="editor-send", priority=True),
        Binding("escape", "cancel", "Cancel", id="modal-cancel"),
    ]
    # The first field, not the scroll box around them (Textual's first focusable): what is
    # typed as the form opens is that field's text
    AUTO_FOCUS = "Input, TextArea"

    def __init__(self, title: str, fields: list[FormField]) -> None:
        super().__init__()
        self.title_text, self.fields = title, fields

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.titled(self.title_text, ("editor-send", "send"), CANCEL))
            with VerticalScroll():
                for f in self.fields:
                    mark = " *" if f.required else ""
                    hint = f.hint or (", ".join(f.choices) if f.choices else "")
                    yield Label(plain(f"{f.label}{mark}"), classes="field")
                    if f.multiline:
                        yield TextArea(f.value, id=f"field-{f.id}", placeholder=clean(f.hint))
                    else:
                        yield Input(f.value, placeholder=clean(hint), id=f"field-{f.id}")
                    yield Label("", id=f"error-{f.id}", classes="error")  # what is wrong

    def values(self) -> dict[str, str]:
        out = {}
        for f in self.fields:
            if f.multiline:  # the widget compose() made for it
                raw = self.query_one(f"#field-{f.id}", TextArea).text
            else:
                raw = self.query_one(f"#field-{f.id}", Input).value
            out[f.id] = canonical(f, raw.strip())
        return out

    def action_send(self) -> None:
        """Every field checked: each one's problem under it, the first bad one focused."""
        values = self.values()
        bad = [f for f in self.fields if self._show_problem(f, problem(f, values[f.id]))]
        if bad:
            self.query_one(f"#field-{bad[0].id}").focus()
            return
        self.dismiss(values)

    def _show_problem(self, field: FormField, why: str | None) -> bool:
        label = self.query_one(f"#error-{field.id}", Label)
        label.update(plain(why or ""))  # a server's field name and values: data
        label.set_class(bool(why), "-shown")
        return bool(why)

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _edited(self, event: Input.Changed | TextArea.Changed) -> None:
        """A field edited: its problem goes until the next send checks it again."""
        field = next((f for f in self.fields if f"field-{f.id}" == event.control.id), None)
        if field is not None:
            self._show_problem(field, None)

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        """enter moves on; on the last field it sends."""
        inputs = list(self.query("Input, TextArea"))
        at = inputs.index(event.input)
        if at + 1 < len(inputs):
            inputs[at + 1].focus()
        else:
            self.action_send()

    def action_cancel(self) -> None:
        self.dismiss(None)


Search = Callable[[str], Awaitable[list[tuple[str, str]]]]


class UserPickerModal(Dialog[tuple[str, str] | None]):
    """Type to search (the server is asked once typing pauses); enter takes the highlighted
    user (or the first). Dismisses with (account id, display name)."""

    DEFAULT_CSS = (
        _CSS.format(name="UserPickerModal") + "UserPickerModal OptionList { height: auto; }"
    )
    BINDINGS = [
        Binding("down", "move(1)", "Next", show=False, id="picker-down"),
        Binding("up", "move(-1)", "Previous", show=False, id="picker-up"),
        Binding("escape", "cancel", "Cancel", id="modal-cancel"),
    ]

    def __init__(self, prompt: str, search: Search, *, pause: float = SEARCH_PAUSE) -> None:
        super().__init__()
        self.prompt, self.search, self.pause = prompt, search, pause
        self.users: list[tuple[str, str]] = []
        self.searched: list[str] = []  # the queries sent, in order (what the server was asked)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.prompt, multiline=True))
            yield AnswerInput(placeholder="type a name or email", id="user-query")
            yield OptionList(id="user-results")

    def on_mount(self) -> None:
        self._everyone()

    @keys_wait  # keys typed before the first list is in wait for it (`A down enter`)
    def _everyone(self) -> Worker[None]:
        return self._search("", 0.0)

    @on(Input.Changed, "#user-query")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value.strip(), self.pause)

    @work(exclusive=True, group="user-search", exit_on_error=False)
    async def _search(self, query: str, pause: float) -> None:
        """The newest query wins: a keystroke cancels the search still waiting or running."""
        if pause:  # typing goes on: this worker is cancelled before it asks
            await asyncio.sleep(pause)
        self.searched.append(query)
        try:
            users = await self.search(query)
        except Exception as exc:  # say why; typing again retries
            self.query_one("#user-results", OptionList).clear_options()
            self.notify(f"user search failed: {exc}", severity="error")
            return
        self.users = users
        results = self.query_one("#user-results", OptionList)
        results.clear_options()
        results.add_options([plain(name or uid) for uid, name in users])
        if users:
            results.highlighted = 0
        elif query:
            self.notify(f"no assignable user matches {query!r}", severity="warning")

    def action_move(self, delta: int) -> None:
        results = self.query_one("#user-results", OptionList)
        if self.users:
            now = results.highlighted or 0
            results.highlighted = max(0, min(len(self.users) - 1, now + delta))

    @on(Input.Submitted, "#user-query")
    def _take(self, event: Input.Submitted) -> None:
        at = self.query_one("#user-results", OptionList).highlighted
        if not self.users:
            self.notify("no user to pick: type part of a name", severity="warning")
            return
        self.dismiss(self.users[at or 0])

    @on(OptionList.OptionSelected, "#user-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.users[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
