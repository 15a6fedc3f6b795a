"""Creating a Jira issue against the simulator: issue type from createmeta, ADF body, the
hidden marker that lets verify() find it, and Jira's own refusals as one-line conflicts."""

from __future__ import annotations

from zen_tui.actions import create_action
from zen_tui.gateway.errors import ApiError
from zen_tui.services.markers import zw_keys

ACCOUNT = "jira"


def sim_issue(sim, key: str):
    return sim.world.services["jira"].issues[key]


async def test_create_issue_from_createmeta_with_adf_body(sim_client, sim) -> None:
    jira = sim_client("jira")
    types = await jira.creating.issue_types("OPS")
    assert ("10002", "Bug") in types
    fields = await jira.creating.fields("OPS", "10002")
    assert [f.id for f in fields if f.required] == ["summary", "issuetype", "project"]

    key = await jira.creating.create_issue(
        "OPS",
        "bug",  # a name in any case: resolved to its id through createmeta
        "Login page 500s",
        "Steps:\nopen /login",
        {"labels": ["from-test"], "priority": {"name": "High"}},
        idempotency_key="create-1",
    )
    issue = sim_issue(sim, key)
    assert key.startswith("OPS-") and issue.summary == "Login page 500s"
    assert issue.issuetype == "10002" and issue.labels == ["from-test"]
    assert issue.description["type"] == "doc"  # ADF, one paragraph per line
    assert issue.description["content"][0]["content"][0]["text"] == "Steps:"
    assert await jira.creating.find("OPS", "create-1") == key


async def test_projects_types_and_fields_are_read_to_the_last_page(sim_client, monkeypatch) -> None:
    """project/search and createmeta answer a page at a time (startAt, maxResults, total or
    isLast): pages smaller than the lists still give every project, type and field, the
    required ones too (on main only the first page was read: a site with more than 50
    create-screen fields lost the rest, required ones included)."""
    jira = sim_client("jira")
    projects = await jira.creating.projects()
    types = await jira.creating.issue_types("OPS")
    fields = await jira.creating.fields("OPS", "10002")
    assert len(projects) == 4 and len(types) > 2 and len(fields) > 3
    monkeypatch.setattr("zen_tui.simulator.jira.meta.PROJECT_PAGE_MAX", 1)
    monkeypatch.setattr("zen_tui.simulator.jira.meta.CREATEMETA_PAGE", 2)
    jira = sim_client("jira")  # a fresh gateway: nothing cached
    assert await jira.creating.projects() == projects
    assert await jira.creating.issue_types("OPS") == types
    assert await jira.creating.fields("OPS", "10002") == fields


async def test_create_action_applies_then_verifies_and_refusals_are_conflicts(
    sim_client, sim
) -> None:
    jira = sim_client("jira")
    action = create_action(
        ACCOUNT, "WEB", "Task", "Write the runbook", "see wiki", {"duedate": "2027-01-31"}
    )
    assert await jira.verify(action, idempotency_key="create-2") is False  # not created yet
    result = await jira.apply(action, idempotency_key="create-2")
    assert result.ok and result.message.startswith("created WEB-")
    key = result.message.removeprefix("created ")
    assert sim_issue(sim, key).duedate == "2027-01-31"
    assert await jira.verify(action, idempotency_key="create-2") is True
    assert await jira.verify(action, idempotency_key="create-other") is False
    text = "".join(
        n["text"] for p in sim_issue(sim, key).description["content"] for n in p.get("content", [])
    )
    assert zw_keys(text) == ["create-2"] and text.startswith("see wiki")

    bogus = create_action(ACCOUNT, "WEB", "Saga", "x")
    refused = await jira.apply(bogus, idempotency_key="create-3")
    assert refused.conflict and "no issue type 'Saga'" in refused.message
    assert "Task" in refused.message  # says which types there are

    subtask = create_action(ACCOUNT, "WEB", "Subtask", "orphan")  # needs a parent
    refused = await jira.apply(subtask, idempotency_key="create-4")
    assert refused.conflict and "parent" in refused.message


async def test_verify_quotes_the_project_so_a_typed_value_stays_one_value(sim_client) -> None:
    """The project of a create action is typed by the user: in the JQL that looks for an
    earlier create it is one quoted, escaped string. On today's main `OPS" OR project = "WEB`
    turned into two clauses and found the issue created in OPS."""
    jira = sim_client("jira")
    created = await jira.creating.create_issue(
        "OPS", "Task", "Quoted", "", {}, idempotency_key="create-q"
    )
    assert await jira.creating.find("OPS", "create-q") == created
    for typed in ('OPS" OR project = "WEB', 'O"PS'):
        try:  # no such project: nothing found (Jira itself may answer 400: also not found)
            found = await jira.creating.find(typed, "create-q")
        except ApiError:
            found = None
        assert found is None, typed
