"""Per-service switches from a scenario file and from `/_sim/settings` (Slack non_marketplace)."""

from __future__ import annotations

import tomllib

import httpx
import pytest

from zen_tui.simulator.app import create_world
from zen_tui.simulator.core.scenario import ScenarioError, parse
from zen_tui.simulator.core.world import World
from zen_tui.simulator.slack.service import SlackSim

NON_MARKETPLACE = """
name = "slack-strict"
[settings.slack]
non_marketplace = true
"""


@pytest.fixture
def world() -> World:
    return create_world(seed=3, size=2000)


def slack_of(world: World) -> SlackSim:
    slack = world.services["slack"]
    assert isinstance(slack, SlackSim)
    return slack


async def history(client: httpx.AsyncClient, slack: SlackSim) -> httpx.Response:
    channel = max(slack.channels.values(), key=lambda c: len(c.messages))
    return await client.post(
        "/slack/api/conversations.history",
        data={"channel": channel.id, "limit": "200"},
        headers={"Authorization": f"Bearer {slack.token}"},
    )


async def test_scenario_switches_slack_non_marketplace_on(
    client: httpx.AsyncClient, world: World
) -> None:
    slack = slack_of(world)
    r = await client.post("/_sim/scenario", json={"toml": NON_MARKETPLACE})
    assert r.status_code == 200 and r.json()["name"] == "slack-strict"
    assert slack.non_marketplace is True
    capped = await history(client, slack)
    assert len(capped.json()["messages"]) == 15 and capped.json()["has_more"] is True
    limited = await history(client, slack)  # 1 request a minute now
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


async def test_settings_control_endpoint_get_put_and_errors(
    client: httpx.AsyncClient, world: World
) -> None:
    got = (await client.get("/_sim/settings")).json()
    assert got == {
        "settings": {
            "github": {
                "search_incomplete_rate": 0.0,
                "hidden_repos": "",
                "archived_repos": "",
                "device_flow_github_app": False,
                "deleted_users": "",
                "poll_interval": 60,
                "link_last": True,
                "empty_lists_no_content": False,
                "merge_methods": "merge,squash,rebase",
                "merge_settings_shown": True,
                "issues_disabled_repos": "",
                "closed_versions": "",
            },
            "jira": {
                "search_lag": 0.0,
                "hidden_projects": "",
                "bulk_change": True,
                "burst_per_minute": 600,
                "issue_writes_per_minute": 20,
                "points_per_hour": 100_000,
            },
            "slack": {
                "non_marketplace": False,
                "left_channels": "",
                "archived_channels": "",
                "short_page_rate": 0.0,
            },
        },
        "available": {
            "github": {
                "search_incomplete_rate": "float",
                "hidden_repos": "str",
                "archived_repos": "str",
                "device_flow_github_app": "bool",
                "deleted_users": "str",
                "poll_interval": "int",
                "link_last": "bool",
                "empty_lists_no_content": "bool",
                "merge_methods": "str",
                "merge_settings_shown": "bool",
                "issues_disabled_repos": "str",
                "closed_versions": "str",
            },
            "jira": {
                "search_lag": "float",
                "hidden_projects": "str",
                "bulk_change": "bool",
                "burst_per_minute": "int",
                "issue_writes_per_minute": "int",
                "points_per_hour": "int",
            },
            "slack": {
                "non_marketplace": "bool",
                "left_channels": "str",
                "archived_channels": "str",
                "short_page_rate": "float",
            },
        },
    }
    before = await history(client, slack_of(world))
    assert len(before.json()["messages"]) > 15  # limit up to 999 while the rule is off
    r = await client.put("/_sim/settings", json={"slack": {"non_marketplace": True}})
    assert r.status_code == 200 and r.json()["settings"]["slack"]["non_marketplace"] is True
    assert slack_of(world).non_marketplace is True
    for bad, says in [
        ({"slack": {"non_marketplace": "yes"}}, "must be a bool"),
        ({"slack": {"turbo": True}}, "unknown slack.turbo; valid: github.search_incomplete"),
        ({"github": {"search_incomplete_rate": 1.5}}, "must be between 0 and 1"),
        ({"jira": {"search_lag": True}}, "jira.search_lag must be a float"),
        ({"jira": {"non_marketplace": True}}, "unknown jira.non_marketplace"),
        ({"mastodon": {}}, "unknown service 'mastodon'"),
        ([1, 2], "give {"),
    ]:
        r = await client.put("/_sim/settings", json=bad)
        assert r.status_code == 400 and says in r.json()["error"], (bad, r.json())
    bad_json = await client.put("/_sim/settings", content=b"{nope")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    assert slack_of(world).non_marketplace is True  # refused changes changed nothing
    r = await client.put("/_sim/settings", json={"jira": {"search_lag": 3}})
    assert r.status_code == 200 and r.json()["settings"]["jira"]["search_lag"] == 3.0
    assert type(world.services["jira"].search_lag) is float


async def test_bad_setting_in_scenario_is_refused_and_leaves_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_sim/scenario", json={"name": "steady"})
    bad = NON_MARKETPLACE.replace("true", '"on"')
    r = await client.post("/_sim/scenario", json={"toml": bad})
    assert r.status_code == 400 and "slack.non_marketplace must be a bool" in r.json()["error"]
    assert (await client.get("/_sim/scenario")).json()["name"] == "steady"


def test_settings_must_be_tables() -> None:
    with pytest.raises(ScenarioError, match=r"\[settings.slack\]"):
        parse(tomllib.loads("settings = {slack = 1}"))
