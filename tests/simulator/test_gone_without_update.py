"""Items that leave a query without being updated, as the real services answer then: a
GitHub repository the user lost access to (404, never 403; out of search and the inbox), an
archived one (out of `archived:false`, writes 403), a deleted issue (410); a Jira project
whose Browse permission went (404 on the issue); a Slack channel the user left
(`not_in_channel`, or `channel_not_found` for a private one). None of them touches the
item's `updated_at`, so a delta query (`updated:>=`, `updated >=`, `oldest=`) never sees it."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from zen_tui.simulator.app import JIRA_EMAIL, create_world
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.slack.service import SlackSim


@pytest.fixture
def world() -> World:
    return create_world(seed=5, size=300)


def sims(world: World) -> tuple[GitHubSim, JiraSim, SlackSim]:
    gh, jira, slack = (world.services[n] for n in ("github", "jira", "slack"))
    assert isinstance(gh, GitHubSim) and isinstance(jira, JiraSim)
    assert isinstance(slack, SlackSim)
    return gh, jira, slack


def gh_headers(sim: GitHubSim) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token}", "User-Agent": "test"}


async def settings(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await client.put("/_sim/settings", json=body)
    assert r.status_code == 200, r.text


async def search(client: httpx.AsyncClient, sim: GitHubSim, q: str) -> set[int]:
    """The ids of every match (all pages)."""
    found: set[int] = set()
    for page in range(1, 20):
        params: dict[str, str | int] = {"q": q, "per_page": 100, "page": page}
        r = await client.get("/github/search/issues", params=params, headers=gh_headers(sim))
        assert r.status_code == 200, r.text
        found |= {i["id"] for i in r.json()["items"]}
        if not r.json()["items"]:
            break
    return found


async def test_github_repository_access_revoked_is_404_and_out_of_search(
    client: httpx.AsyncClient, world: World
) -> None:
    gh, _, _ = sims(world)
    item = next(i for i in gh.state.items if i.state == "open" and not i.is_pr)
    name, updated = item.repo.full_name, item.updated
    url = f"/github/repos/{name}/issues/{item.number}"
    query = f"repo:{name} is:open"
    assert item.id in await search(client, gh, "is:open")
    await settings(client, {"github": {"hidden_repos": name}})
    assert item.id not in await search(client, gh, "is:open")
    for path in (url, f"{url}/comments", f"/github/repos/{name}"):
        r = await client.get(path, headers=gh_headers(gh))
        assert r.status_code == 404 and r.json()["message"] == "Not Found", path
    r = await client.post(f"{url}/comments", json={"body": "x"}, headers=gh_headers(gh))
    assert r.status_code == 404  # never a 403: GitHub does not say it exists
    r = await client.get("/github/search/issues", params={"q": query}, headers=gh_headers(gh))
    assert r.status_code == 422  # a `repo:` the user cannot see, as one that does not exist
    r = await client.get("/github/notifications", params={"all": "true"}, headers=gh_headers(gh))
    assert all(t["repository"]["full_name"] != name for t in r.json())
    assert item.updated == updated  # no update: a delta search never returns it
    await settings(client, {"github": {"hidden_repos": ""}})  # access given back
    assert item.id in await search(client, gh, "is:open")
    assert (await client.get(url, headers=gh_headers(gh))).status_code == 200


async def test_github_archived_repository_leaves_archived_false_and_refuses_writes(
    client: httpx.AsyncClient, world: World
) -> None:
    gh, _, _ = sims(world)
    item = next(i for i in gh.state.items if i.state == "open")
    name = item.repo.full_name
    await settings(client, {"github": {"archived_repos": name}})
    assert item.id not in await search(client, gh, "is:open archived:false")
    assert item.id in await search(client, gh, "is:open archived:true")
    assert item.id in await search(client, gh, "is:open")  # no qualifier: still found
    url = f"/github/repos/{name}/issues/{item.number}"
    assert (await client.get(url, headers=gh_headers(gh))).status_code == 200  # readable
    repo = await client.get(f"/github/repos/{name}", headers=gh_headers(gh))
    assert repo.json()["archived"] is True
    r = await client.post(f"{url}/comments", json={"body": "x"}, headers=gh_headers(gh))
    assert r.status_code == 403 and "archived" in r.json()["message"]


async def test_github_deleted_issue_is_410(client: httpx.AsyncClient, world: World) -> None:
    gh, _, _ = sims(world)
    item = next(i for i in gh.state.items if not i.is_pr)
    gh.state.delete_issue(item)
    url = f"/github/repos/{item.repo.full_name}/issues/{item.number}"
    r = await client.get(url, headers=gh_headers(gh))
    assert r.status_code == 410 and r.json()["message"] == "This issue was deleted"


async def test_jira_browse_permission_gone_is_404_on_the_issue(
    client: httpx.AsyncClient, world: World
) -> None:
    _, jira, _ = sims(world)
    issue = next(iter(jira.issues.values()))
    auth = base64.b64encode(f"{JIRA_EMAIL}:{jira.token}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}"}
    url = f"/jira/rest/api/3/issue/{issue.key}"
    assert (await client.get(url, headers=headers)).status_code == 200
    await settings(client, {"jira": {"hidden_projects": issue.project}})
    r = await client.get(url, headers=headers)
    assert r.status_code == 404 and r.json()["errorMessages"]


async def test_slack_left_channel_answers_not_in_channel_or_channel_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    _, _, slack = sims(world)
    me = slack.me.id
    public = next(c for c in slack.channels.values() if c.kind == "public" and me in c.members)
    private = next(c for c in slack.channels.values() if c.kind == "private" and me in c.members)
    headers = {"Authorization": f"Bearer {slack.token}"}

    async def call(method: str, **params: str) -> dict[str, Any]:
        r = await client.post(f"/slack/api/{method}", data=params, headers=headers)
        assert r.status_code == 200
        body: dict[str, Any] = r.json()
        return body

    assert (await call("conversations.history", channel=public.id))["ok"] is True
    await settings(client, {"slack": {"left_channels": f"#{public.name},{private.id}"}})
    got = await call("conversations.history", channel=public.id)
    assert got == {"ok": False, "error": "not_in_channel"}
    got = await call("conversations.history", channel=private.id)
    assert got == {"ok": False, "error": "channel_not_found"}
    listed = await call("conversations.list", types="public_channel,private_channel")
    ids = {c["id"]: c for c in listed["channels"]}
    assert private.id not in ids and ids[public.id]["is_member"] is False
    await settings(client, {"slack": {"left_channels": ""}})  # joined again
    assert (await call("conversations.history", channel=private.id))["ok"] is True
