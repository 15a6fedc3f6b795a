"""The footer: the keys that do something here, `?` and `q` first so they never scroll off.

Textual's Footer shows every binding of the focus chain and rebuilds its keys on every focus
change. This one asks the screen which bindings apply (`shows`: the dashboard answers for the
focused pane's item, so Transition/Reply/React stay off the PR pane) and rebuilds only when
the list of keys it would show has changed, which is also what keeps the first paint cheap.
Keys come from the active bindings, so a remapped key shows under its new key.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# actions (`?`, `q`) shown before all others, on every screen (the welcome screen's `q`
# quits outright: there is no dashboard to leave)
FIRST = ("help", "leave", "app.quit")
Shown = tuple[Binding, bool, str]  # binding, enabled, tooltip


class KeyFooter(Footer):
    def __init__(self, shows: Callable[[Binding], bool] = lambda _: True) -> None:
        super().__init__(show_command_palette=False)
        self.shows = shows
        self._signature: tuple[tuple[str, str, str, bool], ...] | None = None

    def applicable(self) -> list[Shown]:
        """What the footer shows now: one entry per action, `?` and `q` first."""
        by_action: dict[str, Shown] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in by_action and self.shows(binding):
                by_action[binding.action] = (binding, enabled, tooltip)
        first = [by_action.pop(a) for a in FIRST if a in by_action]
        return first + list(by_action.values())

    def fitting(self) -> list[Shown]:
        """The keys that fit whole in the terminal's width: a key is left out, never cut
        (`?` lists them all); `?` and `q` stay whatever the width."""
        room, shown = self.app.size.width, []
        for entry in self.applicable():
            binding = entry[0]
            # as FooterKey draws it: " key " then "description "
            width = cell_len(self.app.get_key_display(binding)) + cell_len(binding.description) + 3
            if width > room and binding.action not in FIRST:
                break
            room -= width
            shown.append(entry)
        return shown

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for binding, enabled, tooltip in self.fitting():
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
                classes="-compact" if self.compact else "",
            )
            # Footer binds `compact`; a FooterKey alone is compact (runs its words together).
            # Set without its watcher: assigning it styled the unmounted key twice (compact
            # on first touch, then not), a tenth of the first paint's CPU; the class is above.
            key.set_reactive(FooterKey.compact, self.compact)
            yield key

    def on_resize(self, _event: events.Resize) -> None:
        self.update_keys()

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if self.is_attached and screen is self.screen:
            self.update_keys()

    def update_keys(self) -> None:
        """Rebuild the keys if what applies has changed (a focus move, a new cursor item)."""
        if not self._bindings_ready:
            return
        signature = tuple(
            (b.key, b.action, b.description, enabled) for b, enabled, _ in self.fitting()
        )
        if signature != self._signature:
            self._signature = signature
            self.call_after_refresh(self.recompose)
