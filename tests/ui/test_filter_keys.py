"""What a filter keystroke does on the dashboard: the rows, the scrollbar, the preview, and no
more work than that (no screen layout, no detail fetch for a row that did not change)."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.widget import Widget

from tests.fakes.backend import FakeBackend
from zen_tui.models import Item, ItemDetail
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import FilterInput, ItemPane
from zen_tui.ui.widgets.preview import Preview

from .conftest import make_app, status_line, until_quiet


class CountingDetails(FakeBackend):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def details(self, item: Item) -> ItemDetail:
        self.asked.append(item.id)
        return await super().details(item)


def prs(app: Any) -> ItemList:
    return app.screen.query_one("#list-prs", ItemList)


async def test_the_preview_follows_the_cursor_when_the_filter_hides_its_row() -> None:
    backend = CountingDetails()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        items, preview = prs(pilot.app), pilot.app.screen.query_one(Preview)
        first, last = items.rows[0], items.rows[-1]
        assert preview.item_id == first.id
        await pilot.press("slash", *last.key)  # only the last row holds its own key
        await pilot.pause()
        assert items.rows == [last] and items.cursor_item == last
        assert preview.item_id == last.id  # (it kept showing the first row, filtered away)
        assert backend.asked[-1] == last.id
        asked = len(backend.asked)
        await pilot.press("space", "backspace", "backspace")  # the same row under the cursor
        await pilot.pause()
        assert items.cursor_item == last and preview.item_id == last.id
        assert len(backend.asked) == asked  # nothing redrawn or fetched again for it


async def test_a_filter_keystroke_asks_for_no_screen_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Neither the box nor the list lays out the whole screen per keystroke (~10 ms each);
    the list's scrollbar still comes and goes with the number of rows (that one does)."""
    async with make_app(FakeBackend(items_per_section=200)).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        items = prs(pilot.app)
        only = items.rows[-1].key  # no other key holds it
        await pilot.press("slash")
        await pilot.pause()
        assert items.show_vertical_scrollbar
        layouts: list[str] = []
        refresh = Widget.refresh

        def spy(self: Widget, *regions: Any, **flags: Any) -> Widget:
            if flags.get("layout") and isinstance(self, FilterInput | ItemList):
                layouts.append(type(self).__name__)
            return refresh(self, *regions, **flags)

        monkeypatch.setattr(Widget, "refresh", spy)
        for key in "zen":
            await pilot.press(key)
            await pilot.pause()
            assert layouts == [] and items.virtual_size.height == len(items.rows)
        assert items.scrollable_content_region.height < len(items.rows) < items.total
        await pilot.press("ctrl+u", *only)  # (ctrl+u: Input's clear to the start) one row
        await pilot.pause()
        assert items.rows == [items.rows[0]] and items.rows[0].key == only
        assert not items.show_vertical_scrollbar and items.max_scroll_y == 0
        await pilot.press("escape")  # every row again: the scrollbar comes back
        await pilot.pause()
        assert items.show_vertical_scrollbar and items.virtual_size.height == items.total


async def test_a_long_filter_scrolls_within_its_box() -> None:
    async with make_app(FakeBackend()).run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        text = "q" * 100 + "end"
        await pilot.press("slash")
        for char in text:  # in one burst, as a key-repeat or a paste types them (pressed
            pilot.app.post_message(events.Key(char, char))  # one by one: 10 s of the suite)
        await until_quiet(pilot)
        box = pilot.app.screen.query_one("#pane-prs", ItemPane).filter_input
        assert box.value == text and box.virtual_size.width == len(text) + 1
        assert box.scroll_x > 0 and "qqqend" in pilot.app.export_screenshot()


async def test_keys_typed_in_the_same_burst_as_slash_go_into_the_filter_not_to_actions() -> None:
    """A fast typist (or a paste, or tmux send-keys) delivers `/` and the next keys before the
    app has handled `/`: they were run as dashboard keys (`c` opened the comment editor, `v`
    approved the PR under the cursor) instead of being typed into the filter."""
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        for char in "/cv":  # queued together, as a terminal read of one burst posts them
            name = "slash" if char == "/" else char
            pilot.app.post_message(events.Key(name, char))
        await pilot.pause()
        await pilot.pause()
        box = pilot.app.screen.query_one("#pane-prs", ItemPane).filter_input
        assert box.value == "cv"
        assert pilot.app.screen.focused is box
        assert pilot.app.screen.id == "dashboard"  # no comment editor opened
        assert backend.submitted == []  # nothing approved


async def test_a_remapped_filter_key_takes_its_burst_too() -> None:
    backend = FakeBackend()
    app = make_app(backend, keymap={"filter": "f"})
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        for char in "fva/":  # `/` is no longer the filter key: typed into the box as text
            pilot.app.post_message(events.Key("slash" if char == "/" else char, char))
        await pilot.pause()
        await pilot.pause()
        box = pilot.app.screen.query_one("#pane-prs", ItemPane).filter_input
        assert box.value == "va/" and backend.submitted == []


async def test_esc_in_the_list_clears_a_kept_filter_once_nothing_is_selected() -> None:
    """Seen in the demo: `/cache` then `enter` kept the filter (as documented), and `esc` in
    the list, which the guide says clears it, did nothing: only `/` then `esc` did. Now the
    first `esc` clears the selection, as before, and the next one the kept filter."""
    async with make_app(FakeBackend()).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        items = prs(pilot.app)
        pane = pilot.app.screen.query_one("#pane-prs", ItemPane)
        every = list(items.rows)
        last = every[-1]
        await pilot.press("slash", *last.key, "enter")
        await pilot.pause()
        assert items.rows == [last] and items.has_focus
        await pilot.press("space")  # a selection made under the filter
        await pilot.press("escape")
        await pilot.pause()
        assert not items.selected and items.rows == [last]  # the selection goes first
        await pilot.press("escape")
        await pilot.pause()
        assert items.rows == every and items.filter_text == ""
        assert not pane.query_one(FilterInput).has_class("-shown") and items.has_focus
        assert "filter:" not in str(pane.border_subtitle or "")


async def test_the_status_line_says_how_many_selected_rows_the_filter_hides() -> None:
    # Seen in the demo: two PRs selected, then `/metrics` showed two other PRs, and `l` asked
    # "Add a label to 2 items" with the status line saying only "2 selected": the label
    # would go to the two rows nobody could see. The selection still acts on them; the
    # status line now says they are hidden, as the filter is typed.
    async with make_app(FakeBackend()).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        items = prs(pilot.app)
        first, second, last = items.rows[0], items.rows[1], items.rows[-1]
        await pilot.press("space", "space")
        await pilot.pause()
        assert "· 2 selected" in status_line(pilot.app)
        assert "hidden" not in status_line(pilot.app)
        await pilot.press("slash", *last.key)
        await pilot.pause()
        assert items.rows == [last]
        assert "· 2 selected, 2 hidden by the filter" in status_line(pilot.app)
        await pilot.press("escape")  # the filter cleared: every row shows again
        await pilot.pause()
        assert "· 2 selected" in status_line(pilot.app)
        assert "hidden" not in status_line(pilot.app)
        assert [i.id for i in items.selected_items()] == [first.id, second.id]
