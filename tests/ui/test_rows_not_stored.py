"""A row on screen whose item the store no longer holds (another zen-tui on the same store
dropped it: its full listing no longer had it, a login change there cleared its rows).

The dashboard's rows leave URLs and descriptions to the store (models.as_row), so before this
the preview said "(no description)", `y` copied "" and `o` said "this item has no link". Now
each says the item is not in the local store and that its section is listed again; once that
listing stored it, the preview shows its description and `y` copies its URL.

The REAL stack: the simulator on loopback, SyncEngine, SQLite (the other zen-tui is a second
connection to the same file), ZenApp under Pilot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.demo_stack import DemoStack, demo_stack, wait_until
from zen_tui.models import Item, body_of, url_of
from zen_tui.paths import store_path
from zen_tui.store import Store
from zen_tui.ui.app import ZenApp
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import ItemPane

from .conftest import preview_text

pytestmark = pytest.mark.timeout(60)
NOT_STORED = "is not in the local store: refreshing its section"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


def cursor(app: ZenApp) -> Item:
    item = app.screen.query_one("#list-prs", ItemList).cursor_item
    assert item is not None
    return item


def status(app: ZenApp) -> str:
    return str(app.screen.query_one("#status").render())


def live(app: ZenApp) -> bool:
    title = str(app.screen.query_one("#pane-prs", ItemPane).border_title or "")
    return title.endswith("live") and bool(app.screen.query_one("#list-prs", ItemList).rows)


async def test_a_row_dropped_from_the_store_is_never_shown_opened_or_copied_blank(
    stack: DemoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    engine = stack.engine()
    app = stack.app(engine)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(lambda: live(app), "the PR pane, live")
        for _ in range(20):  # a PR with a description (the simulator leaves some empty)
            row = cursor(app)
            whole = app.backend.full_item(row)
            url, body = url_of(whole), body_of(whole)
            if body:
                break
            await pilot.press("j")
        assert url and body
        other = Store.open(store_path(Path(stack.settings.data_dir)))  # another zen-tui
        for section in engine.sections:
            other.remove_items(section.id, [row.id])
        other.close()
        app.copy_to_clipboard("before")
        # The listing again that NotStored asks for is held until the row has been seen not
        # stored: on a loaded machine it would otherwise land between two keys below.
        asked: list[tuple[tuple[object, ...], dict[str, object]]] = []
        list_again = engine.refresh_soon
        monkeypatch.setattr(engine, "refresh_soon", lambda *a, **k: asked.append((a, k)))

        await pilot.press("y")
        assert app.clipboard == "before"  # before: "" copied
        assert f"{row.key} {NOT_STORED}" in status(app)
        await pilot.press("o")
        assert opened == []  # before: "this item has no link"
        await pilot.press("j", "k")  # the preview of the row again
        text = preview_text(app)
        assert NOT_STORED in text and "(no description)" not in text, text
        assert cursor(app).id == row.id
        assert asked, "the row's section was not listed again"
        monkeypatch.setattr(engine, "refresh_soon", list_again)
        for args, kwargs in asked:
            list_again(*args, **kwargs)

        # its section was listed again: stored once more, the preview has its description
        def stored_again() -> bool:
            text = preview_text(app)
            return NOT_STORED not in text and body[:40] in text

        await wait_until(stored_again, "the description, stored again")
        await pilot.press("y")
        assert app.clipboard == url
        await pilot.press("o")
        assert opened == [url]
