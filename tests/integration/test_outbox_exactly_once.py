"""100 actions queued during an outage are each applied exactly once after recovery,
also when the replaying process is killed with SIGKILL in the middle.

70 go to GitHub (comments, not idempotent, each with a hidden marker the mutation log shows;
and unique labels), 30 are Jira comments, one per issue. GitHub's share stays under its 80
writes/min secondary limit, which the gateway enforces (100 GitHub writes would need a minute).
"""

import asyncio
import dataclasses
import json
import signal
import sys
import time

from zen_tui.models import Action, ActionState
from zen_tui.services.markers import html_marker
from zen_tui.store import Store
from zen_tui.wiring import open_store

from .conftest import REPO_ROOT, engine_for

N = 100
N_JIRA = 30
KINDS = ("comment", "label_added")


def plan(snapshots, engine, sim) -> list[Action]:
    github = [i for s in engine.sections if s.service == "github" for i in snapshots[s.id].items]
    assert github, "no GitHub items to comment on"
    jira_account = next(s.account for s in engine.sections if s.service == "jira")
    jira_keys = sorted(sim.world.services["jira"].issues)[:N_JIRA]
    actions = []
    for n in range(N - N_JIRA):
        item = github[n % len(github)]
        if n % 2:
            actions.append(Action("add_label", item.id, item.account, {"label": f"zen-{n}"}))
        else:
            actions.append(Action("comment", item.id, item.account, {"body": f"note {n}"}))
    for key in jira_keys:
        actions.append(Action("comment", f"{jira_account}:{key}", jira_account, {"body": "hi"}))
    return actions


async def queue_during_outage(sim, settings) -> list[str]:
    engine = engine_for(settings)
    snapshots = await engine.sync_once()
    actions = plan(snapshots, engine, sim)
    # GitHub answers 503 (not applied: pending); Jira drops connections, so the first Jira
    # action's outcome is unknown and gets verified before any resend
    sim.set_faults(
        [
            {"service": "github", "outage": True},
            {"service": "jira", "outage": True, "outage_mode": "reset"},
        ]
    )
    ids = []
    for action in actions:
        ids += await engine.submit([action])
    states = {engine.store.outbox_get(i).state for i in ids}
    assert states <= {ActionState.PENDING, ActionState.UNKNOWN}, states
    await engine.stop()
    return ids


def applied_once(sim, store: Store, ids: list[str]) -> dict[str, int]:
    """How often each action landed, from the simulator's mutation log."""
    log = sim.counters()["mutation_log"]
    comments = [m.get("body") or "" for m in log if m["kind"] == "comment"]
    labels = [m.get("label") for m in log if m["kind"] == "label_added"]
    jira = [m["key"] for m in log if m["service"] == "jira" and m["kind"] == "comment"]
    counts = {}
    for entry_id in ids:
        entry = store.outbox_get(entry_id)
        if entry.action.account == sim.account("jira").name:
            counts[entry_id] = jira.count(entry.action.item_id.split(":", 1)[1])
        elif entry.action.kind == "comment":
            marker = html_marker(entry.idempotency_key)
            counts[entry_id] = sum(1 for body in comments if marker in body)
        else:
            counts[entry_id] = labels.count(entry.action.params["label"])
    return counts


def landed(sim) -> int:
    return sum(1 for m in sim.counters()["mutation_log"] if m["kind"] in KINDS)


async def test_queued_during_outage_applied_exactly_once_after_recovery(sim, settings):
    ids = await queue_during_outage(sim, settings)
    sim.clear_faults()
    engine = engine_for(settings)  # a new engine: its breakers start closed, nothing to wait out
    for _ in range(5):  # the first replay may meet a half-open breaker
        await engine.outbox.replay()
        if all(engine.store.outbox_get(i).state is ActionState.DONE for i in ids):
            break
        await asyncio.sleep(0.3)
    counts = applied_once(sim, engine.store, ids)
    states = {engine.store.outbox_get(i).state for i in ids}
    await engine.stop()
    assert states == {ActionState.DONE}
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}


async def test_sigkill_mid_replay_still_exactly_once(sim, settings, tmp_path):
    ids = await queue_during_outage(sim, settings)
    sim.clear_faults()
    # slow writes down so the kill lands in the middle of the replay, often mid-request
    sim.set_faults([{"service": "github", "method": "POST", "latency_ms": 25}])
    # the replaying worker is a new process: its breakers start closed, nothing to wait out
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "accounts": [dataclasses.asdict(a) for a in sim.accounts],
                "data_dir": str(settings.data_dir),
            }
        )
    )
    cmd = [sys.executable, "-m", "tests.integration.replay_worker", str(spec)]
    worker = await asyncio.create_subprocess_exec(*cmd, cwd=REPO_ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and worker.returncode is None:
        if landed(sim) >= N // 3:
            break
        await asyncio.sleep(0.01)
    worker.send_signal(signal.SIGKILL)  # no cleanup, no finally blocks
    assert await worker.wait() == -signal.SIGKILL, "the replay finished before the kill"
    assert 0 < landed(sim) < N

    finish = await asyncio.create_subprocess_exec(*cmd, cwd=REPO_ROOT)
    assert await asyncio.wait_for(finish.wait(), 60) == 0
    store = open_store(settings)
    states = {store.outbox_get(i).state for i in ids}
    counts = applied_once(sim, store, ids)
    store.close()
    assert states == {ActionState.DONE}, states
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
