"""The engine as the dashboard drives it: start(), pollers, focus, pause, actions, stop()."""

from tests.helpers import eventually
from zen_tui.models import Action, ActionState, FreshnessState
from zen_tui.sync.backend import ActionUpdated, PollerChanged, SectionUpdated

from .conftest import engine_for


async def test_started_engine_polls_every_section_and_applies_actions(sim, settings):
    engine = engine_for(settings)
    events = []
    engine.bus.subscribe(events.append)
    first = engine.load_local()
    assert all(s.freshness.state is FreshnessState.EMPTY for s in first.values())
    await engine.start()
    ids = {s.id for s in engine.sections}

    def live():
        return {
            e.section_id
            for e in events
            if isinstance(e, SectionUpdated) and e.snapshot.freshness.state is FreshnessState.LIVE
        }

    await eventually(lambda: live() == ids)
    pollers = [e for e in events if isinstance(e, PollerChanged)]
    assert {e.section_id for e in pollers} == ids
    assert all(e.interval >= settings.polling.min_interval for e in pollers)

    focused = engine.sections[0].id
    engine.set_focus(focused)
    assert engine.pollers[focused].wait_for < engine.pollers[engine.sections[1].id].wait_for
    engine.set_paused(True)
    assert all(p.paused for p in engine.pollers.values())
    engine.set_paused(False)

    pr = next(i for s in engine.sections if s.pane == "prs" for i in engine.snapshot(s.id).items)
    [action_id] = await engine.submit([Action("add_label", pr.id, pr.account, {"label": "x1"})])

    def state():
        done = [e for e in events if isinstance(e, ActionUpdated) and e.action_id == action_id]
        return done[-1].state if done else None

    await eventually(lambda: state() is ActionState.DONE)
    health = {h.account: h for h in engine.health()}
    assert health[pr.account].outbox_pending == 0 and health[pr.account].breaker == "closed"
    await engine.stop()
    await engine.stop()  # idempotent
