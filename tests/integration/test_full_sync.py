from zen_tui.models import FreshnessState
from zen_tui.sync.backend import SectionUpdated

from .conftest import engine_for


async def test_full_sync_fills_every_pane_live_and_persists(settings):
    engine = engine_for(settings)
    updates = []
    engine.bus.subscribe(lambda e: updates.append(e) if isinstance(e, SectionUpdated) else None)
    panes = {s.pane for s in engine.sections}
    assert panes == {"prs", "issues", "messages"}
    snapshots = await engine.sync_once()
    await engine.stop()
    for section in engine.sections:
        snap = snapshots[section.id]
        assert snap.freshness.state is FreshnessState.LIVE, (section.id, snap.freshness.reason)
        assert all(item.account == section.account for item in snap.items)
    assert all(snapshots[s.id].items for s in engine.sections if s.pane == "prs")
    assert {u.section_id for u in updates} == {s.id for s in engine.sections}

    again = engine_for(settings)  # a new process: the store alone paints the first screen
    local = again.load_local()
    for section in again.sections:
        assert local[section.id].freshness.state in (FreshnessState.LOCAL, FreshnessState.EMPTY)
        assert local[section.id].items == snapshots[section.id].items
    await again.stop()
