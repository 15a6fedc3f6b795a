"""Found by the chaos run: a bulk selection submitted while an earlier one is still being
sent must be sent too (it was left claimed in the bulk buffer, pending forever)."""

from __future__ import annotations

import asyncio

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .runner import chaos_settings, drain


@pytest.mark.timeout(300)
async def test_selection_submitted_while_another_is_sent_is_sent(tmp_path):
    with SimulatorServer(seed=5, size=300) as sim:
        engine = SyncEngine(build(chaos_settings(sim.accounts, tmp_path)))
        first = await engine.sync_once()
        prs = [i for s in first.values() for i in s.items if i.service == "github"][:3]
        await engine.start()
        done = asyncio.Event()
        engine.bus.subscribe(
            lambda e: (
                done.set() if isinstance(e, ActionUpdated) and e.state is ActionState.DONE else None
            )
        )
        # comments are paced (GitHub's 80/min secondary limit): this selection takes seconds
        await engine.submit([Action("comment", i.id, i.account, {"body": "a"}) for i in prs])
        await asyncio.wait_for(done.wait(), 60)  # the first of them is sent: the rest are not
        labels = [
            Action("add_label", i.id, i.account, {"label": f"b-{n}"}) for n, i in enumerate(prs)
        ]
        second = await engine.submit(labels)
        left = await drain(engine, within=60)
        states = [engine.store.outbox_get(i).state for i in second]
        await engine.stop()
    assert not left, [(e.action.kind, e.state) for e in left]
    assert states == [ActionState.DONE] * len(second)
