"""Small modal dialogs used by triage: one-line input, text editor, confirm, picker.

Each dismisses with its value, or None when cancelled (escape).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Input, Label, Select, TextArea

from zen_tui.crosslink import Target
from zen_tui.text_safety import clean
from zen_tui.ui.key_gate import keys_wait
from zen_tui.ui.safe import plain, with_markup
from zen_tui.ui.screens.dialog import CANCEL, AnswerInput, Dialog, PickList

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 60; max-width: 90%; height: auto; max-height: 80%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} Label {{ width: 100%; margin-bottom: 1; }}
"""


class InputModal(Dialog[str | None]):
    DEFAULT_CSS = _CSS.format(name="InputModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal-cancel")]

    def __init__(self, prompt: str, placeholder: str = "") -> None:
        super().__init__()
        self.prompt, self.placeholder = prompt, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.prompt, multiline=True))  # prompts quote item keys: data
            yield AnswerInput(placeholder=clean(self.placeholder))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("type a value, or press escape to cancel", severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditorModal(Dialog[str | None]):
    """A TextArea; ctrl+s sends, ctrl+e opens $EDITOR on the text, escape cancels."""

    DEFAULT_CSS = _CSS.format(name="EditorModal") + "EditorModal TextArea { height: 10; }"
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="editor-send", priority=True),
        Binding("ctrl+e", "external", "$EDITOR", id="editor-external", priority=True),
        Binding("escape", "cancel", "Cancel", id="modal-cancel"),
    ]

    def __init__(self, prompt: str, text: str = "") -> None:
        super().__init__()
        self.prompt, self.text = prompt, text  # `text`: what to edit (a comment), else empty

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                self.titled(
                    self.prompt, ("editor-send", "send"), ("editor-external", "$EDITOR"), CANCEL
                )
            )
            yield TextArea(self.text)

    def action_send(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("the text is empty: write something, or press escape", severity="warning")
            return
        self.dismiss(text)

    def action_external(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify("set $EDITOR (e.g. export EDITOR=vim) to edit outside", severity="warning")
            return
        area = self.query_one(TextArea)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "zen-tui-comment.md"
            path.write_text(area.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except Exception as exc:  # no TTY to hand over, editor missing, ...
                self.notify(f"cannot run $EDITOR ({editor}): {exc}", severity="error")
                return
            area.text = path.read_text(encoding="utf-8")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(Dialog[bool]):
    DEFAULT_CSS = _CSS.format(name="ConfirmModal")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            # the keys spelled out (a bold first letter alone read as a plain `yes / no`),
            # as the keymap has them: yes by its first key, no by each
            yes = escape(self.keys_now("confirm-yes")[0])
            no = " or ".join(f"[b]{escape(k)}[/]" for k in self.keys_now("confirm-no"))
            yield Label(with_markup(self.question, f"\n\n[b]{yes}[/] yes · {no} no"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PickerModal(Dialog[str | None]):
    DEFAULT_CSS = _CSS.format(name="PickerModal") + "PickerModal OptionList { height: auto; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal-cancel")]

    def __init__(self, prompt: str, choices: list[str]) -> None:
        super().__init__()
        self.prompt, self.choices = prompt, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.prompt, multiline=True))
            yield PickList(*(plain(c) for c in self.choices))  # a server's names: data

    def on_option_list_option_selected(self, event: PickList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class QueryModal(Dialog[tuple[str, bool] | None]):
    """A section's server query, edited in place: `enter` runs it for this session, `ctrl+s`
    runs it and saves it to the config. The server checks it first (`check` raises with its
    error): the error stays in the dialog, and the old query with the section."""

    DEFAULT_CSS = _CSS.format(name="QueryModal") + (
        "QueryModal #query-error { color: $error; margin-bottom: 0; }"
    )
    BINDINGS = [
        Binding("ctrl+s", "apply(True)", "Save", id="query-save", priority=True),
        Binding("escape", "cancel", "Cancel", id="modal-cancel"),
    ]

    def __init__(
        self,
        prompt: str,
        query: str,
        check: Callable[[str], Awaitable[object]],
        *,
        no_save: str = "",
    ) -> None:
        super().__init__()
        self.prompt, self.query_text, self.check = prompt, query, check
        self.no_save = no_save  # why ctrl+s cannot save ("" = it can)

    def compose(self) -> ComposeResult:
        run = self.keys_now("input-ok", AnswerInput)[0]
        save = f"{self.keys_now('query-save')[0]} run and save to the config"
        cancel = self.keys_now("modal-cancel")[0]
        hint = f"{run} run for this session · {self.no_save or save} · {cancel}"
        with Vertical():
            yield Label(with_markup(self.prompt, f"\n[dim]{escape(hint)}[/]"))
            yield AnswerInput(value=self.query_text)
            yield Label("", id="query-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply(False)

    def action_apply(self, save: bool) -> None:
        text = self.query_one(Input).value.strip()
        if not text:
            self._error("type a query, or press escape to keep the old one")
        elif save and self.no_save:
            self._error(self.no_save)
        else:
            self._run(text, save)

    @keys_wait  # keys typed after `enter` wait for the server's word (closed, or an error)
    @work(exclusive=True, group="query", exit_on_error=False)
    async def _run(self, text: str, save: bool) -> None:
        self._error("asking the server…")
        try:
            await self.check(text)
        except Exception as exc:  # the server's refusal, or why it could not be asked
            self._error(str(exc))
            return
        self.dismiss((text, save))

    def _error(self, text: str) -> None:
        self.query_one("#query-error", Label).update(plain(text, multiline=True))  # data

    def action_cancel(self) -> None:
        self.dismiss(None)


class IssueFormModal(Dialog[tuple[Target, str, str, str] | None]):
    """One form for an issue made from a message: where (a GitHub repository or a Jira
    project), the title and the body, filled in from the message, and a Jira project's issue
    type; ctrl+s creates it. Dismisses with (target, title, body, issue type)."""

    DEFAULT_CSS = (
        _CSS.format(name="IssueFormModal")
        + """
    IssueFormModal > Vertical { width: 90; }
    IssueFormModal Select, IssueFormModal Input, IssueFormModal TextArea { width: 100%; }
    IssueFormModal TextArea { height: 8; }
    IssueFormModal Label.field { margin: 0; color: $text-muted; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "send", "Create", id="issue-form-send", priority=True),
        Binding("escape", "cancel", "Cancel", id="modal-cancel"),
    ]

    def __init__(
        self, prompt: str, targets: list[Target], title: str, body: str, issuetype: str = ""
    ) -> None:
        super().__init__()
        self.prompt, self.targets = prompt, targets
        self.title_text, self.body_text, self.issuetype = title, body, issuetype

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.titled(self.prompt, ("issue-form-send", "create"), CANCEL))
            options = [(plain(t.label()), n) for n, t in enumerate(self.targets)]
            yield Label("Create in", classes="field")
            yield Select(options, value=0, allow_blank=False, id="issue-target")
            yield Label("Title", classes="field")
            yield Input(value=clean(self.title_text), placeholder="title", id="issue-title")
            yield Label("Body (the message, its author and permalink)", classes="field")
            yield TextArea(clean(self.body_text, multiline=True), id="issue-body")
            yield Label("Issue type (Jira projects only)", classes="field")
            yield Input(value=self.issuetype, placeholder="e.g. Task, Bug", id="issue-type")

    def action_send(self) -> None:
        title = self.query_one("#issue-title", Input).value.strip()
        if not title:
            self.notify("the title is empty: write one, or press escape", severity="warning")
            return
        chosen = self.query_one("#issue-target", Select).value
        target = self.targets[chosen if isinstance(chosen, int) else 0]
        body = self.query_one("#issue-body", TextArea).text
        self.dismiss((target, title, body, self.query_one("#issue-type", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
