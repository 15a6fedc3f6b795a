"""Two `zen-tui sync --once` on one data folder, started together after an outage: each
comment queued during the outage is posted exactly once (the simulator's mutation log shows
every comment it received, with the entry's hidden marker). Seeded rounds vary the number of
comments, the server's latency and which process starts first."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import sys
from pathlib import Path

import pytest

from tests.helpers import seeds
from zen_tui.models import Action, ActionState
from zen_tui.services.markers import html_marker
from zen_tui.simulator.server import SimulatorServer
from zen_tui.wiring import open_store

from .conftest import REPO_ROOT, engine_for


async def queue_during_outage(sim: SimulatorServer, settings, rng: random.Random) -> list[str]:
    """Comments submitted while GitHub answers 503: each stays PENDING in the outbox."""
    github = sim.account("github").name
    refs = [i.ref for i in sim.world.services["github"].state.items]
    engine = engine_for(settings)
    sim.set_faults([{"service": "github", "outage": True}])
    ids: list[str] = []
    for n in range(rng.randint(3, 5)):
        item = f"{github}:{rng.choice(refs)}"
        ids += await engine.submit([Action("comment", item, github, {"body": f"c{n}"})])
    states = {engine.store.outbox_get(i).state for i in ids}
    await engine.stop()
    assert states == {ActionState.PENDING}, states
    return ids


async def start_together(spec: Path, n: int, stagger: list[float]) -> list[int]:
    cmd = [sys.executable, "-m", "tests.integration.replay_worker", str(spec)]
    workers = [
        await asyncio.create_subprocess_exec(
            *cmd, cwd=REPO_ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(n)
    ]
    for worker in workers:  # both have imported everything and wait on stdin
        assert worker.stdout is not None
        assert await asyncio.wait_for(worker.stdout.readline(), 60) == b"ready\n"
    for worker, delay in zip(workers, stagger, strict=True):
        await asyncio.sleep(delay)
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    return [await asyncio.wait_for(w.wait(), 120) for w in workers]


def posted(sim: SimulatorServer, key: str) -> int:
    log = sim.counters()["mutation_log"]
    marker = html_marker(key)
    return sum(1 for m in log if m["kind"] == "comment" and marker in (m.get("body") or ""))


# Two seeded rounds in every suite (it ran four in one loop), the other two with make soak.
@pytest.mark.parametrize("seed", seeds(every_run=range(2), soak=range(2, 4)))
async def test_two_sync_once_processes_post_each_queued_comment_once(
    sim: SimulatorServer, settings, tmp_path: Path, seed: int
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "accounts": [dataclasses.asdict(a) for a in sim.accounts],
                "data_dir": str(settings.data_dir),
                "mode": "sync_once",
            }
        )
    )
    rng = random.Random(seed)
    ids = await queue_during_outage(sim, settings, rng)
    sim.clear_faults()  # recovery; writes are slow enough that the two sends overlap
    latency = rng.choice([30, 80, 150])
    sim.set_faults([{"service": "github", "method": "POST", "latency_ms": latency}])
    stagger = [0.0, rng.choice([0.0, 0.01, 0.05])]
    codes = await start_together(spec, 2, stagger)
    sim.clear_faults()
    assert set(codes) <= {0, 3}, codes

    store = open_store(settings)
    entries = [store.outbox_get(i) for i in ids]
    store.close()
    counts = {e.id: posted(sim, e.idempotency_key) for e in entries}
    assert {e.state for e in entries} == {ActionState.DONE}, f"seed {seed}"
    assert set(counts.values()) == {1}, f"seed {seed}, latency {latency}: {counts}"
