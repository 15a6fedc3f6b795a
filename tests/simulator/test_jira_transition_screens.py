"""Jira simulator: transitions with a screen (Resolve requires the resolution, Defer the due
date, a field typed in with no allowedValues), as Jira's
Get transitions (expand=transitions.fields), Transition issue and bulk transitions document.
On conftest's `jira` site (seed 7) and its `jira_client`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import ManualClock
from tests.simulator.jira_helpers import API
from zen_tui.simulator.jira.service import JiraSim

RESOLVE = "71"
DEFER = "81"  # In Review -> To Do, requires the due date


def in_progress(jira: JiraSim, n: int = 1) -> list[str]:
    return [i.key for i in jira.issues.values() if i.status == "3"][:n]


def in_review(jira: JiraSim, n: int = 1) -> list[str]:
    return [i.key for i in jira.issues.values() if i.status == "10001"][:n]


def post(jira_client: httpx.AsyncClient, key: str, body: dict) -> object:
    return jira_client.post(f"{API}/issue/{key}/transitions", json=body)


async def screens_of(jira_client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """The issue's transitions by id, each with its screen's fields (the expand)."""
    r = await jira_client.get(
        f"{API}/issue/{key}/transitions", params={"expand": "transitions.fields"}
    )
    return {t["id"]: t for t in r.json()["transitions"]}


async def test_expand_fields_lists_the_required_resolution_and_its_values(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_progress(jira)
    plain = (await jira_client.get(f"{API}/issue/{key}/transitions")).json()["transitions"]
    assert all("fields" not in t for t in plain)  # only with the expand
    moves = await screens_of(jira_client, key)
    assert moves["31"]["hasScreen"] is False and moves["31"]["fields"] == {}
    resolve = moves[RESOLVE]
    assert resolve["name"] == "Resolve" and resolve["hasScreen"] is True
    assert resolve["to"]["name"] == "Done"
    field = resolve["fields"]["resolution"]
    assert field["required"] is True and field["name"] == "Resolution"
    assert field["schema"] == {"type": "resolution", "system": "resolution"}
    names = [v["name"] for v in field["allowedValues"]]
    assert names == ["Done", "Won't Do", "Fixed", "Duplicate"]
    assert all(set(v) >= {"id", "name", "self"} for v in field["allowedValues"])


async def test_missing_required_field_is_400_errors_and_nothing_moves(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_progress(jira)
    r = await post(jira_client, key, {"transition": {"id": RESOLVE}})
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [], "errors": {"resolution": "Resolution is required."}}
    r = await post(
        jira_client,
        key,
        {"transition": {"id": RESOLVE}, "fields": {"resolution": {"name": "Nope"}}},
    )
    assert r.status_code == 400 and "resolution" in r.json()["errors"]
    assert jira.issues[key].status == "3" and jira.issues[key].resolution is None
    assert jira.world.counters.mutations.get(("jira", "transition"), 0) == 0


async def test_resolution_by_name_or_id_is_set_and_shown_on_the_issue(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    by_name, by_id = in_progress(jira, 2)
    body = {"transition": {"id": RESOLVE}, "fields": {"resolution": {"name": "fixed"}}}
    assert (await post(jira_client, by_name, body)).status_code == 204
    body = {"transition": {"id": RESOLVE}, "fields": {"resolution": {"id": "10003"}}}
    assert (await post(jira_client, by_id, body)).status_code == 204
    for key, name in ((by_name, "Fixed"), (by_id, "Duplicate")):
        fields = (await jira_client.get(f"{API}/issue/{key}")).json()["fields"]
        assert fields["status"]["name"] == "Done"
        assert fields["resolution"]["name"] == name and fields["resolutiondate"]


async def test_a_field_the_screen_lacks_cannot_be_set(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_progress(jira)
    body = {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Fixed"}}}
    r = await post(jira_client, key, body)
    assert r.status_code == 400 and "cannot be set" in r.json()["errors"]["resolution"]
    assert jira.issues[key].status == "3"
    # the screenless Done still resolves as before (its post function: "Done")
    assert (await post(jira_client, key, {"transition": {"id": "31"}})).status_code == 204
    assert jira.issues[key].resolution == "10000"


async def test_bulk_leaves_screen_transitions_out_and_fails_them(
    jira_client: httpx.AsyncClient, jira: JiraSim, jira_clock: ManualClock
) -> None:
    keys = in_progress(jira, 2)
    r = await jira_client.get(
        f"{API}/bulk/issues/transition", params={"issueIdsOrKeys": ",".join(keys)}
    )
    [group] = r.json()["availableTransitions"]
    assert "Resolve" not in {t["transitionName"] for t in group["transitions"]}
    payload = {"bulkTransitionInputs": [{"selectedIssueIdsOrKeys": keys, "transitionId": RESOLVE}]}
    task = (await jira_client.post(f"{API}/bulk/issues/transition", json=payload)).json()["taskId"]
    jira_clock.now += 3
    state = (await jira_client.get(f"{API}/bulk/queue/{task}")).json()
    assert state["status"] == "FAILED" and len(state["failedAccessibleIssues"]) == 2
    assert all(jira.issues[k].status == "3" for k in keys)


async def test_defer_requires_a_due_date_typed_in_with_no_values_to_pick(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_review(jira)
    defer = (await screens_of(jira_client, key))[DEFER]
    assert defer["name"] == "Defer" and defer["hasScreen"] and defer["to"]["name"] == "To Do"
    field = defer["fields"]["duedate"]
    assert field["required"] is True and field["name"] == "Due date"
    assert field["schema"] == {"type": "date", "system": "duedate"}
    assert "allowedValues" not in field  # typed in: nothing to pick from
    before = jira.issues[key].duedate

    for fields, error in (
        ({}, "Due date is required."),
        ({"duedate": "31.01.2027"}, "Error parsing date string: use yyyy-MM-dd."),
    ):
        r = await post(jira_client, key, {"transition": {"id": DEFER}, "fields": fields})
        assert r.status_code == 400 and r.json()["errors"] == {"duedate": error}
    assert (jira.issues[key].status, jira.issues[key].duedate) == ("10001", before)

    body = {"transition": {"id": DEFER}, "fields": {"duedate": "2027-01-31"}}
    assert (await post(jira_client, key, body)).status_code == 204
    fields = (await jira_client.get(f"{API}/issue/{key}")).json()["fields"]
    assert fields["status"]["name"] == "To Do" and fields["duedate"] == "2027-01-31"
    last = jira.issues[key].history[-1].items
    assert ("duedate", before, "2027-01-31") in last and last[0][0] == "status"


REQUEST_CHANGES = "91"  # In Review -> In Progress, requires a comment
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Needs tests"}]}],
}


async def test_request_changes_shows_its_required_comment_added_not_set(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_review(jira)
    move = (await screens_of(jira_client, key))[REQUEST_CHANGES]
    assert move["name"] == "Request Changes" and move["to"]["name"] == "In Progress"
    field = move["fields"]["comment"]
    assert field["required"] is True and field["name"] == "Comment"
    assert field["schema"] == {"type": "comments-page", "system": "comment"}
    assert "add" in field["operations"] and "set" not in field["operations"]


async def test_a_required_comment_is_refused_missing_in_fields_or_not_a_document(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_review(jira)
    comments = len(jira.issues[key].comments)
    add = {"comment": [{"add": {"body": "plain text"}}]}
    for body, error in (
        ({}, "Field Comment is required."),
        ({"fields": {"comment": "Needs tests"}}, "Field does not support update 'comment'"),
        ({"fields": {"comment": {"body": ADF}}}, "Field does not support update 'comment'"),
        ({"update": add}, "Operation value must be an Atlassian Document"),
        ({"update": {"comment": [{"set": {"body": ADF}}]}}, "is added"),
        ({"update": {"comment": [{"add": {"body": adf_text("  ")}}]}}, "can not be empty"),
    ):
        r = await post(jira_client, key, {"transition": {"id": REQUEST_CHANGES}, **body})
        assert r.status_code == 400, body
        assert set(r.json()["errors"]) == {"comment"} and error in r.json()["errors"]["comment"]
    assert jira.issues[key].status == "10001" and len(jira.issues[key].comments) == comments


async def test_a_comment_through_update_moves_the_issue_and_is_among_its_comments(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_review(jira)
    body = {
        "transition": {"id": REQUEST_CHANGES},
        "update": {"comment": [{"add": {"body": ADF}}]},
    }
    assert (await post(jira_client, key, body)).status_code == 204
    fields = (await jira_client.get(f"{API}/issue/{key}")).json()["fields"]
    assert fields["status"]["name"] == "In Progress"
    page = (await jira_client.get(f"{API}/issue/{key}/comment")).json()
    assert page["comments"][-1]["body"] == ADF  # kept as the document sent


async def test_any_screen_takes_a_comment_a_transition_without_one_cannot(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    """Defer's screen requires only the due date: a comment is taken there too (Atlassian's
    doTransition example adds one on a screen setting the resolution); Back to In Progress
    has no screen, where a field "cannot be set", as documented."""
    deferred, moved = in_review(jira, 2)
    comments = len(jira.issues[deferred].comments)
    add = {"comment": [{"add": {"body": ADF}}]}
    body = {"transition": {"id": DEFER}, "fields": {"duedate": "2027-01-31"}, "update": add}
    assert (await post(jira_client, deferred, body)).status_code == 204
    issue = jira.issues[deferred]
    assert issue.status == "10000" and len(issue.comments) == comments + 1
    r = await post(jira_client, moved, {"transition": {"id": "41"}, "update": add})
    assert r.status_code == 400 and "cannot be set" in r.json()["errors"]["comment"]
    assert jira.issues[moved].status == "10001"


def adf_text(text: str) -> dict:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


REJECT = "101"  # In Review -> To Do: its screen's comment optional, a workflow rule wants one
ADMIN_SAID = "A Comment must be provided during the transition."


async def test_reject_lists_its_comment_as_optional(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    [key] = in_review(jira)
    move = (await screens_of(jira_client, key))[REJECT]
    assert move["name"] == "Reject" and move["to"]["name"] == "To Do" and move["hasScreen"]
    field = move["fields"]["comment"]
    assert field["required"] is False and field["name"] == "Comment"
    assert field["schema"] == {"type": "comments-page", "system": "comment"}
    assert move["fields"].keys() == {"comment"}  # nothing on it says a rule wants one


async def test_a_rule_refuses_reject_without_a_comment_as_jira_answers(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    """The screen lets the comment be left out; the workflow's rule does not: a 400 naming
    the comment, in `errors` (the rule's own words), or in `errorMessages` where an admin
    gave the rule a message. The screen's own checks answer first."""
    [key] = in_review(jira)
    comments = len(jira.issues[key].comments)
    r = await post(jira_client, key, {"transition": {"id": REJECT}})
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [], "errors": {"comment": "Comment is required."}}
    r = await post(jira_client, key, {"transition": {"id": REJECT}, "fields": {"comment": "x"}})
    assert r.json()["errors"] == {"comment": "Field does not support update 'comment'"}
    jira.rule_messages[REJECT] = ADMIN_SAID
    r = await post(jira_client, key, {"transition": {"id": REJECT}})
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [ADMIN_SAID], "errors": {}}
    assert jira.issues[key].status == "10001" and len(jira.issues[key].comments) == comments
    assert jira.world.counters.mutations.get(("jira", "transition"), 0) == 0

    body = {"transition": {"id": REJECT}, "update": {"comment": [{"add": {"body": ADF}}]}}
    assert (await post(jira_client, key, body)).status_code == 204
    assert jira.issues[key].status == "10000" and jira.issues[key].comments[-1].body == ADF


async def test_no_bulk_move_nor_colleague_takes_reject(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    keys = in_review(jira, 4)
    assert all(
        REJECT not in {t.id for t in jira.issues[k].transitions(screenless=True)} for k in keys
    )
    r = await jira_client.get(
        f"{API}/bulk/issues/transition", params={"issueIdsOrKeys": ",".join(keys)}
    )
    groups = r.json()["availableTransitions"]
    assert groups and all(g["isTransitionsFiltered"] for g in groups)
    assert all("Reject" not in {t["transitionName"] for t in g["transitions"]} for g in groups)
