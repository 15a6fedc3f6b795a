"""The Jira dialogs' keys (the fields form, the assign-to-anyone user picker) are bindings
like every other dialog's: a keymap remaps them (none is refused as unknown), the dialog obeys
the new key and no longer the old one, its hint says the new key, and help lists them."""

from __future__ import annotations

from typing import Any

from textual.widgets import Label, OptionList

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.forms import FormField, FormModal, UserPickerModal
from zen_tui.ui.screens.info import HelpScreen
from zen_tui.ui.screens.modals import ConfirmModal, QueryModal

from .conftest import make_app, notes, until_quiet
from .test_keys_here import help_ids

PEOPLE = [("u1", "Grace Hopper"), ("u2", "Greg House"), ("u3", "Ada Lovelace")]


async def search(_query: str) -> list[tuple[str, str]]:
    return PEOPLE


def opened(app: ZenApp, dialog: Any) -> list[Any]:
    """Push `dialog` as the app's dialog; the list gets its answer."""
    answers: list[Any] = []
    assert app.push_dialog(dialog, answers.append)
    return answers


async def test_the_user_pickers_keys_are_remapped_by_the_keymap() -> None:
    keymap = {"picker-down": "ctrl+n", "picker-up": "ctrl+b", "modal-cancel": "ctrl+g"}
    app = make_app(FakeBackend(), keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot)
        assert not [n for n in notes(app) if "keymap" in n]  # every id known
        picker = UserPickerModal("Assign OPS-1 to", search, pause=0.0)
        answers = opened(app, picker)
        await until_quiet(pilot)
        results = picker.query_one("#user-results", OptionList)
        await eventually(lambda: results.option_count == len(PEOPLE), "everyone assignable")
        await pilot.press("down")  # no longer the picker's: the highlight stays
        await until_quiet(pilot)
        assert results.highlighted == 0
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+b")
        await until_quiet(pilot)
        assert results.highlighted == 1
        await pilot.press("escape")  # cancel moved to ctrl+g
        await until_quiet(pilot)
        assert app.screen is picker and answers == []
        await pilot.press("enter")
        await until_quiet(pilot)
    assert answers == [PEOPLE[1]]


async def test_the_fields_forms_send_is_remapped_by_the_keymap() -> None:
    app = make_app(FakeBackend(), keymap={"editor-send": "ctrl+t", "modal-cancel": "ctrl+g"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot)
        form = FormModal("Edit OPS-1", [FormField("summary", "Summary", "Fix it")])
        answers = opened(app, form)
        await until_quiet(pilot)
        title = str(form.query(Label).first().content)
        assert title.endswith("ctrl+t send · ctrl+g cancel"), title  # not ctrl+s, not esc
        await pilot.press("ctrl+s")  # the old key: nothing sent
        await until_quiet(pilot)
        assert app.screen is form and answers == []
        await pilot.press("ctrl+t")
        await until_quiet(pilot)
    assert answers == [{"summary": "Fix it"}]


async def test_help_lists_the_jira_dialogs_keys_under_their_keys() -> None:
    keymap = {"picker-down": "ctrl+n"}
    async with make_app(FakeBackend(), keymap=keymap).run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot)
        rows = {i: (keys, what) for i, keys, what in pilot.app.help_rows()}
        assert rows["picker-down"] == ("ctrl+n", "Next")
        assert rows["picker-up"] == ("up", "Previous")
        assert rows["editor-send"] == ("ctrl+s", "Send")  # the fields form's send too
        await pilot.press("question_mark")
        await eventually(lambda: isinstance(pilot.app.screen, HelpScreen), "help")
        assert {"picker-down", "picker-up", "editor-send", "modal-cancel"} <= set(
            help_ids(pilot.app)
        )


async def test_the_editors_hint_names_its_remapped_keys() -> None:
    keymap = {"editor-send": "ctrl+t", "editor-external": "ctrl+x"}
    async with make_app(FakeBackend(), keymap=keymap).run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot)
        await pilot.press("c")  # comment on the focused PR: the editor
        await until_quiet(pilot)
        title = str(pilot.app.screen.query(Label).first().content)
        assert title.endswith("ctrl+t send · ctrl+x $EDITOR · esc cancel"), title


async def test_the_confirm_and_query_hints_name_their_remapped_keys() -> None:
    """The yes/no question and the query editor spell their keys out: as the keymap has
    them, not as their defaults (`y yes`, `ctrl+s run and save`) once remapped."""
    keymap = {
        "confirm-yes": "j",
        "confirm-no": "k,escape",
        "input-ok": "ctrl+o",
        "query-save": "ctrl+w",
        "modal-cancel": "ctrl+g",
    }
    app = make_app(FakeBackend(), keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_quiet(pilot)
        assert not [n for n in notes(app) if "keymap" in n]
        opened(app, ConfirmModal("Close 3 issues?"))
        await until_quiet(pilot)
        question = str(app.screen.query(Label).first().content)
        assert question.endswith("j yes · k or esc no"), question
        app.screen.dismiss(False)
        await until_quiet(pilot)

        async def check(_query: str) -> None:
            return None

        opened(app, QueryModal("Query of Review requested", "is:pr", check))
        await until_quiet(pilot)
        prompt = str(app.screen.query(Label).first().content)
        assert prompt.endswith(
            "ctrl+o run for this session · ctrl+w run and save to the config · ctrl+g"
        ), prompt
