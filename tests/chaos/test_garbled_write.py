"""Found by the chaos run: a write answered 200 with a body that is not JSON (a proxy's
error page, a cut connection) was not applied by the server, yet the client reported it
done. Such an answer says nothing about the outcome: the entry must end applied once
(verified, then sent again) or not be DONE."""

from __future__ import annotations

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .ledger import applied_counts
from .runner import chaos_settings, drain

KINDS = [
    ("github", "comment", {"body": "hi"}),
    ("github", "add_label", {"label": "garbled"}),
    ("jira", "comment", {"body": "hi"}),
    ("jira", "transition", {"transition": "Start Progress"}),
    ("slack", "reply", {"text": "hi"}),
    ("slack", "react", {"name": "garbled"}),
]


def _target(first, sim, service: str, kind: str):
    items = [i for s in first.values() for i in s.items if i.service == service]
    if kind == "transition":  # an issue "Start Progress" applies to (To Do)
        issues = sim.world.services["jira"].issues
        items = [i for i in items if issues[i.id.split(":", 1)[1]].status == "10000"]
    return items[0]


@pytest.mark.timeout(200)
@pytest.mark.parametrize(("service", "kind", "params"), KINDS)
async def test_garbled_answer_to_a_write_is_not_done_unapplied(service, kind, params, tmp_path):
    with SimulatorServer(seed=3, size=300) as sim:
        engine = SyncEngine(build(chaos_settings(sim.accounts, tmp_path)))
        first = await engine.sync_once()
        item = _target(first, sim, service, kind)
        sim.set_faults([{"service": service, "method": "POST", "malformed_rate": 1.0}])
        [entry_id] = await engine.submit([Action(kind, item.id, item.account, params)])
        sim.clear_faults()
        await engine.start()
        await drain(engine, within=60)
        entry = engine.store.outbox_get(entry_id)
        applied = applied_counts(sim, [entry])[entry_id]
        await engine.stop()
    if entry.state is ActionState.DONE:
        assert applied == 1, f"DONE ({entry.reason}) but applied {applied} times"
    else:
        assert (entry.state, applied) == (ActionState.FAILED, 0), (entry.state, entry.reason)
