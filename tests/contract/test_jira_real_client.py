"""A real Jira client on the simulator: pycontribs `jira` (the `contract` extra) does its everyday
work over a loopback socket, and every write is read back from the simulator's state.

pycontribs speaks /rest/api/2 (plain-text rich fields) and reads serverInfo at construction, so
these tests also pin the v2 surface and the Cloud deployment type."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jira import JIRA, JIRAError

from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.server import SimulatorServer

SIM_SEED = 11  # the simulator's seed (the server fixture, conftest.py)


@pytest.fixture(scope="module")
def client(server: SimulatorServer) -> JIRA:
    account = server.account("jira")
    assert account.username is not None
    return JIRA(server=account.base_url, basic_auth=(account.username, account.token))


def mutations(server: SimulatorServer, kind: str, key: str) -> list[dict[str, Any]]:
    log = server.world.counters.mutation_log
    return [m for m in log if m["service"] == "jira" and m["kind"] == kind and m["key"] == key]


def key_where(sim: JiraSim, status: str, *, skip: int = 0) -> str:
    keys = [i.key for i in sim.issues.values() if i.status == status]
    return keys[skip]


def test_construction_reads_server_info_as_cloud(client: JIRA) -> None:
    info = client.server_info()
    assert info["deploymentType"] == "Cloud" and client._is_cloud
    assert client._version == (1001, 0, 0)


def test_projects_and_statuses(client: JIRA, sim: JiraSim) -> None:
    assert [p.key for p in client.projects()] == ["ZEN", "OPS", "WEB", "API"]
    project = client.project("OPS")
    assert project.name == "Operations" and {t.name for t in project.issueTypes} >= {"Bug", "Task"}
    statuses = client._get_json("project/ZEN/statuses")
    assert {s["name"] for s in statuses[0]["statuses"]} == {
        "To Do",
        "In Progress",
        "In Review",
        "Done",
    }
    assert {s.name for s in client.statuses()} == {"To Do", "In Progress", "In Review", "Done"}


def test_search_issues_with_jql(client: JIRA, sim: JiraSim) -> None:
    found = client.search_issues("project = ZEN AND issuetype = Bug ORDER BY key ASC", maxResults=0)
    expected = [i.key for i in sim.issues.values() if i.project == "ZEN" and i.issuetype == "10002"]
    assert sorted(i.key for i in found) == sorted(expected) and expected
    assert all(i.fields.issuetype.name == "Bug" for i in found)
    sprint = client.search_issues("project = ZEN AND sprint in openSprints()", maxResults=0)
    assert {i.key for i in sprint} == {
        i.key for i in sim.issues.values() if i.project == "ZEN" and i.sprint == 2
    }


def test_issue_with_expands_has_the_standard_fields(client: JIRA, sim: JiraSim) -> None:
    key = key_where(sim, "3")
    issue = client.issue(key, expand="editmeta,renderedFields,names,transitions,changelog")
    assert issue.fields.summary == sim.issues[key].summary
    assert issue.fields.description == adf.to_text(sim.issues[key].description)  # v2: text
    for absent in ("resolution", "duedate", "environment"):
        assert getattr(issue.fields, absent) is None
    assert issue.fields.attachment == [] and issue.fields.issuelinks == []
    assert issue.fields.subtasks == []
    raw = issue.raw
    assert raw["names"]["duedate"] == "Due date"
    assert "priority" in raw["editmeta"]["fields"]
    assert [t["id"] for t in raw["transitions"]] == [t.id for t in sim.issues[key].transitions()]
    assert raw["changelog"]["histories"] == []
    assert "<p>" in raw["renderedFields"]["description"]
    meta = client.editmeta(key)["fields"]
    names = {v["name"] for v in meta["priority"]["allowedValues"]}
    assert names == {"Highest", "High", "Medium", "Low", "Lowest"}


def test_comment_add_update_delete(client: JIRA, sim: JiraSim, server: SimulatorServer) -> None:
    key = key_where(sim, "10000")
    comment = client.add_comment(key, "first words")
    stored = next(c for c in sim.issues[key].comments if str(c.id) == comment.id)
    assert adf.to_text(stored.body) == "first words"
    comment.update(body="second thoughts")
    assert adf.to_text(stored.body) == "second thoughts"
    assert client.comment(key, comment.id).body == "second thoughts"
    comment.delete()
    assert all(str(c.id) != comment.id for c in sim.issues[key].comments)
    kinds = [m["kind"] for m in server.world.counters.mutation_log if m.get("key") == key]
    assert kinds == ["comment", "comment_edit", "comment_delete"]
    with pytest.raises(JIRAError) as err:
        client.comment(key, comment.id)
    assert err.value.status_code == 404


def test_transition_issue_by_name(client: JIRA, sim: JiraSim, server: SimulatorServer) -> None:
    key = key_where(sim, "3", skip=1)
    names = {t["name"] for t in client.transitions(key)}
    assert names == {"Request Review", "Done", "Stop Progress", "Resolve"}
    client.transition_issue(key, "Done")
    issue = sim.issues[key]
    assert issue.status == "10002" and issue.resolution == "10000"
    assert client.issue(key).fields.resolution.name == "Done"
    assert len(mutations(server, "transition", key)) == 1


def test_transition_with_a_required_resolution(
    client: JIRA, sim: JiraSim, server: SimulatorServer
) -> None:
    """The jira library's transition_issue(..., resolution=...) sends it in `fields`, as the
    Resolve screen requires; without it the simulator answers Jira's 400."""
    key = key_where(sim, "3", skip=2)
    with pytest.raises(JIRAError) as err:
        client.transition_issue(key, "Resolve")
    assert err.value.status_code == 400 and "Resolution is required" in err.value.text
    client.transition_issue(key, "Resolve", resolution={"name": "Won't Do"})
    assert client.issue(key).fields.resolution.name == "Won't Do"
    assert len(mutations(server, "transition", key)) == 1


def test_assign_through_assignable_search(
    client: JIRA, sim: JiraSim, server: SimulatorServer
) -> None:
    key = key_where(sim, "10000", skip=1)
    users = client.search_assignable_users_for_issues(query="grace", issueKey=key)
    assert [u.displayName for u in users] == ["Grace Hopper"]
    client.assign_issue(key, users[0].accountId)
    assert sim.issues[key].assignee == users[0].accountId
    client.assign_issue(key, None)
    assert sim.issues[key].assignee is None
    assert len(mutations(server, "assign", key)) == 2


def test_update_fields_through_editmeta(
    client: JIRA, sim: JiraSim, server: SimulatorServer
) -> None:
    key = key_where(sim, "10000", skip=2)
    issue = client.issue(key)
    editable = set(client.editmeta(key)["fields"])
    change = {
        "summary": "Renamed by pycontribs",
        "priority": {"name": "Highest"},
        "labels": ["triaged"],
        "duedate": "2026-12-24",
        "description": "Plain text in v2",
    }
    assert set(change) <= editable
    issue.update(fields=change)
    stored = sim.issues[key]
    assert (stored.summary, stored.priority, stored.labels, stored.duedate) == (
        "Renamed by pycontribs",
        "1",
        ["triaged"],
        "2026-12-24",
    )
    assert adf.to_text(stored.description) == "Plain text in v2"
    assert issue.fields.duedate == "2026-12-24"  # pycontribs reloads after the PUT
    history = client._get_json(f"issue/{key}/changelog")["values"]
    assert {item["field"] for item in history[-1]["items"]} >= {"summary", "priority", "duedate"}
    assert len(mutations(server, "edit", key)) == 1


def test_create_issue_through_createmeta(
    client: JIRA, sim: JiraSim, server: SimulatorServer
) -> None:
    types = client._get_json("issue/createmeta/WEB/issuetypes")["issueTypes"]
    bug = next(t for t in types if t["name"] == "Bug")
    meta = client._get_json(f"issue/createmeta/WEB/issuetypes/{bug['id']}")["fields"]
    required = {f["fieldId"] for f in meta if f["required"]}
    assert required == {"summary", "issuetype", "project"}
    before = len(sim.issues)
    created = client.create_issue(
        project="WEB", summary="Made by a real client", description="Steps", issuetype="Bug"
    )
    assert len(sim.issues) == before + 1
    stored = sim.issues[created.key]
    assert (stored.project, stored.issuetype, stored.reporter) == ("WEB", "10002", sim.me)
    assert adf.to_text(stored.description) == "Steps"
    assert created.fields.summary == "Made by a real client"
    assert [m["key"] for m in server.world.counters.mutation_log if m["kind"] == "create"] == [
        created.key
    ]
    with pytest.raises(JIRAError) as err:
        client.create_issue(project="WEB", summary="", issuetype={"id": "10002"})
    assert err.value.status_code == 400 and "summary" in err.value.text


def test_issue_link_worklog_remote_link(
    client: JIRA, sim: JiraSim, server: SimulatorServer
) -> None:
    blocker, blocked = key_where(sim, "10001"), key_where(sim, "10001", skip=1)
    assert {t.name for t in client.issue_link_types()} >= {"Blocks", "Relates"}
    client.create_issue_link("Blocks", blocker, blocked)
    outward = client.issue(blocker).fields.issuelinks[0]
    inward = client.issue(blocked).fields.issuelinks[0]
    assert outward.type.name == "Blocks" and outward.outwardIssue.key == blocked
    assert inward.inwardIssue.key == blocker
    assert sim.issues[blocker].links == sim.issues[blocked].links

    worklog = client.add_worklog(blocker, timeSpent="1h 30m", comment="pairing")
    assert worklog.timeSpentSeconds == 5400
    assert [w.seconds for w in sim.issues[blocker].worklogs] == [5400]
    assert [w.timeSpent for w in client.worklogs(blocker)] == ["1h 30m"]

    client.add_simple_link(blocker, {"url": "https://example.com/pr/1", "title": "PR 1"})
    links = client.remote_links(blocker)
    assert [(r.object.url, r.object.title) for r in links] == [("https://example.com/pr/1", "PR 1")]

    kinds = [m["kind"] for m in server.world.counters.mutation_log if m.get("key") == blocker]
    assert kinds == ["link", "worklog", "remotelink"]
    history = client.issue(blocker, expand="changelog").raw["changelog"]["histories"]
    # the newest first (expand=changelog: "sorted by date, starting from the most recent")
    assert [h["items"][0]["field"] for h in history] == ["RemoteIssueLink", "timespent", "Link"]


@pytest.mark.parametrize("use_post", [False, True])
def test_enhanced_search_pages_by_next_page_token(
    client: JIRA, sim: JiraSim, use_post: bool
) -> None:
    """/search/jql as pycontribs pages it (GET and POST): nextPageToken from each page into the
    next, until isLast; every OPS issue once, in the order asked, with the fields asked."""
    jql, keys, token, pages = "project = OPS ORDER BY key ASC", [], None, 0
    while True:
        page = client.enhanced_search_issues(
            jql,
            nextPageToken=token,
            maxResults=3,
            fields="summary",
            json_result=True,
            use_post=use_post,
        )
        assert isinstance(page, dict) and "total" not in page  # the enhanced search has none
        keys += [i["key"] for i in page["issues"]]
        assert all(set(i["fields"]) == {"summary"} for i in page["issues"])
        pages += 1
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    ops = sorted(
        (i.key for i in sim.issues.values() if i.project == "OPS"), key=lambda k: int(k[4:])
    )
    assert keys == ops and pages == -(-len(ops) // 3)


def test_refusals_reach_a_real_client_as_jira_words_them(
    client: JIRA, server: SimulatorServer
) -> None:
    """What pycontribs meets when Jira says no: the JQL's own error (400), an issue out of
    reach (404), a wrong token (401), and a rate limit (429) with Retry-After and the reset."""
    with pytest.raises(JIRAError) as err:
        client.enhanced_search_issues("universe = 42", json_result=True, maxResults=5)
    assert err.value.status_code == 400 and "universe" in err.value.text
    with pytest.raises(JIRAError) as err:
        client.issue("NOPE-1")
    assert err.value.status_code == 404
    account = server.account("jira")
    assert account.username is not None
    wrong = JIRA(
        server=account.base_url,
        basic_auth=(account.username, "wrong"),
        get_server_info=False,
        max_retries=0,
    )
    with pytest.raises(JIRAError) as err:
        wrong.myself()
    assert err.value.status_code == 401
    hasty = JIRA(  # reads serverInfo: Cloud, so the enhanced search is there
        server=account.base_url, basic_auth=(account.username, account.token), max_retries=0
    )
    server.set_faults(
        [{"service": "jira", "endpoint": "*/search/jql", "rate_limit_rate": 1.0, "retry_after": 30}]
    )
    try:
        with pytest.raises(JIRAError) as err:
            hasty.enhanced_search_issues("project = OPS", json_result=True, maxResults=5)
    finally:
        server.clear_faults()
    assert err.value.status_code == 429 and err.value.response is not None
    headers = err.value.response.headers
    assert headers["Retry-After"] == "30" and headers["RateLimit-Reason"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", headers["X-RateLimit-Reset"])
