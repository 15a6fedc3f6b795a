"""Found by the crash run: a Jira comment whose answer was lost (applied, outcome unknown)
is verified before any resend; when that check itself gets a garbled answer, the client
reports "cannot tell" and the outbox, seeing no failed call (the answer was a 200), marks the
entry FAILED ("outcome unknown, check manually") though it was applied. A garbled answer is
a failed check: the entry should stay unknown and be checked again, ending DONE."""

from __future__ import annotations

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .ledger import applied_counts
from .runner import chaos_settings


@pytest.mark.timeout(120)
async def test_garbled_check_of_an_applied_comment_does_not_fail_it(tmp_path):
    with SimulatorServer(seed=6, size=300) as sim:
        engine = SyncEngine(build(chaos_settings(sim.accounts, tmp_path)))
        account = sim.account("jira").name
        key = sorted(sim.world.services["jira"].issues)[0]
        action = Action("comment", f"{account}:{key}", account, {"body": "hi"})
        # applied, but the answer is cut short: outcome unknown
        sim.set_faults([{"service": "jira", "method": "POST", "truncated_rate": 1.0}])
        [entry_id] = await engine.submit([action])
        assert engine.store.outbox_get(entry_id).state is ActionState.UNKNOWN
        sim.set_faults([{"service": "jira", "method": "GET", "malformed_rate": 1.0}])
        await engine.outbox.replay()  # the check before a resend gets a garbled answer
        sim.clear_faults()
        await engine.outbox.replay()
        entry = engine.store.outbox_get(entry_id)
        applied = applied_counts(sim, [entry])[entry_id]
        await engine.stop()
    assert applied == 1
    assert entry.state is ActionState.DONE, entry.reason
