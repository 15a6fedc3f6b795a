"""A bulk move's transitions lookup read to its last page, against the simulator: Jira's
GET /bulk/issues/transition delivers its workflows (one per project here) a page at a time, by
cursor; a client that read only the first page would find no transition for the issues of the
later pages and refuse to move them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.models import Action
from zen_tui.simulator.jira.service import JiraSim

from .conftest import jira_on_one_clock

# Where each status's issues are sent: one transition per status, all needing no field.
TARGET = {"10000": "In Progress", "3": "Done", "10001": "Done", "10002": "To Do"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """A simulator of its own with 90 Jira issues (the module-wide one has 36)."""
    from zen_tui.simulator.server import SimulatorServer

    with SimulatorServer(seed=7, size=300) as server:
        yield server


def lookups(sim: Any) -> int:
    """Calls to /bulk/issues/transition so far (only the lookup GETs before any move)."""
    return sum(
        r["count"]
        for r in sim.counters()["requests"]
        if r["endpoint"].endswith("/bulk/issues/transition")
    )


async def test_a_bulk_move_of_60_issues_reads_every_page_of_the_lookup(
    sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("zen_tui.simulator.jira.bulk.TRANSITION_GROUPS_PAGE", 1)
    jira: JiraSim = sim.world.services["jira"]
    account = sim.account("jira").name
    keys = sorted(jira.issues, key=lambda k: jira.issues[k].id)[:60]
    before = {k: jira.issues[k].status for k in keys}
    assert set(before.values()) == set(TARGET)
    assert len({jira.issues[k].project for k in keys}) == 4  # four workflows: four pages of one
    async with jira_on_one_clock(sim) as client:
        sim.reset_counters()

        moves = (await client.available_moves(keys)).by_key
        assert lookups(sim) == 4
        assert {k: {m[0] for m in v} for k, v in moves.items()} == {
            k: {t.id for t in jira.issues[k].transitions(screenless=True)} for k in keys
        }

        actions = [
            Action("transition", f"{account}:{k}", account, {"to": TARGET[before[k]]}) for k in keys
        ]
        results = await client.bulk_apply(actions, [f"p{n}" for n in range(60)], lambda *_: None)
        assert all(r.ok for r in results), [r.message for r in results if not r.ok]
        moved = {k: jira.issues[k].status for k in keys}
        names = {"10000": "To Do", "3": "In Progress", "10001": "In Review", "10002": "Done"}
        assert all(names[moved[k]] == TARGET[before[k]] for k in keys)
