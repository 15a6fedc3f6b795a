"""An action that `zen-tui act` (its own process) could not send is sent by the dashboard or
`zen-tui sync` already running on the same data folder once the service is back, without a
restart: the running outbox looks in the store for entries it was not told about. Before,
only its own submits, breakers and retries woke it, so the entry waited for the next start."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path

from tests.helpers import eventually
from tests.integration.helpers import running
from zen_tui.models import ActionState, FreshnessState
from zen_tui.simulator.server import SimulatorServer

from .conftest import REPO_ROOT, engine_for


async def act_in_its_own_process(sim: SimulatorServer, data_dir: Path, item: str) -> int:
    spec = data_dir / "act.json"
    spec.write_text(
        json.dumps(
            {
                "accounts": [dataclasses.asdict(a) for a in sim.accounts],
                "data_dir": str(data_dir),
                "mode": "act",
                "kind": "add_label",
                "item": item,
                "params": [["label", "left-by-act"]],
            }
        )
    )
    cmd = [sys.executable, "-m", "tests.integration.replay_worker", str(spec)]
    worker = await asyncio.create_subprocess_exec(*cmd, cwd=REPO_ROOT)
    return await asyncio.wait_for(worker.wait(), 120)


async def test_a_running_sync_sends_what_act_left_pending_once_the_service_is_back(
    sim: SimulatorServer, settings, tmp_path: Path
) -> None:
    engine = engine_for(settings)
    engine.store_check = 0.2  # 30 s in use; the test need not wait that long
    async with running(engine):
        await eventually(
            lambda: all(
                (s := engine.snapshot(section.id)) is not None
                and s.freshness.state is FreshnessState.LIVE
                for section in engine.sections
            ),
            "every section's first poll",
        )
        engine.set_paused(True)  # no poll meets the outage: this process's breaker stays shut
        prs = next(s for s in engine.sections if s.pane == "prs")
        pr = engine.snapshot(prs.id).items[0]

        sim.set_faults([{"service": "github", "outage": True}])
        assert await act_in_its_own_process(sim, settings.data_dir, pr.id) == 3  # left pending
        [entry] = engine.store.outbox_by_state(*ActionState)  # (this outbox may be on it)
        assert entry.action.item_id == pr.id and entry.state is not ActionState.DONE
        sim.set_faults([])

        await eventually(
            lambda: (
                (e := engine.store.outbox_get(entry.id)) is not None and e.state is ActionState.DONE
            ),
            "the running outbox to send the entry act left",
        )
        assert sim.counters()["mutations"].get("github:label_added") == 1  # once
