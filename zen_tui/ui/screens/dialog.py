"""The base of every dialog: a ModalScreen with its own footer of the keys that work in it.

A ModalScreen leaves the screen under it painted, that screen's footer too: the dashboard's
keys, none of which works while the dialog is up (Textual keeps the app's and the dashboard's
bindings out of a modal). A dialog's own footer, docked at the bottom as the dashboard's is,
covers that one and lists the dialog's bindings and the focused widget's shown ones, each
under its current key (the keymap applied).
"""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList

from zen_tui.text_safety import clean
from zen_tui.ui.safe import plain
from zen_tui.ui.widgets.key_footer import KeyFooter

T = TypeVar("T")
_SHORT = {"escape": "esc"}  # as the hints have always said it
CANCEL = ("modal-cancel", "cancel")


class Dialog(ModalScreen[T]):
    def on_mount(self) -> None:
        # Mounted here, not in each compose: every dialog gets it, its own compose unchanged
        # (Textual runs each class's on_mount, this one after the dialog's own)
        self.mount(KeyFooter())

    def titled(self, title: str, *verbs: tuple[str, str]) -> Content:
        """`title   ctrl+s send · esc cancel`: the title (data) and, dimmed, each (binding
        id, verb) under its binding's key now, the keymap applied (a remapped send is not
        shown as ctrl+s)."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        declared = {b.id: b.key for b in self.BINDINGS if isinstance(b, Binding)}
        keys = [(keymap.get(i, declared.get(i, "?")).split(",")[0].strip(), v) for i, v in verbs]
        hint = " · ".join(f"{_SHORT.get(k, k)} {verb}" for k, verb in keys)
        return plain(title, multiline=True) + "   " + Content.styled(clean(hint), "dim")


class PickList(OptionList):
    """An OptionList whose `enter` shows in the footer (OptionList's own is hidden)."""

    BINDINGS = [Binding("enter", "select", "Pick", id="picker-pick")]


class AnswerInput(Input):
    """A one-line answer whose `enter` shows in the footer (Input's own is hidden)."""

    BINDINGS = [Binding("enter", "submit", "OK", id="input-ok")]
