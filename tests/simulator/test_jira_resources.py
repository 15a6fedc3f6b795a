"""Jira simulator resources beyond zen-tui's own calls (what real clients use), in memory with a
fake clock: v2 vs v3 bodies, Jira's JSON 404 everywhere under /rest/, writes that land in the
mutation log, the changelog and webhooks, create/edit validation, pickers and JQL fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers import ManualClock, mounted_client
from tests.simulator.jira_helpers import EMAIL, NOW, TOKEN, basic
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.service import JiraSim

V3, V2 = "/rest/api/3", "/rest/api/2"


@pytest.fixture
def world() -> World:
    return World(seed=9, size=1000, clock=ManualClock(NOW))


@pytest.fixture
def jira(world: World) -> JiraSim:
    sim = JiraSim(world, TOKEN, EMAIL)
    world.add(sim)
    return sim


@pytest.fixture
def events(world: World) -> list[ChangeEvent]:
    seen: list[ChangeEvent] = []
    world.on_change(seen.append)
    return seen


@pytest.fixture
async def client(jira: JiraSim) -> AsyncIterator[httpx.AsyncClient]:
    async with mounted_client(jira, headers=basic()) as c:
        yield c


def doc(text: str) -> dict[str, Any]:
    return adf.from_text(text)


def a_key(jira: JiraSim, status: str = "10000", skip: int = 0) -> str:
    return [i.key for i in jira.issues.values() if i.status == status][skip]


def kinds(jira: JiraSim, key: str) -> list[str]:
    return [m["kind"] for m in jira.world.counters.mutation_log if m.get("key") == key]


async def test_v2_and_latest_serve_text_where_v3_serves_adf(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    key = a_key(jira)
    v3 = (await client.get(f"{V3}/issue/{key}")).json()["fields"]
    for api in (V2, "/rest/api/latest"):
        old = (await client.get(f"{api}/issue/{key}")).json()["fields"]
        assert old["description"] == adf.to_text(v3["description"]) != ""
        assert isinstance(v3["description"], dict)
    r = await client.post(f"{V2}/issue/{key}/comment", json={"body": "plain words"})
    assert r.status_code == 201 and r.json()["body"] == "plain words"
    assert adf.to_text(jira.issues[key].comments[-1].body) == "plain words"
    assert (await client.post(f"{V3}/issue/{key}/comment", json={"body": "x"})).status_code == 400
    r = await client.post(f"{V2}/issue/{key}/comment", json={"body": doc("adf")})
    assert r.status_code == 400 and r.json()["errors"]["comment"]


@pytest.mark.parametrize(
    "path",
    [
        "/rest/agile/1.0/board",
        "/rest/api/2/nonsense",
        "/rest/api/latest/x/y",
        "/rest/servicedeskapi/x",
    ],
)
async def test_unknown_paths_under_rest_get_jiras_json_404(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["errorMessages"] and r.json()["errors"] == {}


async def test_server_info_is_anonymous_and_the_rest_is_not(jira: JiraSim) -> None:
    async with mounted_client(jira) as anonymous:
        info = await anonymous.get(f"{V2}/serverInfo")
        assert info.status_code == 200 and info.json()["deploymentType"] == "Cloud"
        assert (await anonymous.get(f"{V2}/project")).status_code == 401
        assert (await anonymous.get(f"{V3}/field")).status_code == 401


async def test_get_issue_has_the_standard_fields_null_where_unset(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    key = a_key(jira)
    fields = (await client.get(f"{V3}/issue/{key}")).json()["fields"]
    for name in ("resolution", "resolutiondate", "duedate", "environment", "timespent"):
        assert name in fields and fields[name] is None
    for name in ("attachment", "issuelinks", "subtasks", "components", "fixVersions"):
        assert fields[name] == []
    assert fields["worklog"]["total"] == 0 and fields["issuetype"]["name"] in {
        "Task",
        "Bug",
        "Story",
    }
    done = (await client.get(f"{V3}/issue/{a_key(jira, '10002')}")).json()["fields"]
    assert done["resolution"]["name"] == "Done" and done["resolutiondate"]


async def test_comment_edit_and_delete_are_own_only_logged_and_announced(
    client: httpx.AsyncClient, jira: JiraSim, events: list[ChangeEvent]
) -> None:
    key = next(k for k, i in jira.issues.items() if i.comments)
    theirs = jira.issues[key].comments[0]
    url = f"{V3}/issue/{key}/comment/{theirs.id}"
    assert (await client.put(url, json={"body": doc("mine now")})).status_code == 400
    assert (await client.delete(url)).status_code == 400
    assert jira.issues[key].comments[0] is theirs and adf.to_text(theirs.body) != "mine now"
    mine = (await client.post(f"{V3}/issue/{key}/comment", json={"body": doc("a")})).json()
    url = f"{V3}/issue/{key}/comment/{mine['id']}"
    r = await client.put(url, json={"body": doc("b")})
    assert r.status_code == 200 and adf.to_text(r.json()["body"]) == "b"
    assert adf.to_text((await client.get(url)).json()["body"]) == "b"
    assert (await client.put(url, json={"body": "not adf"})).status_code == 400
    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404
    assert kinds(jira, key) == ["comment", "comment_edit", "comment_delete"]
    assert [e.event for e in events] == ["comment_created", "comment_updated", "comment_deleted"]


async def test_create_validates_and_announces(
    client: httpx.AsyncClient, jira: JiraSim, events: list[ChangeEvent]
) -> None:
    bad = await client.post(
        f"{V3}/issue",
        json={"fields": {"project": {"key": "NOPE"}, "issuetype": {"id": "10004"}, "summary": ""}},
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"project", "summary", "parent"}
    unknown = await client.post(
        f"{V3}/issue",
        json={
            "fields": {
                "project": {"key": "ZEN"},
                "issuetype": {"name": "Task"},
                "summary": "s",
                "watchers": [],
            }
        },
    )
    assert unknown.status_code == 400 and "watchers" in unknown.json()["errors"]
    parent = a_key(jira)
    r = await client.post(
        f"{V3}/issue",
        json={
            "fields": {
                "project": {"id": "10001"},
                "issuetype": {"name": "Subtask"},
                "summary": "A piece of it",
                "parent": {"key": parent},
                "description": doc("details"),
                "labels": ["x"],
                "duedate": "2027-01-31",
                "assignee": {"accountId": jira.me},
            }
        },
    )
    assert r.status_code == 201, r.text
    child = jira.issues[r.json()["key"]]
    assert (child.project, child.parent, child.duedate, child.assignee) == (
        "OPS",
        parent,
        "2027-01-31",
        jira.me,
    )
    assert r.json()["key"].startswith("OPS-")
    subtasks = (await client.get(f"{V3}/issue/{parent}")).json()["fields"]["subtasks"]
    assert [s["key"] for s in subtasks] == [child.key]
    assert [e.event for e in events] == ["jira:issue_created"]
    assert kinds(jira, child.key) == ["create"]
    found = await client.post(
        f"{V3}/search/jql", json={"jql": f"parent = {parent}", "fields": ["summary"]}
    )
    assert [i["key"] for i in found.json()["issues"]] == [child.key]


async def test_edit_assignee_duedate_and_changelog(
    client: httpx.AsyncClient, jira: JiraSim, events: list[ChangeEvent]
) -> None:
    key = a_key(jira)
    grace = next(u for u in jira.users.values() if u.display_name == "Grace Hopper")
    r = await client.put(
        f"{V3}/issue/{key}",
        json={"fields": {"assignee": {"accountId": grace.account_id}, "duedate": "2027-02-01"}},
    )
    assert r.status_code == 204
    assert (jira.issues[key].assignee, jira.issues[key].duedate) == (grace.account_id, "2027-02-01")
    bad = await client.put(f"{V3}/issue/{key}", json={"fields": {"duedate": "tomorrow"}})
    assert bad.status_code == 400 and "duedate" in bad.json()["errors"]
    log = (await client.get(f"{V3}/issue/{key}/changelog")).json()
    assert log["total"] == 1
    items = {i["field"]: i["toString"] for i in log["values"][0]["items"]}
    assert items == {"duedate": "2027-02-01", "assignee": "Grace Hopper"}
    assert events[-1].event == "jira:issue_updated"


async def test_colleague_activity_shows_in_the_changelog_not_the_mutation_log(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    for _ in range(40):
        jira.activity()
    moved = [i for i in jira.issues.values() if i.history]
    assert moved and all(h.author != jira.me for i in moved for h in i.history)
    assert jira.world.counters.mutation_log == []
    key = moved[0].key
    expanded = (await client.get(f"{V3}/issue/{key}", params={"expand": "changelog"})).json()
    assert expanded["changelog"]["total"] == len(moved[0].history)


async def test_expand_changelog_gives_the_latest_100_histories_newest_first(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    """GET issue's `expand=changelog`: "recent updates ... sorted by date, starting from the
    most recent" (Atlassian's spec, tests/contracts/jira-cloud-platform/paths.json), the
    latest 100 (reported; not in the spec), `total` counting all; GET .../changelog still
    pages them all, the oldest first. It gave every history, the oldest first."""
    key = a_key(jira)
    issue = jira.issues[key]
    before = len(issue.history)
    for n in range(150):
        jira._mutated("edit", issue, [("labels", f"l{n}", f"l{n + 1}")])
    expanded = (await client.get(f"{V3}/issue/{key}", params={"expand": "changelog"})).json()
    log = expanded["changelog"]
    assert (log["startAt"], log["maxResults"], log["total"]) == (0, 100, before + 150)
    labels = [h["items"][0]["toString"] for h in log["histories"]]
    assert labels == [f"l{n}" for n in range(150, 50, -1)]
    ids = [int(h["id"]) for h in log["histories"]]
    assert ids == sorted(ids, reverse=True)
    paged = (await client.get(f"{V3}/issue/{key}/changelog")).json()
    assert [int(h["id"]) for h in paged["values"]] == sorted(int(h["id"]) for h in paged["values"])


async def test_links_and_worklogs_both_sides(
    client: httpx.AsyncClient, jira: JiraSim, events: list[ChangeEvent]
) -> None:
    a, b = a_key(jira), a_key(jira, skip=1)
    r = await client.post(
        f"{V3}/issueLink",
        json={"type": {"name": "Duplicate"}, "inwardIssue": {"key": a}, "outwardIssue": {"key": b}},
    )
    assert r.status_code == 201
    on_a = (await client.get(f"{V3}/issue/{a}")).json()["fields"]["issuelinks"]
    on_b = (await client.get(f"{V3}/issue/{b}")).json()["fields"]["issuelinks"]
    assert on_a[0]["outwardIssue"]["key"] == b and on_b[0]["inwardIssue"]["key"] == a
    link_id = on_a[0]["id"]
    assert (await client.delete(f"{V3}/issueLink/{link_id}")).status_code == 204
    assert jira.issues[a].links == [] == jira.issues[b].links
    assert (
        await client.post(
            f"{V3}/issueLink",
            json={"type": {"name": "Nope"}, "inwardIssue": {"key": a}, "outwardIssue": {"key": b}},
        )
    ).status_code == 404
    w = await client.post(f"{V3}/issue/{a}/worklog", json={"timeSpentSeconds": 900})
    assert w.status_code == 201 and w.json()["timeSpent"] == "15m"
    assert (
        await client.post(f"{V3}/issue/{a}/worklog", json={"timeSpent": "soon"})
    ).status_code == 400
    assert kinds(jira, a) == ["link", "unlink", "worklog"]
    assert [e.event for e in events].count("jira:issue_updated") == 5  # 2 link, 2 unlink, 1 log


async def test_catalogue_pickers_and_suggestions(client: httpx.AsyncClient, jira: JiraSim) -> None:
    picker = (await client.get(f"{V3}/user/picker", params={"query": "ed"})).json()
    assert [u["displayName"] for u in picker["users"]] == ["Edsger Dijkstra"]
    assert (await client.get(f"{V3}/user/picker")).status_code == 400
    assignable = await client.get(f"{V3}/user/assignable/search", params={"project": "ZEN"})
    assert len(assignable.json()) == len(jira.users)
    assert (await client.get(f"{V3}/user/assignable/search")).status_code == 400
    page = (await client.get(f"{V3}/project/search", params={"query": "web"})).json()
    assert [p["key"] for p in page["values"]] == ["WEB"] and page["total"] == 1
    suggest = await client.get(
        f"{V3}/jql/autocompletedata/suggestions", params={"fieldName": "status", "fieldValue": "in"}
    )
    assert [s["value"] for s in suggest.json()["results"]] == ["In Progress", "In Review"]
    filters = (await client.get(f"{V3}/filter/favourite")).json()
    for f in filters:
        r = await client.get(f"{V3}/search/jql", params={"jql": f["jql"]})
        assert r.status_code == 200, f["jql"]
    fields = {f["id"] for f in (await client.get(f"{V3}/field")).json()}
    editable = set((await client.get(f"{V3}/issue/{a_key(jira)}/editmeta")).json()["fields"])
    assert editable <= fields and {"summary", "priority", "duedate", "assignee"} <= editable


@pytest.mark.parametrize(
    ("jql", "matches"),
    [
        ("issuetype = Bug", lambda i: i.issuetype == "10002"),
        ("type in (Story, 10001)", lambda i: i.issuetype in ("10003", "10001")),
        ("sprint in openSprints()", lambda i: i.sprint is not None and i.sprint % 2 == 0),
        ("sprint in closedSprints()", lambda i: i.sprint is not None and i.sprint % 2 == 1),
        ('sprint = "ZEN Sprint 2"', lambda i: i.sprint == 2),
        ("sprint is EMPTY", lambda i: i.sprint is None),
        ("parent is EMPTY", lambda i: i.parent is None),
    ],
)
async def test_jql_type_sprint_parent(
    client: httpx.AsyncClient, jira: JiraSim, jql: str, matches: Any
) -> None:
    r = await client.post(f"{V3}/search/jql", json={"jql": jql, "maxResults": 5000})
    assert r.status_code == 200, r.text
    expected = {str(i.id) for i in jira.issues.values() if matches(i)}
    assert {i["id"] for i in r.json()["issues"]} == expected and expected


async def test_what_jiratui_also_calls(client: httpx.AsyncClient, jira: JiraSim) -> None:
    key = a_key(jira, "3")
    moved = await client.post(f"{V3}/issue/{key}/transitions", json={"transition": "21"})
    assert moved.status_code == 204 and jira.issues[key].status == "10001"  # bare id taken
    multi = await client.get(
        f"{V3}/user/assignable/multiProjectSearch", params={"projectKeys": "ZEN,OPS", "query": "al"}
    )
    assert [u["displayName"] for u in multi.json()] == ["Alan Turing"]
    assert (await client.get(f"{V3}/user/assignable/multiProjectSearch")).status_code == 400
    everyone = (await client.get(f"{V3}/users/search", params={"maxResults": 3})).json()
    assert len(everyone) == 3
    statuses = (await client.get(f"{V3}/statuses/search")).json()
    assert {s["statusCategory"] for s in statuses["values"]} == {"TODO", "IN_PROGRESS", "DONE"}
    log = (await client.post(f"{V3}/issue/{key}/worklog", json={"timeSpent": "2h"})).json()
    url = f"{V3}/issue/{key}/worklog/{log['id']}"
    assert (await client.get(url)).json()["timeSpentSeconds"] == 7200
    assert (await client.delete(url)).status_code == 204
    assert jira.issues[key].worklogs == [] and (await client.get(url)).status_code == 404
    link = await client.post(
        f"{V3}/issue/{key}/remotelink", json={"object": {"url": "https://x.test", "title": "X"}}
    )
    gone = await client.delete(f"{V3}/issue/{key}/remotelink/{link.json()['id']}")
    assert gone.status_code == 204 and jira.issues[key].remote_links == []
    assert kinds(jira, key) == [
        "transition",
        "worklog",
        "worklog_delete",
        "remotelink",
        "remotelink_delete",
    ]


async def test_create_takes_reporter_and_users_by_id(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    grace = next(u for u in jira.users.values() if u.display_name == "Grace Hopper")
    fields = {
        "project": {"key": "ZEN"},
        "issuetype": {"id": "10002"},
        "summary": "As jiratui sends it",
        "reporter": {"id": grace.account_id},
        "assignee": {"id": jira.me},
        "priority": {"id": "2"},
    }
    r = await client.post(f"{V3}/issue", json={"fields": fields})
    assert r.status_code == 201, r.text
    made = jira.issues[r.json()["key"]]
    assert (made.reporter, made.assignee, made.priority) == (grace.account_id, jira.me, "2")
    edit = await client.put(
        f"{V3}/issue/{made.key}", json={"fields": {"reporter": {"id": jira.me}}}
    )
    assert edit.status_code == 400 and "reporter" in edit.json()["errors"]  # not on the edit screen


async def test_update_operations_set_any_editable_field(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    key = a_key(jira)
    ada = next(u for u in jira.users.values() if u.display_name == "Ada Lovelace")
    update = {
        "assignee": [{"set": {"accountId": ada.account_id}}],
        "priority": [{"set": {"id": "5"}}],
        "duedate": [{"set": "2027-04-01"}],
        "labels": [{"set": ["a", "b"]}, {"remove": "a"}, {"add": "c"}],
    }
    r = await client.put(f"{V3}/issue/{key}", json={"update": update})
    assert r.status_code == 204, r.text
    issue = jira.issues[key]
    assert (issue.assignee, issue.priority, issue.duedate, issue.labels) == (
        ada.account_id,
        "5",
        "2027-04-01",
        ["b", "c"],
    )
    bad = await client.put(f"{V3}/issue/{key}", json={"update": {"summary": [{"add": "x"}]}})
    assert bad.status_code == 400 and "summary" in bad.json()["errors"]


async def test_flagged_field_as_jiratui_sets_it(client: httpx.AsyncClient, jira: JiraSim) -> None:
    key = a_key(jira)
    fields = {f["name"]: f for f in (await client.get(f"{V3}/field")).json()}
    flag = fields["Flagged"]["key"]
    assert flag in (await client.get(f"{V3}/issue/{key}/editmeta")).json()["fields"]
    on = {"update": {flag: [{"set": [{"value": "Impediment"}]}]}}
    assert (await client.put(f"{V3}/issue/{key}", json=on)).status_code == 204
    shown = (await client.get(f"{V3}/issue/{key}")).json()["fields"][flag]
    assert jira.issues[key].flagged and shown[0]["value"] == "Impediment"
    off = {"update": {flag: [{"set": [{"id": None}]}]}}
    assert (await client.put(f"{V3}/issue/{key}", json=off)).status_code == 204
    assert not jira.issues[key].flagged
    bad = {"fields": {flag: [{"value": "Nope"}]}}
    assert (await client.put(f"{V3}/issue/{key}", json=bad)).status_code == 400


PAGED = ("/project/search", "/user/search?query=a", "/statuses/search", "/issue/{key}/comment")


@pytest.mark.parametrize("path", [*PAGED, "/issue/{key}/changelog"])
async def test_an_offset_page_that_is_not_a_whole_number_is_a_400(
    client: httpx.AsyncClient, jira: JiraSim, path: str
) -> None:
    url = f"{V3}{path.format(key=a_key(jira))}"
    for bad in ({"startAt": "first"}, {"maxResults": "1.5"}):
        r = await client.get(url, params=bad)
        assert r.status_code == 400, (path, bad)
        assert r.json()["errorMessages"] == ["startAt and maxResults must be whole numbers."]


@pytest.mark.parametrize("path", ["/project/search", "/statuses/search"])
async def test_a_page_bean_names_its_next_page_until_the_last(
    client: httpx.AsyncClient, path: str
) -> None:
    """PageBean*: `nextPage`, "the URL of the next page" while there is one; following it
    from the first page reads every entry once, the same as counting startAt."""
    url, seen, pages = f"{V3}{path}", [], 0
    separator = "&" if "?" in url else "?"
    url += f"{separator}maxResults=1"
    while url:
        page = (await client.get(url)).json()
        seen += page["values"]
        pages += 1
        assert ("nextPage" in page) is not page["isLast"]
        url = page.get("nextPage", "")
    assert pages == len(seen) == page["total"] > 1


async def test_an_offset_page_is_capped_per_endpoint(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    key = a_key(jira)
    log = await client.get(f"{V3}/issue/{key}/changelog", params={"maxResults": "5000"})
    assert log.json()["maxResults"] == 100
    comments = await client.get(f"{V3}/issue/{key}/comment", params={"maxResults": "0"})
    assert comments.json()["maxResults"] == 1  # at least one
    statuses = await client.get(f"{V3}/statuses/search", params={"maxResults": "5000"})
    assert statuses.json()["maxResults"] == 200


async def test_createmeta_refuses_more_than_its_documented_200_a_page(
    client: httpx.AsyncClient,
) -> None:
    """Both createmeta operations document maxResults at most 200, and a 400 beyond (the
    spec's example body, with its stray Java Optional)."""
    for path in ("/issue/createmeta/OPS/issuetypes", "/issue/createmeta/OPS/issuetypes/10002"):
        assert (await client.get(V3 + path, params={"maxResults": "200"})).status_code == 200
        r = await client.get(V3 + path, params={"maxResults": "201"})
        assert r.status_code == 400
        assert r.json()["errorMessages"] == [
            "Parameter 'maxResults' must not exceed the limit '200'"
        ]


@pytest.mark.parametrize(
    "path",
    [
        "/project/NOPE",
        "/project/NOPE/statuses",
        "/issue/createmeta/NOPE/issuetypes",
        "/user/assignable/search?project=NOPE",
        "/user/assignable/multiProjectSearch?projectKeys=NOPE",
    ],
)
async def test_every_project_lookup_says_jiras_404_for_an_unknown_project(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(V3 + path)
    assert r.status_code == 404
    assert r.json() == {
        "errorMessages": ["No project could be found with key 'NOPE'."],
        "errors": {},
    }
