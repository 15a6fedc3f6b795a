"""A virtualised list of items: renders only the visible rows (Textual's Line API).

DataTable measures every row on refresh (~0.7 s per 10k rows), so the panes use this
instead: setting 10,000 items or filtering them is a list comprehension plus a repaint of
the rows on screen. Row text is built from the item on demand, never stored per row.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import msgspec
from msgspec.structs import replace
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message as TextualMessage
from textual.scroll_view import ScrollView
from textual.strip import Strip

from zen_tui.item_words import channel_label
from zen_tui.models import ActionState, Issue, Item, Message, PullRequest
from zen_tui.text_safety import clean
from zen_tui.ui.widgets.row_filter import RowFilter

_CHECK = {"success": "✓", "failure": "✗", "pending": "…"}
_REVIEW = {"approved": "approved", "changes_requested": "changes", "review_required": "review"}
_STATE_MARK = {
    ActionState.PENDING: "… pending",
    ActionState.SENDING: "… sending",
    ActionState.UNKNOWN: "? unknown",
    ActionState.DONE: "✓ done",
    ActionState.FAILED: "✗ failed",
}
_NOTHING = object()  # `_announced` before the first Highlighted
LINK_MARK = "⇄ "  # the row has a cross-link (an issue made from it, a share): see the preview


class RowState(msgspec.Struct, frozen=True):
    state: ActionState
    kind: str
    reason: str | None = None


def row_key(item: Item) -> str:
    """The left column: the service's key; for messages, who said it and where."""
    if isinstance(item, Message):
        return f"{item.author} {channel_label(item.channel)}"
    return item.key


def fit_key(key: str, width: int) -> str:
    """A GitHub key (`owner/repo#123`) too long for its column loses the owner, then the start
    of the repo name, never the number: `repo#123`, `…po#123`. Other keys are left alone."""
    if len(key) <= width or "#" not in key:
        return key
    repo, number = key.rsplit("#", 1)
    name = repo.rsplit("/", 1)[-1]
    if len(name) + 1 + len(number) <= width:
        return f"{name}#{number}"
    room = width - len(number) - 2  # the "…" and the "#"
    return f"…{name[-room:]}#{number}" if room > 0 else f"#{number}"


def meta(item: Item) -> str:
    """The short right-hand column of a row; `●` first on an unread notification."""
    return ("● " if item.unread else "") + _meta(item)


def _meta(item: Item) -> str:
    if isinstance(item, PullRequest):
        state = "" if item.state == "open" else f"[{item.state}] "
        review = _REVIEW.get(item.review_decision or "", "")
        labels = " ".join(f"#{x}" for x in item.labels)
        return f"{state}{item.author} {_CHECK.get(item.check_status or '', ' ')} {review} {labels}"
    if isinstance(item, Issue):
        labels = " ".join(f"#{x}" for x in item.labels)
        return f"{item.status} · {item.assignee or 'unassigned'} {labels}"
    if isinstance(item, Message):
        replies = f" ↳{item.reply_count}" if item.reply_count else ""
        reactions = " ".join(f":{r.name}:{r.count}" for r in item.reactions)
        return f"{item.updated_at[5:16].replace('T', ' ')}{replies} {reactions}"
    return ""


def _fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: cut with `…`, or padded. Counted in cells, not
    characters: a CJK character takes two, a zero-width joiner or combining accent none (by
    characters, a CJK title pushed the row's other columns off screen)."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def badge_text(row: RowState, room: int) -> str:
    """A row's action badge in at most `room` cells, its state always shown: what goes first
    is the failure reason (the status line has all of it), then the state's word (its sign
    stays: `…` not sent yet, `?` unknown, `✓` done, `✗` failed), then the end of the action's
    name. (Cut from the end, `add_label ✓ done` and `add_label ✗ failed` both came out
    `add_label …`, as a pending one did, in a 120-column terminal.)"""
    mark = _STATE_MARK[row.state]
    short = f" {row.kind} {mark}"
    text = short
    if row.state == ActionState.FAILED and row.reason:
        text += f": {clean(row.reason)[:30]}"
    if cell_len(text) <= room:
        return text
    if len(short) + len(": x…") <= room:
        return _fit(text, room)
    if len(short) <= room:
        return short
    kind_room = max(1, room - 3)  # the two spaces and the sign
    kind = row.kind if len(row.kind) <= kind_room else _fit(row.kind, kind_room)
    return f" {kind} {mark[0]}"


class ItemList(ScrollView, can_focus=True):
    """Rows of items with a cursor, a multi-selection, a filter and per-row action state."""

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="cursor-down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="cursor-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="page-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="page-up"),
        Binding("home,g", "jump(0)", "First", show=False, id="first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="last"),
    ]
    COMPONENT_CLASSES = {
        "item-list--cursor",
        "item-list--selected",
        "item-list--key",
        "item-list--meta",
        "item-list--pending",
        "item-list--done",
        "item-list--failed",
        "item-list--empty",
    }
    DEFAULT_CSS = """
    ItemList { height: 1fr; background: $surface; overflow-x: hidden; scrollbar-size-vertical: 1; }
    ItemList > .item-list--cursor { background: $boost; text-style: bold; }
    ItemList:focus > .item-list--cursor { background: $primary 40%; }
    ItemList > .item-list--selected { color: $accent; text-style: bold; }
    ItemList > .item-list--key { color: $primary; }
    ItemList > .item-list--meta { color: $text-muted; }
    ItemList > .item-list--pending { color: $warning; }
    ItemList > .item-list--done { color: $success; }
    ItemList > .item-list--failed { color: $error; text-style: bold; }
    ItemList > .item-list--empty { color: $text-muted; text-style: italic; }
    """

    class Highlighted(TextualMessage):
        """The cursor moved to another item (or to none)."""

        def __init__(self, item_list: ItemList, item: Item | None) -> None:
            super().__init__()
            self.item_list = item_list
            self.item = item

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._all: tuple[Item, ...] = ()
        self._matcher = RowFilter()  # `_all`'s: haystacks and recent matches
        self._rows: Sequence[Item] = ()  # what is shown: `_all` filtered (itself, unfiltered)
        self._index: Sequence[int] = ()  # positions in `_all` of `_rows`, ascending
        self._announced: object = _NOTHING  # the item the last Highlighted named
        self._announcing = False
        self._repaint_style: Style | None = None  # during render_lines: the list's style
        self._filter = ""
        self._overrides: dict[str, Item] = {}  # optimistic versions, by item id
        self._base: tuple[Item, ...] = ()  # the snapshot's items
        self._pending: dict[str, Item] = {}  # rows of items being created, shown first
        self.row_states: dict[str, RowState] = {}
        self.linked: frozenset[str] = frozenset()  # item ids with a cross-link
        self.selected: set[str] = set()
        self.cursor = 0
        self.empty_text = "no items"

    # --- data -------------------------------------------------------------------------------

    @property
    def rows(self) -> list[Item]:
        """The items shown, in order (a copy: the list holds `_all` itself, unfiltered)."""
        return list(self._rows)

    @property
    def shown_count(self) -> int:
        return len(self._rows)

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def filter_text(self) -> str:
        return self._filter

    def set_items(self, items: tuple[Item, ...]) -> None:
        self._base = items
        self._show_all()

    def _show_all(self) -> None:
        current = self.cursor_item
        self._all = (*self._pending.values(), *self._base) if self._pending else self._base
        self._matcher = RowFilter(self._all)  # its haystacks: at the first filter keystroke
        if self.selected:  # else no set of every id (10,000 of them) at each new snapshot
            self.selected &= {i.id for i in self._all}
        self._show(self._matcher.match(self._filter))
        keep = current.id if current else None
        index = next((n for n, i in enumerate(self._rows) if i.id == keep), 0) if keep else 0
        self._announced = _NOTHING  # new items: the screen hears of the cursor's, as always
        self._move_to(index, force=True)

    def set_filter(self, text: str) -> None:
        if text == self._filter:
            return
        self._filter = text
        at = self._index[self.cursor] if self._rows else -1  # the cursor's item, in `_all`
        self._show(self._matcher.match(text))
        index = bisect_left(self._index, at)  # the cursor stays on its item if it still shows
        self._move_to(index if index < len(self._index) and self._index[index] == at else 0, True)

    def _show(self, index: Sequence[int]) -> None:
        self._index = index
        everything = len(index) == len(self._all)
        # Unfiltered, the rows are `_all` itself, not a list copy of its 10,000 references.
        self._rows = self._all if everything else [self._all[n] for n in index]
        self._size_to_rows()
        self.refresh()

    def shown(self, item: Item) -> Item:
        """The item as displayed: its optimistic version while an action is in flight."""
        return self._overrides.get(item.id, item)

    def set_override(self, item_id: str, item: Item | None) -> None:
        if item is None:
            self._overrides.pop(item_id, None)
        else:
            self._overrides[item_id] = item
        self.refresh()

    def add_pending(self, item: Item) -> None:
        """A row for an item being created (optimistic), above the snapshot's rows."""
        self._pending[item.id] = item
        self._show_all()

    def drop_pending(self, item_id: str) -> None:
        if self._pending.pop(item_id, None) is not None:
            self._show_all()

    def rename_pending(self, item_id: str, key: str) -> None:
        """The create landed as `key`: the row says so until the refresh lists the issue."""
        item = self._pending.get(item_id)
        if item is not None:
            done = replace(item, status="created") if isinstance(item, Issue) else item
            self._pending[item_id] = replace(done, key=key)
            self.refresh()

    def clear_overrides(self, keep: set[str]) -> None:
        """Forget optimistic versions except for `keep` (items whose action is still open)."""
        self._overrides = {k: v for k, v in self._overrides.items() if k in keep}

    def set_linked(self, item_ids: frozenset[str]) -> None:
        if item_ids != self.linked:
            self.linked = item_ids
            self.refresh()

    def set_row_state(self, item_id: str, state: RowState | None) -> None:
        if state is None:
            self.row_states.pop(item_id, None)
        else:
            self.row_states[item_id] = state
        self.refresh()

    @property
    def cursor_item(self) -> Item | None:
        if 0 <= self.cursor < len(self._rows):
            return self.shown(self._rows[self.cursor])
        return None

    def selected_items(self) -> list[Item]:
        """The selection in list order, or the item under the cursor if nothing is selected."""
        if self.selected:
            return [self.shown(i) for i in self._all if i.id in self.selected]
        item = self.cursor_item
        return [item] if item else []

    @property
    def selected_hidden(self) -> int:
        """Selected items the filter leaves out: a bulk action still takes them."""
        if not self.selected or len(self._rows) == len(self._all):
            return 0
        shown = {item.id for item in self._rows}
        return sum(1 for item in self._all if item.id in self.selected and item.id not in shown)

    def toggle_selected(self) -> None:
        item = self.cursor_item
        if item is None:
            return
        self.selected ^= {item.id}
        self.refresh()

    def clear_selection(self) -> None:
        self.selected.clear()
        self.refresh()

    # --- cursor -----------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self._move_to(len(self._rows) - 1 if where < 0 else 0)

    def _move_to(self, index: int, force: bool = False) -> None:
        index = max(0, min(index, len(self._rows) - 1))
        if index == self.cursor and not force:
            return
        old = self.cursor
        self.cursor = index
        self._scroll_to_cursor()
        self._refresh_row(old)
        self._refresh_row(index)
        if not self._announcing:
            self._announcing = True
            self.call_next(self._announce)

    def _announce(self) -> None:
        """Tell the screen (the preview) when the item under the cursor is another one.

        Posted from the list's own turn, never from a caller's handler: a message's bubbling
        stops at its sender, so one made in the pane's filter handler never reached the
        screen (the preview kept showing a row filtered away). Only on a change (or new
        items): a keystroke that keeps the cursor's row does not redraw the preview or fetch
        its detail again."""
        self._announcing = False
        item = self.cursor_item
        if item is not self._announced:
            self._announced = item
            self.post_message(self.Highlighted(self, item))

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_offset.y)
        if 0 <= y < self.size.height:
            self.refresh_line(y)

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_resize(self, _event: events.Resize) -> None:
        self._size_to_rows()
        self._scroll_to_cursor()

    def _size_to_rows(self) -> None:
        size = Size(self.scrollable_content_region.width, len(self._rows))
        if size == self.virtual_size:
            return
        if not self.size:  # not laid out yet: nothing to spare
            self.virtual_size = size
            return
        # The list's box is the pane's to size, whatever its rows: assigning virtual_size
        # would lay out and repaint the whole screen at each keystroke. Set it quietly and
        # update the scrollbars as ScrollView does after a layout (showing or hiding one
        # still lays out: the rows get narrower or wider).
        self.set_reactive(ItemList.virtual_size, size)
        self._scroll_update(size)

    def on_click(self, event: events.Click) -> None:
        self._move_to(round(self.scroll_offset.y) + event.y)

    # --- rendering --------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # The list's style walks every ancestor (~0.1 ms): once per repaint, not per row.
        self._repaint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._repaint_style = None

    def render_line(self, y: int) -> Strip:
        index = y + round(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        base = self.rich_style if self._repaint_style is None else self._repaint_style
        if not self._rows:
            if y == 0:
                text = self.empty_text if not self._filter else f"no match for {self._filter!r}"
                style = base + self.get_component_rich_style("item-list--empty")
                return Strip([Segment(_fit(" " + clean(text), width), style)], width)
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        return self._render_row(index, width, base)

    def _render_row(self, index: int, width: int, base: Style) -> Strip:
        item = self.shown(self._rows[index])
        row = Style()
        if item.id in self.selected:
            row += self.get_component_rich_style("item-list--selected")
        if index == self.cursor:
            row += self.get_component_rich_style("item-list--cursor")
        style = base + row
        mark = "● " if item.id in self.selected else "  "
        badge, badge_style = self._badge(item.id, max(12, width // 5))
        key_w = min(22, max(8, width // 4))
        meta_w = min(34, max(0, width // 3))
        title_w = max(0, width - 2 - key_w - meta_w - cell_len(badge) - 2)
        key_style, meta_style = self._part("key"), self._part("meta")
        segments = [  # Segments are never parsed as markup; clean() stops terminal escapes
            Segment(mark, style),
            Segment(_fit(clean(self._key(item, key_w)), key_w) + " ", base + key_style + row),
            Segment(_fit(self._linked(item) + clean(item.title), title_w) + " ", style),
            Segment(_fit(clean(meta(item)), meta_w), base + meta_style + row),
        ]
        if badge:
            segments.append(Segment(badge, base + badge_style + row))
        return Strip(segments).adjust_cell_length(width, style)

    @staticmethod
    def _key(item: Item, width: int) -> str:
        if isinstance(item, PullRequest | Issue) and item.repo:
            return fit_key(item.key, width)
        return row_key(item)

    def _linked(self, item: Item) -> str:
        return LINK_MARK if item.id in self.linked else ""

    def _badge(self, item_id: str, room: int) -> tuple[str, Style]:
        row = self.row_states.get(item_id)
        if row is None:
            return "", Style()
        klass = {ActionState.DONE: "done", ActionState.FAILED: "failed"}.get(row.state, "pending")
        return badge_text(row, room), self._part(klass)

    def _part(self, name: str) -> Style:
        """A component's colours without its background, to lay over the row's. (Textual's
        `partial=True` loses translucent colours like $text-muted: they came out white.)"""
        full = self.get_component_rich_style(f"item-list--{name}")
        return Style(color=full.color, bold=full.bold, italic=full.italic)
