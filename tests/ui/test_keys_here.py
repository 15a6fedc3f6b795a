"""Issue 14 part 3: `space` and `[ui] select_advances`, PR ids that stay readable at 80x24
with the preview open, and `?` listing the focused pane's keys first."""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from tests.fakes.backend import FakeBackend
from zen_tui.config import load_settings
from zen_tui.ui.app import DashboardOptions
from zen_tui.ui.screens.info import HelpScreen
from zen_tui.ui.widgets.item_list import ItemList, fit_key

from .conftest import make_app


def lst(app, pane: str = "prs") -> ItemList:
    return app.screen.query_one(f"#list-{pane}", ItemList)


async def test_space_selects_and_moves_down_by_default() -> None:
    async with make_app(FakeBackend()).run_test() as pilot:
        await pilot.pause()
        items = lst(pilot.app)
        first = items.cursor_item
        await pilot.press("space")
        assert items.selected == {first.id}
        assert items.cursor == 1


async def test_select_advances_false_keeps_the_cursor_on_the_row(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ui]\nselect_advances = false\n", encoding="utf-8")
    settings = load_settings(config, tmp_path)  # the way `zen-tui` hands it to the app
    app = make_app(FakeBackend(), options=DashboardOptions.from_settings(settings))
    async with app.run_test() as pilot:
        await pilot.pause()
        items = lst(pilot.app)
        first = items.cursor_item
        await pilot.press("space")
        assert items.selected == {first.id} and items.cursor == 0
        await pilot.press("space")  # the same row again: a toggle
        assert items.selected == set() and items.cursor == 0


def test_fit_key_drops_the_owner_then_the_start_of_the_repo_never_the_number() -> None:
    assert fit_key("acme/web#123", 20) == "acme/web#123"
    assert fit_key("acme/web#123", 9) == "web#123"
    assert fit_key("acme/web-frontend#4567", 11) == "…ntend#4567"  # 11 columns exactly
    assert fit_key("acme/web-frontend#4567", 5) == "#4567"
    assert fit_key("ZEN-1234", 4) == "ZEN-1234"  # not a GitHub key: _fit cuts it as before


async def test_pr_ids_stay_readable_at_80x24_with_the_preview_open() -> None:
    backend = FakeBackend()
    section = "prs:0:gh"
    long_repo = [
        replace(item, key=f"acme/web-frontend#{1200 + n}", repo="acme/web-frontend")
        for n, item in enumerate(backend.items[section])
    ]
    backend.set_items(section, tuple(long_repo))
    async with make_app(backend).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the preview opens beside the list
        await pilot.pause()
        await pilot.pause()
        assert pilot.app.screen.has_class("-show-preview")
        rows = [lst(pilot.app).render_line(y).text for y in range(3)]
        screen = pilot.app.export_screenshot().replace("&#160;", " ")
    for n, row in enumerate(rows):
        assert f"#{1200 + n}" in row, row  # the whole number, every row
        assert "acme/web…" not in row
    assert "#1200" in screen and "#1201" in screen


def help_ids(app) -> list[str]:
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return [row[0] for row in screen.rows]


async def test_help_lists_the_focused_panes_keys_first() -> None:
    async with make_app(FakeBackend()).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        ids = help_ids(pilot.app)
        first = ids[: pilot.app.screen.first]
        assert {"approve", "merge", "label", "copy-url", "cursor-down"} <= set(first)
        assert not {"reply", "react", "transition", "confirm-yes", "quit"} & set(first)
        assert {"reply", "react", "transition", "quit", "confirm-yes"} <= set(ids)  # later
        await pilot.press("escape", "tab", "tab")  # to the messages pane
        await pilot.pause()
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        ids = help_ids(pilot.app)
        first = ids[: pilot.app.screen.first]
        assert {"reply", "react", "copy-url"} <= set(first)
        assert not {"approve", "merge", "transition"} & set(first)
        assert ids.index("reply") < ids.index("approve")
        painted = pilot.app.export_screenshot().replace("&#160;", " ")
        assert "On Messages" in painted and "Everything else" in painted
