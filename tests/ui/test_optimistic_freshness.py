"""A landed action's optimistic look never goes back to the state from before it: a snapshot
fetched before the action landed (a poll already in flight) keeps the look; the first one
fetched after it shows the server's state."""

from __future__ import annotations

from msgspec.structs import replace

from tests.fakes.backend import FakeBackend
from zen_tui.models import ActionState, Freshness, FreshnessState, Snapshot
from zen_tui.sync.backend import SectionUpdated
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import make_app

SECTION = "prs:0:gh"


def snapshot_event(backend: FakeBackend, items: tuple, fetched_at: float) -> SectionUpdated:
    section = next(s for s in backend.sections if s.id == SECTION)
    return SectionUpdated(
        service=section.service,
        account=section.account,
        section_id=SECTION,
        snapshot=Snapshot(items, Freshness(FreshnessState.LIVE, fetched_at)),
        at=fetched_at,
    )


async def test_a_snapshot_from_before_the_action_landed_keeps_the_optimistic_look() -> None:
    backend = FakeBackend(auto_complete=False)
    async with make_app(backend).run_test() as pilot:
        await pilot.pause()
        items = pilot.app.screen.query_one("#list-prs", ItemList)
        target = items.rows[0]
        await pilot.press("l", *"triaged", "enter")
        await pilot.pause()
        backend.now += 5
        backend.complete("a1", backend.submitted[0][0])  # landed at now
        await pilot.pause()
        assert items.row_states[target.id].state == ActionState.DONE
        before = backend.items[SECTION]  # what a poll begun before the action still lists
        backend.publish(snapshot_event(backend, before, backend.now - 1))
        await pilot.pause()
        assert "triaged" in items.shown(target).labels  # not back to the old labels

        server = replace(target, labels=(*target.labels, "triaged"), title="server's copy")
        after = (server, *before[1:])
        backend.publish(snapshot_event(backend, after, backend.now + 1))
        await pilot.pause()
        shown = items.shown(items.rows[0])
        assert shown.title == "server's copy" and "triaged" in shown.labels
