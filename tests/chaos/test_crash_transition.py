"""Found by reading the crash path: a Jira transition that reached Jira just before the
process was killed is verified at the next start without its target status (kept only in
the killed process's memory), so it is sent again, refused ("not available" from the new
status) and marked FAILED, though it was applied. It should end DONE (verified).

The kill window (after Jira applied the POST, before DONE is written) is too short to hit
with a signal, so the test leaves the store exactly as such a kill does: the entry SENDING,
its request sent by the real client of a first engine, which is then dropped."""

from __future__ import annotations

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .ledger import applied_counts
from .runner import chaos_settings, drain

TODO = "10000"  # "Start Progress" moves an issue from To Do to In Progress


@pytest.mark.timeout(120)
async def test_transition_applied_as_the_process_died_ends_done(tmp_path):
    with SimulatorServer(seed=4, size=300) as sim:
        settings = chaos_settings(sim.accounts, tmp_path)
        issues = sim.world.services["jira"].issues
        key = sorted(k for k, issue in issues.items() if issue.status == TODO)[0]
        account = sim.account("jira").name
        action = Action("transition", f"{account}:{key}", account, {"transition": "Start Progress"})

        killed = SyncEngine(build(settings))
        [entry] = killed.outbox.queue([action])
        killed.store.outbox_update(entry.id, state=ActionState.SENDING, attempt=True)
        result = await killed.wired.clients[account].apply(
            action, idempotency_key=entry.idempotency_key
        )
        assert result.ok and issues[key].status != TODO  # applied; DONE never written
        await killed.stop()

        engine = SyncEngine(build(settings))
        await engine.start()  # SENDING -> UNKNOWN -> verify before any resend
        await drain(engine, within=60)
        entry = engine.store.outbox_get(entry.id)
        applied = applied_counts(sim, [entry])[entry.id]
        await engine.stop()
    assert applied == 1
    assert entry.state is ActionState.DONE, entry.reason
