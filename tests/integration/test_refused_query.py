"""A section whose query the server refuses, against the real simulator over a socket.

Jira answers JQL naming a project the user cannot see (or that does not exist) with a 400;
GitHub answers a search naming a repository that does not exist with a 422. That is the
user's query, not an outage: one request per poll, no retry, the breaker stays closed, the
section keeps its stored items and says the server's reason and which setting to fix, and
the other sections of the account stay live.
"""

from __future__ import annotations

import argparse
import json

import httpx
import pytest
from msgspec.structs import replace

from zen_tui.commands import health, list_items, sync
from zen_tui.config import SectionConfig, Settings
from zen_tui.models import Cause, FreshnessState
from zen_tui.simulator.server import SimulatorServer

from .conftest import engine_for

JIRA_SAYS = "The value 'OPS' does not exist for the field 'project'."
JIRA_REASON = f"jira refused the query: {JIRA_SAYS}; fix `jql` of section 'Ops board' in the config"
GITHUB_SAYS = (
    "The listed users and repositories cannot be searched either because the resources do "
    "not exist or you do not have permission to view them."
)


def with_section(settings: Settings, sim: SimulatorServer, section: SectionConfig) -> Settings:
    account = sim.account(section.account).name
    return replace(settings, sections=[*settings.sections, replace(section, account=account)])


def hide_project(sim: SimulatorServer, key: str) -> None:
    """The user loses Browse permission on `key` (the simulator's control API)."""
    r = httpx.put(f"{sim.root_url}/_sim/settings", json={"jira": {"hidden_projects": key}})
    assert r.status_code == 200, r.text


def refusals(sim: SimulatorServer, service: str) -> list[dict]:
    return [
        r
        for r in sim.counters()["requests"]
        if r["service"] == service and 400 <= r["status"] < 500
    ]


def list_json(settings: Settings, capsys: pytest.CaptureFixture[str], pane: str) -> list[dict]:
    assert list_items.run(argparse.Namespace(pane=pane, json=True, account=None), settings) == 0
    return json.loads(capsys.readouterr().out)["sections"]


async def test_a_project_gone_from_view_fails_only_its_section_and_says_what_to_fix(
    sim: SimulatorServer, settings: Settings
) -> None:
    ops = SectionConfig("issues", "Ops board", "jira", jql="project = OPS ORDER BY updated DESC")
    settings = with_section(settings, sim, ops)
    engine = engine_for(settings)
    first = await engine.sync_once()
    [board] = [s for s in engine.sections if s.title == "Ops board"]
    stored = first[board.id].items
    assert stored and first[board.id].freshness.state is FreshnessState.LIVE

    hide_project(sim, "OPS")
    sim.reset_counters()
    for polls in (1, 2, 3):
        await engine.refresh(board.id)
        # one request per poll: the 400 is an answer, never retried
        assert refusals(sim, "jira") == [
            {
                "service": "jira",
                "endpoint": "/rest/api/3/search/jql",
                "status": 400,
                "count": polls,
            }
        ]
        shown = engine.snapshot(board.id)
        assert shown is not None and shown.items == stored  # what was there stays shown
        assert shown.freshness.state is FreshnessState.CACHED
        assert shown.freshness.reason == JIRA_REASON
        assert shown.freshness.cause is Cause.QUERY
    others = await engine.sync_once()
    [jira] = [h for h in engine.health() if h.service == "jira"]
    assert jira.breaker == "closed"
    for section in engine.sections:
        if section.id != board.id:  # the account's other sections keep polling, live
            assert others[section.id].freshness.state is FreshnessState.LIVE, section.title
    await engine.stop()


def test_sync_once_and_list_say_the_reason_and_keep_the_stored_items(
    sim: SimulatorServer, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = SectionConfig("issues", "Ops board", "jira", jql="project = OPS ORDER BY updated DESC")
    settings = with_section(settings, sim, ops)
    assert sync.run(argparse.Namespace(once=True), settings) == 0
    capsys.readouterr()
    hide_project(sim, "OPS")
    assert sync.run(argparse.Namespace(once=True), settings) == sync.DEGRADED
    out = capsys.readouterr().out.splitlines()
    [board] = [line for line in out if " Ops board [" in line]
    assert board.endswith(f"({JIRA_REASON})"), board
    assert all(" live" in line for line in out if line is not board), out
    [listed] = [s for s in list_json(settings, capsys, "issues") if s["title"] == "Ops board"]
    assert listed["items"] and listed["freshness"]["reason"] == f"last sync: {JIRA_REASON}"
    assert health.run(argparse.Namespace(json=True), settings) == 0
    accounts = json.loads(capsys.readouterr().out)["accounts"]
    assert {a["breaker"] for a in accounts.values()} == {"closed"}


async def test_github_search_naming_a_missing_repository_is_the_query_not_an_outage(
    sim: SimulatorServer, settings: Settings
) -> None:
    bad = SectionConfig("issues", "Gone repo", "github", query="repo:nobody/nothing is:open")
    settings = with_section(settings, sim, bad)
    engine = engine_for(settings)
    sim.reset_counters()
    snapshots = await engine.sync_once()
    [gone] = [s for s in engine.sections if s.title == "Gone repo"]
    fresh = snapshots[gone.id].freshness
    assert fresh.cause is Cause.QUERY
    assert fresh.reason == (
        f"github refused the query: Validation Failed: {GITHUB_SAYS}; "
        "fix `query` of section 'Gone repo' in the config"
    )
    # One refused search, and one look at the repository in case it was only renamed.
    assert sorted(refusals(sim, "github"), key=lambda r: r["endpoint"]) == [
        {"service": "github", "endpoint": "/repos/{owner}/{repo}", "status": 404, "count": 1},
        {"service": "github", "endpoint": "/search/issues", "status": 422, "count": 1},
    ]
    [github] = [h for h in engine.health() if h.service == "github"]
    assert github.breaker == "closed"
    assert all(
        snapshots[s.id].freshness.state is FreshnessState.LIVE
        for s in engine.sections
        if s.id != gone.id
    )
    await engine.stop()
