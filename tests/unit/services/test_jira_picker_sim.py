"""What the move-by-status picker costs for a mixed selection, against the simulator: Jira's
GET /bulk/issues/transition lists per workflow only the transitions common to all the issues
asked in it, so issues in different statuses used to be asked one by one (a request per
issue); asked once per status the rows show, a workflow's entry is each of its issues' own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.simulator.jira.model import STATUSES
from zen_tui.simulator.jira.service import JiraSim

from .conftest import jira_on_one_clock

PROJECTS = ("ZEN", "OPS", "API")  # three workflows (each project runs its own copy)


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """A simulator of its own with 180 Jira issues (the module-wide one has 36)."""
    from zen_tui.simulator.server import SimulatorServer

    with SimulatorServer(seed=7, size=600) as server:
        yield server


def mixed(jira: JiraSim) -> list[str]:
    """120 issues, 40 in each of three workflows, in all four statuses of each."""
    keys = [
        k
        for p in PROJECTS
        for k in sorted((k for k, i in jira.issues.items() if i.project == p), key=len)[:40]
    ]
    assert len(keys) == 120
    assert {(jira.issues[k].project, jira.issues[k].status) for k in keys} == {
        (p, s) for p in PROJECTS for s in STATUSES
    }
    return keys


def requests(sim: Any) -> dict[str, int]:
    """Requests the simulator received so far, per endpoint."""
    seen: dict[str, int] = {}
    for r in sim.counters()["requests"]:
        seen[r["endpoint"]] = seen.get(r["endpoint"], 0) + r["count"]
    return seen


async def test_a_mixed_selection_costs_a_lookup_per_status_not_a_request_per_issue(
    sim: Any,
) -> None:
    jira: JiraSim = sim.world.services["jira"]
    keys = mixed(jira)
    own = {k: {t.id for t in jira.issues[k].transitions(screenless=True)} for k in keys}
    shown = {k: STATUSES[jira.issues[k].status][0] for k in keys}

    async with jira_on_one_clock(sim) as client:
        sim.reset_counters()  # as before: the lookup knows no status, each issue is asked
        before = await client.available_moves(keys)
        assert sum(requests(sim).values()) == 121

        sim.reset_counters()
        after = await client.available_moves(keys, shown)
        sent = requests(sim)
        # a lookup per status (4); and, for the six workflows' entries (In Progress and In
        # Review, in three workflows) saying a transition was left out (Resolve, Defer: they
        # need a field), one of their issues asked whether it stands for the others
        assert sent == {
            "/rest/api/3/bulk/issues/transition": 4,
            "/rest/api/3/issue/{key}/transitions": 6,
        }
        assert not after.note and not before.note
        for moves in (before, after):
            assert {k: {m[0] for m in v} for k, v in moves.by_key.items()} == own
        assert after.by_key == before.by_key
