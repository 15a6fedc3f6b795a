"""The outbox view: the triage actions not done (pending, being sent, unknown, failed), one
line each with why it waits or failed, as `zen-tui outbox` lists them (the same store calls
and words: zen_tui.store.outbox_words); retry, cancel or clear the one under the cursor.
Every line is data (an item id, a server's reason): shown as plain content, never markup."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from zen_tui.store.outbox_words import EMPTY, Said, Where, lines, what
from zen_tui.store.rows import OutboxEntry, StoreError
from zen_tui.ui.safe import plain, show
from zen_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from zen_tui.ui.app import ZenApp

LISTING = "the outbox view"
TITLE = "Outbox: actions not sent yet and failed ones"
AGE_TICK = 1.0  # seconds between redraws of the entries' ages
ACTING = "outbox-act"  # the workers of retry, cancel and clear (the app's)


class OutboxScreen(Screen[None]):
    # `q` goes back, as on the health screen: the app's `q` (quit) would end the app here
    BINDINGS = [
        Binding("escape,q,O", "app.pop_screen", "Back", id="outbox-close"),
        Binding("r", "retry", "Retry failed", id="outbox-retry"),
        Binding("x", "cancel", "Cancel", id="outbox-cancel"),
        Binding("c", "clear", "Clear failed", id="outbox-clear"),
    ]
    DEFAULT_CSS = """
    OutboxScreen #outbox-entries { height: 1fr; border: round $foreground 30%; }
    OutboxScreen #outbox-empty {
        height: 1fr; padding: 1 2; color: $text-muted; border: round $foreground 30%;
    }
    """

    def __init__(self, zen: ZenApp) -> None:
        super().__init__()
        self.zen = zen
        self.entries: dict[str, OutboxEntry] = {}  # option id (the entry's id) -> entry

    def compose(self) -> ComposeResult:
        entries = OptionList(id="outbox-entries")
        empty = Static(plain(EMPTY), id="outbox-empty")
        entries.border_title = empty.border_title = TITLE  # the same box, empty or not
        yield entries
        yield empty
        yield KeyFooter()  # a key that does not fit is left out whole (Footer cut `h Healt`)

    def on_mount(self) -> None:
        self.update_view()
        self.set_interval(AGE_TICK, self._age_lines)

    def _age_lines(self) -> None:
        """The lines again from the entries read last (no store read): their "30s ago" moves
        on while the view is open; a line redrawn only when its text changed."""
        listing = self.query_one(OptionList)
        entries = list(self.entries.values())
        for entry, line in zip(entries, lines(entries, self.zen.clock()), strict=True):
            prompt = plain(line)
            if str(listing.get_option(entry.id).prompt) != str(prompt):
                listing.replace_option_prompt(entry.id, prompt)

    def update_view(self) -> None:
        """Read the outbox again (the app calls it when the engine says it changed); the
        cursor stays on its entry while that is listed."""
        found = self.zen.backend.outbox_entries()
        listing = self.query_one(OptionList)
        kept = self.selected()
        self.entries = {e.id: e for e in found}
        listing.clear_options()
        listing.add_options(
            Option(plain(line), id=e.id)
            for e, line in zip(found, lines(found, self.zen.clock()), strict=True)
        )
        if found:
            at = next((n for n, e in enumerate(found) if kept and e.id == kept.id), 0)
            listing.highlighted = min(at, len(found) - 1)
        listing.display = bool(found)
        empty = self.query_one("#outbox-empty", Static)
        empty.display = not found
        show(empty, plain(EMPTY))
        if found:
            listing.focus()

    def selected(self) -> OutboxEntry | None:
        listing = self.query_one(OptionList)
        at = listing.highlighted
        if at is None or at >= listing.option_count:
            return None
        return self.entries.get(listing.get_option_at_index(at).id or "")

    def _act(self, do: str) -> None:
        """`do` on the entry under the cursor, in a worker: the backend writes the store off
        the event loop (another process's write lock may hold it for its busy timeout).
        The app's worker, not the view's: leaving the view meanwhile still says the end."""
        entry = self.selected()
        if entry is None:
            self.zen.notify("the outbox is empty: nothing to act on")
            return
        self.zen.run_worker(self._acted(do, entry), group=ACTING, exit_on_error=False)

    async def _acted(self, do: str, entry: OutboxEntry) -> None:
        backend = self.zen.backend
        try:
            if do == "retry":
                said = await backend.outbox_retry(entry.id)
            elif do == "clear":
                said = await backend.outbox_clear(entry)
            else:
                clear = f"pressing {self.zen.key_for('outbox-clear')} in {LISTING}"
                said = await backend.outbox_cancel(entry, Where(LISTING, clear))
        except (sqlite3.Error, StoreError) as exc:  # nothing changed: it can be pressed again
            said = Said(1, f"{do} of {what(entry)} not done: the local store said {exc}; try again")
        self._say(said)
        if self.is_attached:  # else the view was left meanwhile
            self.update_view()

    def _say(self, said: Said) -> None:
        if said.code == 0:
            self.zen.notify(said.line, timeout=10)
        else:
            self.zen.notify(said.line, severity="warning", timeout=10)

    def action_retry(self) -> None:
        self._act("retry")

    def action_cancel(self) -> None:
        self._act("cancel")

    def action_clear(self) -> None:
        self._act("clear")
