"""A full disk and the dashboard's rows (models.as_row): a row leaves its URL, description and
number in the store, read back by full_item. When the store cannot take a listing (SQLite
refuses with SQLITE_FULL, as tests/unit/cli/test_disk_full.py makes it), the section is still
shown from memory: its rows must keep what the store could not, or `o` opens "", `y` copies
"" and the preview says "(no description)" for every item that came since the disk filled."""

from __future__ import annotations

from tests.fakes import full_disk
from tests.helpers import eventually
from tests.integration.helpers import running
from zen_tui.config import Settings
from zen_tui.models import Issue, Message, PullRequest, body_of, url_of
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import notices

from .conftest import engine_for


async def test_rows_shown_while_the_disk_is_full_are_whole_when_acted_on(
    sim: SimulatorServer, settings: Settings
) -> None:
    engine = engine_for(settings)
    stores = {id(engine.rows.of(a.name)): engine.rows.of(a.name) for a in engine.accounts}
    for store in stores.values():  # full before the first listing: none of it is stored
        db = store._connection()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
    async with running(engine):

        def shown() -> list[PullRequest | Issue | Message]:
            return [i for s in engine.sections for i in engine._shown(s.id)]

        await eventually(lambda: len(shown()) > 0 and notices.disk_full_seen())
        items = shown()
        with full_disk.on_disk(engine.store) as written:
            assert not any(written.find_item(i.id) for i in items)  # nothing was stored
        for item in items:
            whole = engine.full_item(item)
            assert url_of(whole).startswith("http"), item.id  # before: "" (nothing stored)
            if isinstance(whole, PullRequest):
                assert whole.number and item.key.endswith(f"#{whole.number}")
        bodies = [body_of(engine.full_item(i)) for i in items if not isinstance(i, Message)]
        assert any(bodies)  # the simulator's descriptions, not all left blank
