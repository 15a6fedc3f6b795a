"""The dashboard names its keys from zen_tui.ui.keys' tables, not through unicodedata (whose
name tables Textual's look-ups read into memory: ~0.75 MiB of the dashboard's peak RSS), and
the tables give exactly Textual's answers."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterator

import pytest
from textual.binding import Binding
from textual.keys import format_key, key_to_character
from textual.screen import Screen

from tests.fakes.backend import FakeBackend
from zen_tui.ui.app import all_bindings, dashboard_bindings
from zen_tui.ui.keys import KEY_CHARACTERS, KEY_NAMES, key_display
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import make_app

textual_character = key_to_character.__wrapped__  # Textual's own, not its cache's
textual_display = format_key.__wrapped__


def bound_keys(bindings: list[Binding]) -> set[str]:
    return {k.strip() for b in bindings for k in b.key.split(",")}


def test_the_tables_answer_as_textual_does() -> None:
    for key, character in KEY_CHARACTERS.items():
        assert character == textual_character(key), key
    keys = bound_keys(all_bindings()) | set(KEY_NAMES) | set(string.printable.strip())
    for key in keys:
        modifiers, name = Binding(key, "x").parse_key()
        if not modifiers:
            assert key_display(name) == textual_display(name), key


def test_every_long_key_around_the_lists_is_in_the_table() -> None:
    """Textual's Screen asks about each key bound on the focused widget's ancestors (the
    dashboard screen, the app, Textual's Screen): a new one there needs its row, or the
    look-up (and its memory) comes back. A list's own keys (up, pagedown...) are not asked
    about: the list is the focused widget, or not in the chain (the filter is focused)."""
    own = bound_keys([b for b in ItemList.BINDINGS if isinstance(b, Binding)])
    around = bound_keys(dashboard_bindings()) - own
    around |= bound_keys([b for b in Screen.BINDINGS if isinstance(b, Binding)])
    assert {k for k in around if "+" not in k and len(k) > 1} <= set(KEY_CHARACTERS)


@pytest.fixture
def unicode_lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every unicodedata.lookup/name call, from a cold start of Textual's key caches."""
    seen: list[str] = []
    lookup, name = unicodedata.lookup, unicodedata.name

    def recorded_lookup(text: str) -> str:
        seen.append(text)
        return lookup(text)

    def recorded_name(char: str, *default: str) -> str:
        seen.append(char)
        return name(char, *default)

    monkeypatch.setattr(unicodedata, "lookup", recorded_lookup)
    monkeypatch.setattr(unicodedata, "name", recorded_name)
    format_key.cache_clear()
    key_to_character.cache_clear()
    yield seen
    format_key.cache_clear()  # nothing recorded stays cached for the next test
    key_to_character.cache_clear()


async def test_the_dashboard_reads_no_unicode_names(unicode_lookups: list[str]) -> None:
    async with make_app(FakeBackend()).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for pane in ("prs", "issues", "messages"):  # each pane's footer, its keys gathered
            pilot.app.screen.query_one(f"#list-{pane}", ItemList).focus()
            await pilot.pause()
            await pilot.pause()
        assert pilot.app.screen.query_one("KeyFooter").children  # the footer is painted
    assert unicode_lookups == []
