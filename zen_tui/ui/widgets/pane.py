"""One pane (PRs, Issues or Messages): its sections as tabs, a filter, and the item list.

The pane keeps the latest snapshot per section and renders the active one; its border title
carries the item count and the staleness badge, the tooltip the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Input, Static

from zen_tui.models import (
    Cause,
    Freshness,
    FreshnessState,
    Item,
    Pane,
    SectionInfo,
    Snapshot,
    format_age,
)
from zen_tui.store.codec import sort_key
from zen_tui.sync.backend import Activity
from zen_tui.text_safety import clean
from zen_tui.ui.safe import plain, show
from zen_tui.ui.widgets.item_list import ItemList, RowState

PANE_LABELS: dict[str, str] = {
    "prs": "Pull requests",
    "issues": "Issues",
    "messages": "Messages",
    "inbox": "Inbox",
}
# Panes that show their sections as one list, newest first: an `All` tab first, then one tab
# per section (`[`/`]` step through them, as the other panes' tabs).
MERGED_PANES = ("inbox",)
ALL_TAB = "All"
_BADGE_CLASSES = ("-live", "-stale", "-empty")
READ_ONLY = "read-only"  # the badge's word for a section whose source takes no writes
NO_SECTIONS = "no sections configured"
# The empty pane's one line: what to write, and where the guide says more
ADD_SECTION = "no sections configured: add [[sections]] (docs/config.md)"


class FilterClosed(Message):
    """The filter was cleared with escape: its pane takes the focus back to the list."""


class SelectionFiltered(Message):
    """The filter changed while rows are selected: the status line says how many it hides
    (the selection still acts on them)."""


class FilterInput(Input):
    """The pane's `/` filter: filters as you type; enter keeps it, escape clears it."""

    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", id="filter-clear")]

    def _watch_value(self, value: str) -> None:
        # Input resizes its virtual width to the text at each keystroke, and that assignment
        # lays out and repaints the whole screen (most of a keystroke's time). The box is one
        # line whose width is the pane's: set the size quietly first, so Input's own
        # assignment changes nothing and asks for no layout; scrolling still has the width.
        self.set_reactive(Input.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)

    def action_clear_filter(self) -> None:
        self.value = ""  # Input.Changed resets the list
        self.remove_class("-shown")
        self.post_message(FilterClosed())  # up to the pane; the input knows no parent


class ItemPane(Vertical):
    DEFAULT_CSS = """
    ItemPane { border: round $foreground 30%; height: 1fr; }
    ItemPane:focus-within { border: round $primary; }
    ItemPane.-stale { border: round $warning; }
    ItemPane.-empty { border: round $error; }
    ItemPane.-read-only { border-title-color: $warning; }
    ItemPane .tabs { height: 1; color: $text-muted; }
    ItemPane FilterInput { display: none; height: 1; border: none; padding: 0 1; }
    ItemPane FilterInput:focus { border: none; background: $boost; }
    ItemPane FilterInput.-shown { display: block; }
    """

    def __init__(self, pane: Pane, sections: list[SectionInfo], clock: Callable[[], float]) -> None:
        super().__init__(id=f"pane-{pane}")
        self.pane = pane
        self.merged = pane in MERGED_PANES
        self.sections = sections
        self.clock = clock
        self.snapshots: dict[str, Snapshot] = {}
        self.activity: dict[str, Activity] = {}  # sections whose refresh retries or waits
        # The tab on screen: a section's index; a merged pane's tab 0 is All (section n is n+1).
        self.active = 0
        self._all_count = 0

    def compose(self) -> ComposeResult:
        yield Static(classes="tabs")
        yield ItemList(id=f"list-{self.pane}")

    @property
    def _list(self) -> ItemList:
        return self.query_one(ItemList)

    # --- the pane's API: the screen asks the pane, never its list ---------------------------

    @property
    def label(self) -> str:
        return PANE_LABELS[self.pane]

    @property
    def cursor_item(self) -> Item | None:
        return self._list.cursor_item

    @property
    def selected_count(self) -> int:
        return len(self._list.selected)

    @property
    def selected_hidden(self) -> int:
        return self._list.selected_hidden

    def selected_items(self) -> list[Item]:
        """The selection, or the item under the cursor when nothing is selected."""
        return self._list.selected_items()

    def select_and_next(self, advance: bool = True) -> None:
        """Toggle the row's selection; `advance` ([ui] select_advances) moves down after."""
        self._list.toggle_selected()
        if advance:
            self._list.action_cursor(1)

    def clear_selection(self) -> None:
        self._list.clear_selection()

    def focus_list(self) -> None:
        # Now (`focus()` waits for the app's next turn): see open_filter
        self.screen.set_focus(self._list)

    def shows(self, item_list: ItemList) -> bool:
        return item_list is self._list

    def set_override(self, item_id: str, item: Item | None) -> None:
        """Show `item` (an optimistic version) for `item_id`; None rolls it back."""
        self._list.set_override(item_id, item)

    def add_pending(self, item: Item) -> None:
        self._list.add_pending(item)

    def drop_pending(self, item_id: str) -> None:
        self._list.drop_pending(item_id)

    def rename_pending(self, item_id: str, key: str) -> None:
        self._list.rename_pending(item_id, key)

    def clear_overrides(self, keep: set[str]) -> None:
        self._list.clear_overrides(keep=keep)

    def set_row_state(self, item_id: str, row: RowState | None) -> None:
        self._list.set_row_state(item_id, row)

    def set_linked(self, item_ids: frozenset[str]) -> None:
        """Rows with a cross-link show a marker."""
        self._list.set_linked(item_ids)

    @property
    def filter_input(self) -> FilterInput:
        """Mounted at the first `/`: three Inputs (and Input's stylesheet) cost the first
        paint ~80 ms, for a filter most sessions never open."""
        found = self.query(FilterInput)
        if found:
            return found.first()
        box = FilterInput(placeholder="filter…  (enter keeps, esc clears)")
        self.mount(box, before=self._list)
        return box

    def open_filter(self) -> None:
        box = self.filter_input
        box.add_class("-shown")
        # Focus now, not on the next turn as `focus()` does: keys typed in the same burst as
        # `/` are already queued behind it and would run as dashboard keys (`v` approving).
        self.screen.set_focus(box)

    def clear_kept_filter(self) -> bool:
        """`esc` in the list: a filter kept with `enter` goes (True), as `esc` in its box."""
        found = self.query(FilterInput)
        if not found or not found.first().value:
            return False
        found.first().action_clear_filter()
        return True

    # --- the filter -------------------------------------------------------------------------

    @on(Input.Changed, "FilterInput")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._list.set_filter(event.value)
        self.refresh_title()
        if self._list.selected:
            self.post_message(SelectionFiltered())

    @on(Input.Submitted, "FilterInput")
    def _filter_kept(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.set_class(bool(event.value), "-shown")
        self.focus_list()

    def on_filter_closed(self, event: FilterClosed) -> None:
        event.stop()
        self.focus_list()

    # --- snapshots --------------------------------------------------------------------------

    @property
    def section(self) -> SectionInfo | None:
        """The section on screen; None with no sections, or on a merged pane's All tab."""
        if not self.sections:
            return None
        if self.merged:
            return self.sections[self.active - 1] if self.active else None
        return self.sections[self.active]

    @property
    def showing_all(self) -> bool:
        """A merged pane on its All tab: every section at once."""
        return self.merged and self.active == 0 and bool(self.sections)

    def shown_sections(self) -> list[SectionInfo]:
        """The sections whose items the list shows: the tab's one, or all on the All tab."""
        if self.showing_all:
            return list(self.sections)
        section = self.section
        return [section] if section else []

    @property
    def freshness(self) -> Freshness | None:
        """The shown section's; on the All tab its least fresh section's (so one source that
        is down shows on the pane)."""
        return worst(
            [
                self.snapshots[s.id].freshness
                for s in self.shown_sections()
                if s.id in self.snapshots
            ]
        )

    def section_freshness(self, section: SectionInfo) -> Freshness | None:
        snap = self.snapshots.get(section.id)
        return snap.freshness if snap else None

    def shown_items(self) -> tuple[Item, ...]:
        """What the list shows: the active section's items, unread notifications first; a
        merged pane: its tab's sections' items (all of them on All), newest first."""
        groups = [
            self.snapshots[s.id].items for s in self.shown_sections() if s.id in self.snapshots
        ]
        if self.merged:
            return merge_newest(groups)
        return unread_first(groups[0]) if groups else ()

    def on_mount(self) -> None:
        if not self.sections:
            self._list.empty_text = ADD_SECTION
        self.render_tabs()
        self.refresh_title()

    def update_snapshot(self, section_id: str, snapshot: Snapshot) -> bool:
        """Store a section's snapshot; True when it is the one on screen."""
        self.snapshots[section_id] = snapshot
        if self.merged:  # the All tab's count: an item in two sections counts once
            # by id, as merge_newest keeps them, without sorting every item for a count
            self._all_count = len({i.id for s in self.snapshots.values() for i in s.items})
        self.activity.pop(section_id, None)  # the refresh has its answer: retrying is over
        self.render_tabs()
        if section_id not in {s.id for s in self.shown_sections()}:
            self.refresh_title()  # another tab: the title names the pane's worst one
            return False
        self._list.set_items(self.shown_items())
        self._list.empty_text = _empty_text(snapshot.freshness)
        self.refresh_title()
        return True

    def set_activity(self, section_id: str, activity: Activity | None) -> None:
        if activity is None:
            self.activity.pop(section_id, None)
        else:
            self.activity[section_id] = activity
        self.render_tabs()
        self.refresh_title()

    def badge(self) -> str:
        """The active section's badge (see section_badge); on the All tab its worst
        section's."""
        section = self.badge_section()
        return self.section_badge(section) if section else self._no_data()

    def badge_section(self) -> SectionInfo | None:
        """The section the badge and the status line speak of."""
        if self.showing_all:
            return max(self.sections, key=self._trouble)
        return self.section

    def section_badge(self, section: SectionInfo) -> str:
        """`live`, `cached 2m`; while the refresh retries or waits, that first and the age of
        what is shown beside it: `retrying 2/4 · 40s old`, `waiting for rate limit 12s · …`;
        then what the source left out (`· #dev left`: a Slack channel the user left, the rest
        read live), and `· read-only` while it takes no writes (a Slack channel archived)."""
        snap = self.snapshots.get(section.id)
        fresh = snap.freshness if snap else None
        now = self.clock()
        badge = fresh.badge(now) if fresh else "waiting for data"
        activity = self.activity.get(section.id)
        doing = activity.label(now) if activity else ""
        if doing:
            age = fresh.age(now) if fresh else None
            if fresh is not None and fresh.state is FreshnessState.LIVE and age is not None:
                badge = f"{format_age(age)} old"
            badge = f"{doing} · {badge}"
        if fresh is not None and fresh.left_out is not None:  # channel names: server text
            badge = f"{badge} · {clean(fresh.left_out)}"
        return f"{badge} · {READ_ONLY}" if self._read_only(section.id) is not None else badge

    def _read_only(self, section_id: str) -> str | None:
        """Why the section's source takes no writes; None: it takes them. The badge, the
        title, the style and the status line all ask here, so they never disagree: a reason
        there but blank still means read-only (the source said so), said as the badge says
        it."""
        snap = self.snapshots.get(section_id)
        why = snap.freshness.read_only if snap else None
        return None if why is None else why.strip() or READ_ONLY

    def read_only(self) -> str | None:
        """Why a section of this pane takes no writes: the active one's, else (on the All
        tab) the first such section's, its title before it."""
        shown = self.sections if self.showing_all else [self.section] if self.section else []
        for section in shown:
            why = self._read_only(section.id)
            if why is not None:
                return f"{section.title}: {why}" if self.showing_all else why
        return None

    def _trouble(self, section: SectionInfo) -> tuple[int, int]:
        """How bad a section looks: its freshness (live < from the cache within its TTL <
        cached < local < empty: rank()), then whether its refresh is retrying or waiting."""
        snap = self.snapshots.get(section.id)
        return (rank(snap.freshness) if snap else 0, int(section.id in self.activity))

    def worst_section(self) -> SectionInfo | None:
        """The section in the worst state, when it is worse than the one on screen: the
        title names it, so a Jira storm on the other tab is not hidden behind a live one."""
        active = self.section
        if active is None:  # none, or the All tab: its badge is its worst already
            return None
        bad = max(self.sections, key=self._trouble)
        return bad if self._trouble(bad) > self._trouble(active) else None

    def switch_section(self, delta: int) -> SectionInfo | None:
        """The next or previous tab (a merged pane's All tab among them); its section, None
        on All."""
        if not self.sections:
            return None
        tabs = len(self.sections) + (1 if self.merged else 0)
        self.active = (self.active + delta) % tabs
        section = self.section
        self._list.set_items(self.shown_items())
        self.render_tabs()
        self.refresh_title()
        return section

    def render_tabs(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        first = 0
        if self.merged and self.sections:  # the All tab: the merged list's count
            all_style = "bold reverse" if self.showing_all else ""
            text.append(f" {ALL_TAB} {self._all_count} ", style=all_style)
            text.append(" ")
            first = 1
        for n, section in enumerate(self.sections, start=first):
            snap = self.snapshots.get(section.id)
            count = f" {len(snap.items)}" if snap else ""
            if len(self.sections) > 1:  # each tab its own badge: `Jira: mine 14 cached 2m`
                count += f" {self.section_badge(section)}"
            style = "bold reverse" if n == self.active else ""
            text.append(f" {clean(section.title)}{count} ", style=style)
            text.append(" ")
        show(self.query_one(".tabs", Static), text)  # each tick redraws it: often the same

    def refresh_title(self) -> None:
        """Title `Pull requests 12 · live`; border colour and tooltip follow the freshness."""
        items = self._list
        count = str(items.total) if not items.filter_text else f"{items.shown_count}/{items.total}"
        fresh = self.freshness
        badge = self.badge()
        title = f"{PANE_LABELS[self.pane]} {count} · {badge}"
        if not self.sections:  # its list says so, with how to add one: once is enough
            title = PANE_LABELS[self.pane]
        worst = self.worst_section()
        border = fresh
        if worst is not None:
            title += f" · {worst.title}: {self.section_badge(worst)}"
            worst_snap = self.snapshots.get(worst.id)
            border = worst_snap.freshness if worst_snap else fresh  # the border shows it too
        if title != self.border_title:
            self.border_title = plain(title)
        subtitle = plain(f"filter: {items.filter_text}" if items.filter_text else "")
        if subtitle != self.border_subtitle:  # each keystroke, not only when the count changes
            self.border_subtitle = subtitle
        read_only = self.read_only()
        self.set_class(read_only is not None, "-read-only")
        badged = {s.id for s in (self.badge_section(), worst) if s is not None}
        if read_only is not None and all(self._read_only(s) is None for s in badged):
            title += f" · {READ_ONLY}"  # the All tab: its read-only section is not the worst
        why = fresh.reason if fresh and fresh.state != FreshnessState.LIVE else None
        tooltip = plain(why or read_only or (fresh.reason if fresh else None) or badge)
        if tooltip != self.tooltip:
            self.tooltip = tooltip
        wanted = _badge_class(border)
        if not self.has_class(wanted):  # restyling the pane is costly: only on a change
            self.remove_class(*_BADGE_CLASSES)
            self.add_class(wanted)

    def preset_classes(self) -> None:
        """Before mounting: the border's class (as refresh_title sets it) and the read-only
        one, so the first styling pass has them instead of a restyle of the pane after it."""
        worst = self.worst_section()
        border = self.freshness
        if worst is not None and worst.id in self.snapshots:
            border = self.snapshots[worst.id].freshness
        self.add_class(_badge_class(border), update=False)  # styled when mounted
        self.set_class(self.read_only() is not None, "-read-only", update=False)

    def _no_data(self) -> str:
        """What the title and the status line say before a section has any snapshot."""
        return "waiting for data" if self.sections else NO_SECTIONS

    def status_text(self, breaker: Callable[[str], str] | None = None) -> str:
        """For the status line: `Pull requests: cached 2m (github breaker open, 27s left)`.
        `breaker(service)`: the breaker as its gateway card says it now; it stands in for a
        breaker reason, whose `until 14:02` / `probe due` came from the engine's clock."""
        fresh = self.freshness
        if fresh is None:
            return f"{PANE_LABELS[self.pane]}: {self._no_data()}"
        why = fresh.reason
        section = self.badge_section()
        if breaker is not None and fresh.cause is Cause.BREAKER and section is not None:
            why = f"{section.service} breaker {breaker(section.service)}"
        said = fresh.state != "live" or fresh.left_out is not None  # live: what it left out
        reason = f" ({why})" if why and said else ""
        read_only = self.read_only()
        if not reason and read_only not in (None, READ_ONLY):  # the badge says the word
            reason = f" ({read_only})"
        return f"{PANE_LABELS[self.pane]}: {self.badge()}{reason}"


def _badge_class(border: Freshness | None) -> str:
    """The pane's border class for the freshness its border shows: an answer from the
    gateway's cache within its TTL is no trouble (its badge says its age)."""
    if border is not None and border.answered:
        return "-live"
    if border is not None and border.state in (FreshnessState.CACHED, FreshnessState.LOCAL):
        return "-stale"
    if border is not None and border.state == FreshnessState.EMPTY:
        return "-empty"
    return "-live"


def _empty_text(fresh: Freshness) -> str:
    """What an empty list says: why there is no data; a live one's note (the server's word
    on an empty query: "no issues; Jira says: ..."), else "no items"."""
    if fresh.state == FreshnessState.EMPTY:
        return fresh.reason or "empty"
    if fresh.state == FreshnessState.LIVE and fresh.reason:
        return fresh.reason
    return "no items"


# How far from live: live, the cache's answer within its TTL (1: no failure), the last good
# answer after a failure (`cached`), the store's copy, empty.
_RANK = {
    FreshnessState.LIVE: 0,
    FreshnessState.CACHED: 2,
    FreshnessState.LOCAL: 3,
    FreshnessState.EMPTY: 4,
}


def rank(fresh: Freshness) -> int:
    """How far `fresh` is from live (see _RANK)."""
    return 1 if fresh.state is FreshnessState.CACHED and fresh.answered else _RANK[fresh.state]


def worst(found: list[Freshness]) -> Freshness | None:
    """The least fresh of several sections' freshness (the oldest of equals)."""
    if not found:
        return None
    return max(found, key=lambda f: (rank(f), -(f.fetched_at or 0.0)))


def unread_first(items: tuple[Item, ...]) -> tuple[Item, ...]:
    """Unread notifications before the rest, each group in the section's order (sorted
    only when there is a notification row: 10,000 search results are passed as they are)."""
    if not any(item.unread is not None for item in items):
        return items
    return tuple(sorted(items, key=lambda item: item.unread is not True))


def merge_newest(groups: Sequence[Sequence[Item]]) -> tuple[Item, ...]:
    """Several sections' items as one list, newest update first; an item in two sections
    (the same account and key) once, its newer copy."""
    newest: dict[str, Item] = {}
    for group in groups:
        for item in group:
            held = newest.get(item.id)
            if held is None or sort_key(item.updated_at) > sort_key(held.updated_at):
                newest[item.id] = item
    return tuple(sorted(newest.values(), key=lambda i: sort_key(i.updated_at), reverse=True))
