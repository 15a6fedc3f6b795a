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


# Jira's sentences for issue keys and sprints that are no issue's or sprint's (the simulator's
# jql module names the sources): each a 400, so the section says it and what to fix.
REFUSED_JQL = [
    ("key = NOPE-1", "An issue with key 'NOPE-1' does not exist for field 'key'."),
    (
        "issue in (ZEN-1, NOPE-1) ORDER BY updated DESC",
        "An issue with key 'NOPE-1' does not exist for field 'issue'.",
    ),
    (
        'sprint = "No Such Sprint"',
        "Sprint with name 'No Such Sprint' does not exist or you do not have permission to "
        "view it.",
    ),
    ("project = ZEN AND colour = red", "Field 'colour' does not exist or you do not have"),
]


@pytest.mark.parametrize(("jql", "says"), REFUSED_JQL)
async def test_jql_naming_no_issue_or_sprint_is_refused_once_with_jiras_reason(
    sim: SimulatorServer, settings: Settings, jql: str, says: str
) -> None:
    bad = SectionConfig("issues", "Bad JQL", "jira", jql=jql)
    engine = engine_for(with_section(settings, sim, bad))
    sim.reset_counters()
    try:
        first = await engine.sync_once()
        [section] = [s for s in engine.sections if s.title == "Bad JQL"]
        for _ in range(3):
            await engine.refresh(section.id)
        assert refusals(sim, "jira") == [  # one request per poll: never retried
            {"service": "jira", "endpoint": "/rest/api/3/search/jql", "status": 400, "count": 4}
        ]
        shown = engine.snapshot(section.id)
        assert shown is not None and shown.freshness.cause is Cause.QUERY
        reason = str(shown.freshness.reason)
        assert reason.startswith(f"jira refused the query: {says}"), reason
        assert reason.endswith("; fix `jql` of section 'Bad JQL' in the config")
        [jira] = [h for h in engine.health() if h.service == "jira"]
        assert jira.breaker == "closed"
        others = [s for s in engine.sections if s.id != section.id]
        assert all(first[s.id].freshness.state is FreshnessState.LIVE for s in others)
    finally:
        await engine.stop()


async def test_an_unknown_user_in_jql_lists_what_matches_live(
    sim: SimulatorServer, settings: Settings
) -> None:
    """Jira runs a JQL naming a user it does not know (a warning, not an error), and
    /search/jql has no field to say so: the section is live with what the rest matches."""
    odd = SectionConfig("issues", "Odd user", "jira", jql="assignee = nobody_here OR project = WEB")
    engine = engine_for(with_section(settings, sim, odd))
    sim.reset_counters()
    try:
        shown = await engine.sync_once()
        [section] = [s for s in engine.sections if s.title == "Odd user"]
        assert shown[section.id].freshness.state is FreshnessState.LIVE
        assert shown[section.id].items and all(
            i.key.startswith("WEB-") for i in shown[section.id].items
        )
        assert refusals(sim, "jira") == []
    finally:
        await engine.stop()


@pytest.mark.parametrize(
    "jql",
    [
        'project = ZEN AND text !~ "sort order by date" ORDER BY updated DESC',
        "project = ZEN AND summary !~ 'in order by noon' ORDER BY key ASC",
        'project = ZEN AND summary !~ "\\"in order by noon\\""',
    ],
)
async def test_jql_quoting_order_by_stays_live_on_its_delta_polls(
    sim: SimulatorServer, settings: Settings, jql: str
) -> None:
    """`order by` inside a quoted value is the value, not the query's ORDER BY: the delta
    polls (which AND `updated >=` in before the ORDER BY) send JQL Jira takes, as the first
    full poll did, instead of cutting the value in two and blaming the section's `jql`."""
    quoted = SectionConfig("issues", "Quoted", "jira", jql=jql)
    engine = engine_for(with_section(settings, sim, quoted))
    sim.reset_counters()
    try:
        first = await engine.sync_once()
        [section] = [s for s in engine.sections if s.title == "Quoted"]
        assert first[section.id].items
        for _ in range(2):  # the delta polls, with the cursor the first one kept
            shown = (await engine.sync_once())[section.id]
            assert shown.freshness.state is FreshnessState.LIVE, shown.freshness.reason
        assert refusals(sim, "jira") == []
    finally:
        await engine.stop()
