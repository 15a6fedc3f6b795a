"""The dashboard's rows leave each item's URL and each PR's and issue's description in the
store (models.as_row, as the engine publishes them): the preview and whatever acts on an
item read it whole first (Backend.full_item)."""

from __future__ import annotations

import asyncio

from tests.fakes.backend import FakeBackend
from zen_tui.models import (
    Item,
    ItemDetail,
    PullRequest,
    Snapshot,
    as_row,
    body_of,
    is_row,
    url_of,
)
from zen_tui.sync.backend import SectionUpdated
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import make_app, preview_text


class RowsBackend(FakeBackend):
    """Publishes rows, as the engine does; full_item reads the whole item back (its items
    stand for the store). Details never arrive: the preview stays on what it loaded."""

    def __init__(self) -> None:
        super().__init__()
        self.whole_reads: list[str] = []

    def load_local(self) -> dict[str, Snapshot]:
        return {sid: _rows(snap) for sid, snap in super().load_local().items()}

    def _section_event(self, s, snap):  # type: ignore[no-untyped-def]
        return SectionUpdated(
            service=s.service, account=s.account, section_id=s.id, snapshot=_rows(snap)
        )

    def full_item(self, item: Item) -> Item:
        self.whole_reads.append(item.id)
        return next(i for items in self.items.values() for i in items if i.id == item.id)

    async def details(self, item: Item) -> ItemDetail:
        await asyncio.Event().wait()  # loading, for as long as the test looks
        raise AssertionError("unreachable")


def _rows(snapshot: Snapshot) -> Snapshot:
    return Snapshot(tuple(map(as_row, snapshot.items)), snapshot.freshness)


async def test_the_preview_shows_the_description_a_row_left_in_the_store() -> None:
    backend = RowsBackend()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        row = pilot.app.screen.query_one("#list-prs", ItemList).cursor_item
        assert row is not None and is_row(row)
        whole = backend.full_item(row)
        assert body_of(whole)  # the fake PRs have descriptions
        shown = preview_text(pilot.app)
        assert "loading…" in shown and body_of(whole) in shown, shown
        assert "(no description)" not in shown


async def test_y_and_Y_copy_the_url_and_number_a_row_left_in_the_store() -> None:
    backend = RowsBackend()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app = pilot.app
        row = app.screen.query_one("#list-prs", ItemList).cursor_item
        assert isinstance(row, PullRequest) and row.url is None and row.number is None
        whole = backend.full_item(row)
        assert isinstance(whole, PullRequest) and whole.number
        await pilot.press("y")
        assert app.clipboard == url_of(whole) != ""
        await pilot.press("Y")
        assert app.clipboard == str(whole.number)  # gh pr checkout 123
