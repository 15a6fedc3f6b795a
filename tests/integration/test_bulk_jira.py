"""A bulk transition of 200 Jira issues is one bulk call plus status polls."""

import pytest

from zen_tui.demo import demo_settings
from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.backend import ActionUpdated

from .conftest import engine_for, fast

DONE_FROM = {"3", "10001"}  # the simulator's workflow: "Done" from In Progress / In Review


@pytest.fixture
def big_sim():
    with SimulatorServer(seed=7, size=1400) as server:  # 420 Jira issues
        yield server


async def test_bulk_transition_of_200_jira_issues(big_sim, tmp_path):
    settings = fast(demo_settings(big_sim.accounts, tmp_path))
    jira = big_sim.world.services["jira"]
    account = big_sim.account("jira").name
    keys = sorted(k for k, issue in jira.issues.items() if issue.status in DONE_FROM)[:200]
    assert len(keys) == 200
    engine = engine_for(settings)
    progress = []
    engine.bus.subscribe(
        lambda e: (
            progress.append(e.progress) if isinstance(e, ActionUpdated) and e.progress else None
        )
    )
    big_sim.reset_counters()
    actions = [
        Action("transition", f"{account}:{k}", account, {"transition": "Done"}) for k in keys
    ]
    ids = await engine.submit(actions)
    states = {engine.store.outbox_get(i).state for i in ids}
    reasons = {engine.store.outbox_get(i).reason for i in ids}
    await engine.stop()

    assert states == {ActionState.DONE}, (reasons, big_sim.counters()["requests"])
    assert all(jira.issues[k].status == "10002" for k in keys)
    calls = [r for r in big_sim.counters()["requests"] if r["service"] == "jira"]
    posts = [r for r in calls if "bulk/issues/transition" in r["endpoint"]]  # POST + 1 lookup GET
    polls = [r for r in calls if "bulk/queue" in r["endpoint"]]
    others = [r for r in calls if "bulk" not in r["endpoint"]]
    assert sum(r["count"] for r in posts if r["status"] == 201) == 1, calls  # the one bulk call
    assert sum(r["count"] for r in posts) == 2, calls  # + GET available transitions
    assert sum(r["count"] for r in polls) >= 1, calls
    assert not others, f"per-issue calls made: {others}"
    assert [p for p in progress if p][-1] == (200, 200)
