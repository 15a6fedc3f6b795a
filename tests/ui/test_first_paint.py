"""What the first screen holds: only what it paints (the `/` filter is mounted when opened)."""

from __future__ import annotations

from tests.fakes.backend import FakeBackend
from zen_tui.ui.app import ZenApp
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
        typed = " ".join(title.split()[:2])  # enough to single it out: each key is a frame
        await pilot.press("slash", *typed)
        await pilot.pause()
        assert items._matcher.built and len(items._matcher.hays()) == items.total
        assert [r.title for r in items.rows] == [title]
        await pilot.press("escape")  # cleared: every row back, in the same order
        await pilot.pause()
        assert len(items.rows) == items.total


async def test_a_theme_set_before_the_start_styles_as_one_switched_to() -> None:
    """The configured theme is in place before the first parse (no second parse of every
    stylesheet): the same classes, CSS variables and ANSI colours as switching to it."""
    from textual.filter import ANSIToTruecolor

    def looks(app: ZenApp) -> tuple[object, ...]:
        (ansi,) = (f for f in app._filters if isinstance(f, ANSIToTruecolor))
        return app.theme, sorted(app.classes), app.stylesheet._variables, ansi._terminal_theme

    preset = make_app(FakeBackend(), theme="zen-light")
    parses = []
    reparse = preset.stylesheet.reparse
    preset.stylesheet.reparse = lambda: parses.append(1) or reparse()  # type: ignore[method-assign]
    async with preset.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        started = looks(preset)
    switched = make_app(FakeBackend())
    async with switched.run_test(size=(140, 40)) as pilot:
        switched.theme = "zen-light"
        await pilot.pause()
        assert started == looks(switched)
    assert parses == []  # the variables were right at the first parse


async def test_the_panes_are_styled_once_with_their_classes(monkeypatch) -> None:
    """Each pane has its border's class and the focused one `-focused` from the start: none
    is restyled after mounting for a class (a restyle of the pane and its list)."""
    from zen_tui.ui.widgets.pane import ItemPane

    restyled: list[str] = []
    update = ItemPane.update_node_styles

    def counted(self: ItemPane, animate: bool = True) -> None:
        restyled.append(self.pane)
        update(self, animate)

    monkeypatch.setattr(ItemPane, "update_node_styles", counted)
    async with make_app(FakeBackend()).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        panes = list(pilot.app.screen.query(ItemPane))
        assert [p.has_class("-focused") for p in panes] == [True, False, False]
        badges = [[c for c in ("-live", "-stale", "-empty") if p.has_class(c)] for p in panes]
        assert all(len(b) == 1 for b in badges), badges
    assert restyled == []
