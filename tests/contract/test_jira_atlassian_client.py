"""atlassian-python-api (the `contract` extra) on the simulator over a loopback socket: a smaller
smoke set of its everyday calls, each write read back from the simulator's state."""

from __future__ import annotations

import pytest
from atlassian import Jira
from requests import HTTPError

from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.server import SimulatorServer

SIM_SEED = 12  # the simulator's seed (the server fixture, conftest.py)


@pytest.fixture(scope="module")
def client(server: SimulatorServer) -> Jira:
    account = server.account("jira")
    return Jira(url=account.base_url, username=account.username, password=account.token, cloud=True)


def test_reads(client: Jira, sim: JiraSim) -> None:
    assert client.get_server_info()["deploymentType"] == "Cloud"
    assert [p["key"] for p in client.projects()] == ["ZEN", "OPS", "WEB", "API"]
    found = client.enhanced_jql("project = OPS ORDER BY key ASC", fields="summary", limit=100)
    assert [i["key"] for i in found["issues"]] == sorted(
        (i.key for i in sim.issues.values() if i.project == "OPS"), key=lambda k: int(k[4:])
    )
    key = found["issues"][0]["key"]
    issue = client.get_issue(key)
    assert issue["fields"]["summary"] == sim.issues[key].summary
    assert issue["fields"]["attachment"] == [] and "resolution" in issue["fields"]


def test_writes(client: Jira, sim: JiraSim, server: SimulatorServer) -> None:
    key = next(i.key for i in sim.issues.values() if i.status == "10000")
    comment = client.issue_add_comment(key, "from atlassian-python-api")
    client.issue_edit_comment(key, comment["id"], "edited by atlassian-python-api")
    stored = next(c for c in sim.issues[key].comments if str(c.id) == comment["id"])
    assert adf.to_text(stored.body) == "edited by atlassian-python-api"

    client.set_issue_status(key, "In Progress")
    assert sim.issues[key].status == "3"

    grace = next(u for u in sim.users.values() if u.display_name == "Grace Hopper")
    client.assign_issue(key, grace.account_id)
    assert sim.issues[key].assignee == grace.account_id

    client.update_issue_field(key, {"summary": "Edited by atlassian-python-api"})
    assert sim.issues[key].summary == "Edited by atlassian-python-api"

    created = client.issue_create(
        {"project": {"key": "API"}, "issuetype": {"name": "Task"}, "summary": "New via apa"}
    )
    assert sim.issues[created["key"]].summary == "New via apa"

    client.create_issue_link(
        {
            "type": {"name": "Relates"},
            "inwardIssue": {"key": key},
            "outwardIssue": {"key": created["key"]},
        }
    )
    assert sim.issues[key].links and sim.issues[key].links == sim.issues[created["key"]].links

    client.issue_worklog(key, "2026-01-05T10:00:00.000+0000", 1800, "review")
    assert [w.seconds for w in sim.issues[key].worklogs] == [1800]

    changelog = client.get_issue_changelog(key)
    fields = [item["field"] for h in changelog["values"] for item in h["items"]]
    assert fields[:4] == ["status", "assignee", "summary", "Link"]
    kinds = [m["kind"] for m in server.world.counters.mutation_log if m.get("key") == key]
    assert kinds == ["comment", "comment_edit", "transition", "assign", "edit", "link", "worklog"]


def test_enhanced_jql_pages_and_refusals(client: Jira, sim: JiraSim) -> None:
    """/rest/api/3/search/jql paged by nextPageToken to isLast; myself; and Jira's refusals as
    the library raises them: the JQL's own words (400), an issue out of reach (404)."""
    keys, token = [], None
    while True:
        page = client.enhanced_jql("project = WEB ORDER BY key ASC", "summary", token, limit=4)
        keys += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            break
        token = page["nextPageToken"]
    web = [i.key for i in sim.issues.values() if i.project == "WEB"]
    assert keys == sorted(web, key=lambda k: int(k[4:])) and len(web) > 4
    assert client.myself()["accountId"] == sim.me
    with pytest.raises(HTTPError) as err:
        client.enhanced_jql("universe = 42", limit=5)
    assert err.value.response.status_code == 400 and "universe" in str(err.value)
    with pytest.raises(HTTPError) as err:
        client.get_issue("NOPE-1")
    assert err.value.response.status_code == 404
