"""Chaos: the real SyncEngine polls every section and sends a stream of triage actions while
a seeded fault script changes every service's fault every 1-2 s. After the faults clear and
the outbox drains: nothing crashed, every action is DONE (applied exactly once) or FAILED
with a reason (never applied), every section is live again, and no token was written down.

ZEN_CHAOS_SECONDS sets how long faults are on (short run: 12 s; soak: 300 s per seed).
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter

import pytest

from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .ledger import applied_counts
from .plan import batches, plan_actions
from .runner import (
    DRAIN_TIMEOUT,
    LIVE_TIMEOUT,
    STOP_TIMEOUT,
    chaos_seconds,
    chaos_settings,
    drain,
    engine_tasks_alive,
    failed_reasons,
    log_file,
    loop_errors,
    problems,
    run_faults,
    secrets_found,
    submit_stream,
    until_live,
    within,
)

ACTIONS_PER_SECOND = 3


async def chaos_run(seed: int, seconds: float, tmp_path) -> None:
    with SimulatorServer(seed=seed, size=300) as sim:
        settings = chaos_settings(sim.accounts, tmp_path)
        with log_file(tmp_path) as log_path, loop_errors() as errors:
            engine = SyncEngine(build(settings))
            first = await engine.sync_once()
            items = [i for snap in first.values() for i in snap.items]
            actions = plan_actions(items, sim, seed, int(seconds * ACTIONS_PER_SECOND))
            await engine.start()
            faults = run_faults(sim.set_faults, seed, seconds)
            stream = submit_stream(engine, batches(random.Random(seed), actions), seed, seconds)
            steps, ids = await asyncio.gather(faults, stream)
            dead = engine_tasks_alive(engine)

            sim.clear_faults()
            left = await within(drain(engine), DRAIN_TIMEOUT + 60, "the drain")
            stale = await within(until_live(engine), LIVE_TIMEOUT + 60, "until_live")
            dead |= engine_tasks_alive(engine)
            entries = engine.store.outbox_by_state()
            requests = sim.counters()["requests"]
            counts = applied_counts(sim, entries)
            found = problems(sim, engine.store, counts)
            await within(engine.stop(), STOP_TIMEOUT, "engine.stop()")
            gc.collect()  # "Task exception was never retrieved" is reported on collection
        leaked = secrets_found(tmp_path, [a.token for a in sim.accounts])

    states = Counter(str(e.state) for e in entries)
    faulted = sum(r["count"] for r in requests if r["status"] == 429 or r["status"] >= 500)
    summary = (
        f"seed {seed}: {steps} fault steps, {faulted} 429/5xx answers, "
        f"{len(ids)} actions, {dict(states)}"
    )
    assert faulted, f"no fault reached the engine: the run proves nothing ({summary})"
    assert len(ids) == len(actions) == len(entries), summary
    assert not errors, [c.get("message") or repr(c.get("exception")) for c in errors]
    assert not dead, f"engine tasks ended: {dead}"
    assert not left, [f"{e.state} {e.action.kind}: {e.reason}" for e in left]
    assert not found, (summary, found)
    assert not stale, stale
    assert log_path.stat().st_size > 0, "nothing logged: the secret check would prove nothing"
    assert not leaked, leaked
    print(summary, failed_reasons(entries))


# In CI (`make test`). It was opt-in for a while: in about one loaded run in five it hung (the
# GitHub and Jira polls stopped, the test never ended). Not reproduced since, in over a hundred
# loaded runs on one and two workers; two ways engine.stop() could wait forever were found and
# fixed meanwhile (pinned in tests/unit/sync). Each phase is bounded by `within`, so a hang
# fails and names where every task waits.
@pytest.mark.timeout(400)
async def test_chaos_short(tmp_path):
    await chaos_run(seed=11, seconds=chaos_seconds(12.0), tmp_path=tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(0)
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_chaos_soak(seed, tmp_path):
    await chaos_run(seed=seed, seconds=chaos_seconds(300.0), tmp_path=tmp_path)
