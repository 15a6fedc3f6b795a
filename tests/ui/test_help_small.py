"""The help at small sizes: at 40x10 Rich's three-column table dropped the Action column (the
keys and ids, never wrapped, took the width). Narrow, each binding's id goes under its action;
wide, the three columns stay. Every action is readable by scrolling, whole, beside its keys."""

from __future__ import annotations

import re

import pytest
from textual.containers import VerticalScroll

from tests.fakes.backend import FakeBackend
from zen_tui.ui.screens.info import HelpScreen, KeyTable

from .conftest import make_app, until_quiet


def lines(app) -> list[str]:
    """What the terminal shows now, line by line (the composited strips)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def every_line_of_the_help(pilot) -> list[str]:
    """The help's lines as a user reads them: page by page with `pagedown` to its end."""
    app = pilot.app
    box = app.screen.query_one(VerticalScroll)
    seen = lines(app)
    while box.scroll_y < box.max_scroll_y:
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        await until_quiet(pilot)
        seen += lines(app)
    return seen


@pytest.mark.parametrize("size", [(40, 10), (100, 30)])
async def test_every_bindings_action_is_readable_beside_its_keys(size: tuple[int, int]) -> None:
    async with make_app(FakeBackend()).run_test(size=size) as pilot:
        await until_quiet(pilot)
        await pilot.press("question_mark")
        await until_quiet(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, HelpScreen)
        seen = await every_line_of_the_help(pilot)
    assert len(screen.rows) > 60  # the dashboard's keys and every dialog's
    for binding_id, keys, description in screen.rows:
        first_key = re.compile(rf"\s{re.escape(keys.split(',')[0])}[,\s]")
        beside = [line for line in seen if f" {description} " in line]
        assert any(first_key.search(line) for line in beside), (keys, description)
        assert any(f" {binding_id} " in line for line in seen), binding_id


def test_the_columns_stack_only_when_the_three_do_not_fit() -> None:
    table = KeyTable([("cursor-down", "j, down", "Down")])
    narrowest = table.keys_width + table.ids_width + 18  # ACTION_MIN 12, padding 6
    assert table.wide(narrowest) and not table.wide(narrowest - 1)
