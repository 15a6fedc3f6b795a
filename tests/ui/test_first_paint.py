"""What the first screen holds: only what it paints (the `/` filter is mounted when opened)."""

from __future__ import annotations

from tests.fakes.backend import FakeBackend
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import FilterInput

from .conftest import make_app


async def test_filter_inputs_are_mounted_at_the_first_slash_and_filter_as_typed() -> None:
    async with make_app(FakeBackend()).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert not app.screen.query(FilterInput)  # none of the three panes built one
        items = app.screen.query_one("#list-prs", ItemList)
        wanted = items.cursor_item.title.split()[0]
        await pilot.press("slash", *wanted)
        await pilot.pause()
        boxes = list(app.screen.query(FilterInput))
        assert len(boxes) == 1 and app.focused is boxes[0] and boxes[0].value == wanted
        assert 0 < len(items.rows) <= items.total
        assert all(wanted.lower() in r.title.lower() for r in (items.shown(i) for i in items.rows))
        await pilot.press("escape", "slash")  # closed and opened again: the same box
        await pilot.pause()
        assert list(app.screen.query(FilterInput)) == boxes


async def test_the_filter_haystacks_are_built_at_the_first_keystroke_not_at_load() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        items = pilot.app.screen.query_one("#list-prs", ItemList)
        assert items.total > 0 and not items._matcher.built  # painted without them
        title = items.rows[-1].title
        await pilot.press("slash", *title)
        await pilot.pause()
        assert items._matcher.built and len(items._matcher.hays()) == items.total
        assert [r.title for r in items.rows] == [title]
        await pilot.press("escape")  # cleared: every row back, in the same order
        await pilot.pause()
        assert len(items.rows) == items.total
