"""A Jira section whose JQL names a user Jira does not know says so, against the real
simulator over a socket.

/search/jql answers `assignee = "bobb"` with 200 and no issues (it has no warnings field), so
the section was silently empty. The client now asks POST /jql/parse (validation=warn) when,
and only when, a full listing comes back empty, once per query per login, and the section's
reason is Jira's warning. A valid query that matches nothing asks once and says nothing more;
a section with issues never asks.
"""

from __future__ import annotations

import httpx
import pytest
from msgspec.structs import replace

from zen_tui.config import SectionConfig, Settings
from zen_tui.models import FreshnessState
from zen_tui.simulator.server import SimulatorServer

from .conftest import engine_for

PARSE = "/rest/api/3/jql/parse"
BOBB = "no issues; Jira says: The value 'bobb' does not exist for the field 'assignee'."


def only_jira(settings: Settings, sim: SimulatorServer, *jql: str) -> Settings:
    """The settings with one Jira section per query, titled by its query, and nothing else."""
    account = sim.account("jira").name
    sections = [SectionConfig("issues", q, account, jql=q) for q in jql]
    return replace(settings, sections=sections)


def parse_calls(sim: SimulatorServer) -> int:
    requests = sim.counters()["requests"]
    return sum(r["count"] for r in requests if r["endpoint"] == PARSE)


async def test_an_unknown_user_shows_jiras_warning_asked_once(
    sim: SimulatorServer, settings: Settings
) -> None:
    engine = engine_for(only_jira(settings, sim, 'assignee = "bobb" ORDER BY updated DESC'))
    [section] = engine.sections
    sim.reset_counters()
    for _poll in range(3):
        await engine.refresh(section.id)
        shown = engine.snapshot(section.id)
        assert shown is not None and shown.items == ()
        assert shown.freshness.state is FreshnessState.LIVE
        assert shown.freshness.reason == BOBB
    assert parse_calls(sim) == 1  # the verdict is cached for the login
    await engine.stop()


async def test_a_valid_empty_query_asks_once_and_says_nothing_more(
    sim: SimulatorServer, settings: Settings
) -> None:
    jql = 'project = ZEN AND summary ~ "qqzzxx" ORDER BY updated DESC'
    engine = engine_for(only_jira(settings, sim, jql))
    [section] = engine.sections
    async with httpx.AsyncClient() as control:  # what the client is answered: its tree
        jira = sim.account("jira")
        r = await control.post(
            f"{jira.base_url}{PARSE}",
            params={"validation": "warn"},
            json={"queries": [jql]},
            auth=(jira.username or "", jira.token),
        )
    assert r.status_code == 200 and set(r.json()["queries"][0]) == {"query", "structure"}
    sim.reset_counters()
    for _poll in range(3):
        await engine.refresh(section.id)
        shown = engine.snapshot(section.id)
        assert shown is not None and shown.items == ()
        assert shown.freshness.state is FreshnessState.LIVE and shown.freshness.reason is None
    assert parse_calls(sim) == 1
    await engine.stop()


async def test_a_section_with_issues_never_asks(sim: SimulatorServer, settings: Settings) -> None:
    engine = engine_for(only_jira(settings, sim, "project = ZEN ORDER BY updated DESC"))
    [section] = engine.sections
    sim.reset_counters()
    for _poll in range(3):  # the first lists in full; the next are deltas finding nothing new
        await engine.refresh(section.id)
        shown = engine.snapshot(section.id)
        assert shown is not None and shown.items and shown.freshness.reason is None
    assert parse_calls(sim) == 0
    await engine.stop()


@pytest.mark.parametrize("status", [500, 404])
async def test_a_failed_ask_leaves_the_section_empty_not_failed(
    sim: SimulatorServer, settings: Settings, status: int
) -> None:
    """The simulator's fault injection makes /jql/parse fail (a server error, retried and
    tripping the breaker; a refusal): no error, no reason."""
    await fail_parse(sim, status)
    engine = engine_for(only_jira(settings, sim, 'assignee = "bobb"'))
    [section] = engine.sections
    await engine.refresh(section.id)
    shown = engine.snapshot(section.id)
    assert shown is not None and shown.items == ()
    assert shown.freshness.state is FreshnessState.LIVE and shown.freshness.reason is None
    assert parse_calls(sim) >= 1  # it was asked, and failed
    await engine.stop()


async def test_a_failed_ask_is_asked_again_once_jira_answers(
    sim: SimulatorServer, settings: Settings
) -> None:
    """A failed check is not kept as "nothing to say": the next empty listing asks again
    (a refusal here: a server error would open the breaker for the whole account)."""
    await fail_parse(sim, 404)
    engine = engine_for(only_jira(settings, sim, 'assignee = "bobb"'))
    [section] = engine.sections
    await engine.refresh(section.id)
    assert engine.snapshot(section.id).freshness.reason is None  # type: ignore[union-attr]
    async with httpx.AsyncClient() as control:
        assert (await control.delete(f"{sim.root_url}/_sim/faults")).status_code == 200
    await engine.refresh(section.id)
    shown = engine.snapshot(section.id)
    assert shown is not None and shown.freshness.reason == BOBB
    await engine.stop()


async def fail_parse(sim: SimulatorServer, status: int) -> None:
    rule = {"service": "jira", "endpoint": "*/jql/parse", "error_rate": 1.0, "statuses": [status]}
    async with httpx.AsyncClient() as control:
        r = await control.post(f"{sim.root_url}/_sim/faults", json=rule)
    assert r.status_code == 200, r.text
