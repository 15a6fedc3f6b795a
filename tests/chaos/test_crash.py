"""Chaos with crashes: the engine runs in a subprocess under the fault script and is killed
with SIGKILL at random moments, then restarted with the next share of the action stream.
At the end one engine drains the outbox with faults off: every action the killed processes
queued is DONE and applied exactly once, or FAILED with a reason and never applied.

Slow (opt-in: make soak). ZEN_CHAOS_SECONDS sets the total time with faults on (default 60).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import signal
import sys
from collections import Counter

import pytest

from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from ..integration.conftest import REPO_ROOT
from .ledger import applied_counts
from .plan import batches, plan_actions, to_json
from .runner import (
    chaos_seconds,
    chaos_settings,
    drain,
    failed_reasons,
    loop_errors,
    problems,
    run_faults,
    secrets_found,
    until_live,
)

KILLS = 4
ACTIONS_PER_SECOND = 2


def shares(groups: list, n: int) -> list[list]:
    size = -(-len(groups) // n)
    return [groups[i : i + size] for i in range(0, len(groups), size)]


async def run_and_kill(sim, spec_path, rng: random.Random, seconds: float, seed: int) -> None:
    """One worker under the fault script, killed at a random moment of its turn."""
    cmd = [sys.executable, "-m", "tests.chaos.worker", str(spec_path)]
    err = spec_path.with_suffix(".stderr")
    with err.open("wb") as stderr:
        worker = await asyncio.create_subprocess_exec(*cmd, cwd=REPO_ROOT, stderr=stderr)
    faults = asyncio.create_task(run_faults(sim.set_faults, seed, seconds))
    await asyncio.sleep(rng.uniform(0.4, 1.0) * seconds)
    worker.send_signal(signal.SIGKILL)  # no cleanup, no finally blocks
    code = await worker.wait()
    faults.cancel()
    assert code == -signal.SIGKILL, f"worker ended by itself ({code}): {err.read_text()[-2000:]}"


@pytest.mark.slow
@pytest.mark.timeout(0)
async def test_chaos_with_sigkills_exactly_once(tmp_path):
    seed, seconds = 21, chaos_seconds(60.0)
    rng = random.Random(seed)
    data_dir, specs = tmp_path / "data", tmp_path / "specs"  # specs hold tokens: kept apart
    specs.mkdir()
    with SimulatorServer(seed=seed, size=300) as sim:
        settings = chaos_settings(sim.accounts, data_dir)
        engine = SyncEngine(build(settings))
        first = await engine.sync_once()
        await engine.stop()
        items = [i for snap in first.values() for i in snap.items]
        actions = plan_actions(items, sim, seed, int(seconds * ACTIONS_PER_SECOND))
        turns = shares(batches(rng, actions), KILLS + 1)
        accounts = [dataclasses.asdict(a) for a in sim.accounts]
        for n, turn in enumerate(turns):
            spec = specs / f"spec-{n}.json"
            spec.write_text(
                json.dumps(
                    {
                        "accounts": accounts,
                        "data_dir": str(data_dir),
                        "seed": seed + n,
                        "seconds": seconds / len(turns) * 0.6,
                        "batches": [[to_json(a) for a in batch] for batch in turn],
                    }
                )
            )
            await run_and_kill(sim, spec, rng, seconds / len(turns), seed + n)

        sim.clear_faults()
        with loop_errors() as errors:
            engine = SyncEngine(build(settings))
            await engine.start()  # recovers entries left SENDING by a kill
            left = await drain(engine)
            stale = await until_live(engine)
            entries = engine.store.outbox_by_state()
            found = problems(sim, engine.store, applied_counts(sim, entries))
            await engine.stop()
        leaked = secrets_found(data_dir, [a.token for a in sim.accounts])

    worker_errors = data_dir / "loop-errors.txt"
    summary = f"{len(turns)} runs killed, {len(entries)} actions queued, " + str(
        dict(Counter(str(e.state) for e in entries))
    )
    assert entries, summary
    assert not worker_errors.exists(), worker_errors.read_text()
    assert not errors, [c.get("message") for c in errors]
    assert not left, [f"{e.state} {e.action.kind}: {e.reason}" for e in left]
    assert not found, (summary, found)
    assert not stale, stale
    assert not leaked, leaked
    print(summary, failed_reasons(entries))
