"""A bulk transition of 200 Jira issues is one bulk call plus status polls."""

import pytest

from zen_tui.demo import demo_settings
from zen_tui.models import Action, ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.backend import ActionUpdated

from .conftest import engine_for, fast, virtual_waits

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
    engine = engine_for(settings, virtual_waits())
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


async def test_a_bulk_move_sends_the_issues_off_their_workflows_common_list_one_by_one(tmp_path):
    """Jira's transitions lookup lists per workflow only the transitions common to all the
    issues asked. A move of issues in mixed statuses within one workflow (To Do and In Review
    both reach In Progress, by different transitions; In Progress cannot) has none in common:
    those issues go one by one, each by its own transition or refused by name, while a
    workflow whose issues share the move takes one bulk call. Outbox rows in SQLite."""
    with SimulatorServer(seed=7, size=300) as sim:
        jira = sim.world.services["jira"]
        account = sim.account("jira").name
        by: dict[tuple[str, str], list[str]] = {}
        for issue in sorted(jira.issues.values(), key=lambda i: i.id):
            by.setdefault((issue.project, issue.status), []).append(issue.key)
        mixed_in, shared_in = "ZEN", "OPS"
        todo, review, doing = (by[(mixed_in, s)][:2] for s in ("10000", "10001", "3"))
        shared = by[(shared_in, "10001")][:3]
        keys = todo + review + doing + shared
        engine = engine_for(fast(demo_settings(sim.accounts, tmp_path)), virtual_waits())
        progress = []
        engine.bus.subscribe(
            lambda e: progress.append(e.progress) if isinstance(e, ActionUpdated) else None
        )
        sim.reset_counters()
        to = {"to": "In Progress"}
        ids = await engine.submit(
            [Action("transition", f"{account}:{k}", account, to) for k in keys]
        )
        rows = {k: engine.store.outbox_get(i) for k, i in zip(keys, ids, strict=True)}
        await engine.stop()
        calls = [r for r in sim.counters()["requests"] if r["service"] == "jira"]
        moved = {k: jira.issues[k].status for k in keys}

    assert all(rows[k].state is ActionState.DONE for k in todo + review + shared), rows
    assert all(moved[k] == "3" for k in todo + review + shared)
    for key in doing:  # refused by name, not moved, not silently skipped
        assert rows[key].state is ActionState.FAILED
        assert 'no transition to status "In Progress" from "In Progress"' in rows[key].reason
    bulk = [r for r in calls if r["endpoint"].endswith("/bulk/issues/transition")]
    assert sum(r["count"] for r in bulk if r["status"] == 201) == 1, calls  # OPS's three
    own = [
        r for r in calls if r["endpoint"].endswith("/transitions") and "bulk" not in r["endpoint"]
    ]
    assert sum(r["count"] for r in own if r["status"] == 204) == len(todo + review), calls
    assert [p for p in progress if p][-1] == (len(keys), len(keys))
