"""An outage mid-sync leaves stale data with reasons, then recovers."""

import httpx

from tests.helpers import JumpClock
from zen_tui.models import FreshnessState
from zen_tui.sync.backend import SectionUpdated

from .conftest import engine_for

LIVE, CACHED, LOCAL = FreshnessState.LIVE, FreshnessState.CACHED, FreshnessState.LOCAL
# Jira's 503s carry Retry-After: 5, which the gateway honours on every retry; GitHub and Slack
# answer 503, Jira drops the connection, to keep this test fast.
OUTAGE = [
    {"service": "github", "outage": True},
    {"service": "slack", "outage": True},
    {"service": "jira", "outage": True, "outage_mode": "reset"},
]


async def test_outage_degrades_with_reasons_then_recovers(sim, settings):
    control = httpx.AsyncClient(base_url=f"{sim.root_url}/_sim")
    clock = JumpClock()
    engine = engine_for(settings, clock)
    first = await engine.sync_once()
    assert all(s.freshness.state is LIVE for s in first.values())
    await engine.start()  # the pollers run while the outage begins

    (await control.put("/faults", json=OUTAGE)).raise_for_status()
    await engine.refresh()
    for section in engine.sections:
        snap = engine.snapshot(section.id)
        assert snap.freshness.state in (CACHED, LOCAL), section.id
        assert snap.items == first[section.id].items  # the last good data stays on screen
        assert snap.freshness.reason, section.id
    reasons = {engine.snapshot(s.id).freshness.reason for s in engine.sections}
    assert any("server error 503" in r or "breaker open" in r or "offline" in r for r in reasons)

    # a fresh process during the outage paints from the store, then says why it is not live
    other = engine_for(settings)
    assert all(s.freshness.state is LOCAL for s in other.load_local().values())
    await other.refresh()
    for section in other.sections:  # the gateway's stale copy (persisted) or the store
        snap = other.snapshot(section.id)
        assert snap.freshness.state in (CACHED, LOCAL), (section.id, snap.freshness)
        assert snap.freshness.reason and snap.items == first[section.id].items
    await other.stop()

    (await control.delete("/faults")).raise_for_status()
    updates: list[SectionUpdated] = []
    engine.bus.subscribe(lambda e: updates.append(e) if isinstance(e, SectionUpdated) else None)
    clock.jump(0.6)  # past the breakers' (test) timeout: half-open probes are allowed
    for _ in range(3):  # half-open admits a few probes; a couple of rounds close it
        await engine.refresh()
        if all(engine.snapshot(s.id).freshness.state is LIVE for s in engine.sections):
            break
    assert all(engine.snapshot(s.id).freshness.state is LIVE for s in engine.sections)
    assert all(engine.snapshot(s.id).freshness.reason is None for s in engine.sections)
    assert {u.section_id for u in updates} == {s.id for s in engine.sections}  # UI was told
    await engine.stop()
    await control.aclose()
