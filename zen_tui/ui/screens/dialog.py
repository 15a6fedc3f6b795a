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
from textual.dom import DOMNode
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

    def keys_now(self, binding_id: str, owner: type[DOMNode] | None = None) -> list[str]:
        """The keys of the binding `binding_id` (declared by `owner`, this dialog by default)
        now, the keymap applied, as the hints write them: a remapped key is not shown as its
        default."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        bindings = (owner or type(self)).BINDINGS
        declared = {b.id: b.key for b in bindings if isinstance(b, Binding)}
        keys = keymap.get(binding_id, declared.get(binding_id, "?")).split(",")
        return [_SHORT.get(k.strip(), k.strip()) for k in keys]

    def titled(self, title: str, *verbs: tuple[str, str]) -> Content:
        """`title   ctrl+s send · esc cancel`: the title (data) and, dimmed, each (binding
        id, verb) under its binding's first key now (keys_now)."""
        hint = " · ".join(f"{self.keys_now(i)[0]} {verb}" for i, verb in verbs)
        return plain(title, multiline=True) + "   " + Content.styled(clean(hint), "dim")


class PickList(OptionList):
    """An OptionList whose `enter` shows in the footer (OptionList's own is hidden)."""

    BINDINGS = [Binding("enter", "select", "Pick", id="picker-pick")]


class AnswerInput(Input):
    """A one-line answer whose `enter` shows in the footer (Input's own is hidden)."""

    BINDINGS = [Binding("enter", "submit", "OK", id="input-ok")]
