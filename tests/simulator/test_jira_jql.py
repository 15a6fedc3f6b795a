"""The simulator's bounded JQL subset, parsed and evaluated on plain value maps."""

from __future__ import annotations

import pytest

from zen_tui.simulator.jira.jql import UNBOUNDED, JqlError, parse

NOW = 1_700_000_000.0
ISSUE = {
    "project": ["ZEN", "10000"],
    "status": ["In Review", "10001"],
    "assignee": "me-1",
    "labels": ["backend"],
    "summary": "Fix login flow",
    "description": "",
    "comment": "",
    "updated": NOW - 3600,
    "created": NOW - 86400,
    "priority": ["High", "2"],
}


def matches(jql: str, values: dict = ISSUE) -> bool:
    query = parse(jql, now=NOW, me="me-1")
    assert query.where is not None
    return query.where(values)


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = zen", True),
        ("project in (OPS, WEB)", False),
        ("project not in (OPS, WEB)", True),
        ('status = "In Review"', True),
        ("status != 'In Review'", False),
        ("assignee = currentUser()", True),
        ("assignee is EMPTY", False),
        ("assignee is not empty", True),
        ("labels = backend and labels != frontend", True),
        ("updated >= -2h", True),
        ("updated >= -30m", False),
        ('updated >= "2023-11-14 20:00"', True),
        ("created < startOfDay()", True),
        ('summary ~ "login"', True),
        ('text ~ "logout"', False),
        ("not (project = OPS or status = Done)", True),
        ("priority = High ORDER BY priority DESC, updated ASC", True),
    ],
)
def test_clauses(jql: str, expected: bool) -> None:
    assert matches(jql) is expected


def test_order_by_fields_and_directions() -> None:
    query = parse("project = ZEN ORDER BY updated DESC, key", now=NOW, me="x")
    assert query.order == [("updated", True), ("key", False)]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("", UNBOUNDED),
        ("order by created", UNBOUNDED),
        (
            "fixVersion = 5",
            "Field 'fixVersion' does not exist or you do not have permission to view it.",
        ),
        ("project = ZEN ORDER BY colour", "Field 'colour' does not exist"),
        ("project = ZEN AND", "Expecting a field name but reached the end."),
        ("project == ZEN", "Expecting a value but got '='"),
        ("assignee = membersOf(x)", "function 'membersOf' is not supported"),
        ("project = ZEN ORDER BY a, b, c", "Field 'a' does not exist"),
    ],
)
def test_errors_say_what_is_wrong(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as err:
        parse(jql, now=NOW, me="x")
    assert message in str(err.value)


def test_more_than_seven_order_by_fields_rejected() -> None:
    with pytest.raises(JqlError, match="more than 7"):
        parse("project = A ORDER BY " + ", ".join(["updated"] * 8), now=NOW, me="x")


def test_unbounded_allowed_when_not_required() -> None:
    assert parse("ORDER BY updated", now=NOW, me="x", bounded=False).where is None


@pytest.mark.parametrize(
    ("jql", "values", "expected"),
    [
        ("watcher = currentUser()", {"watcher": ["me-1", "ada"]}, True),
        ("watcher = currentUser()", {"watcher": ["ada"]}, False),
        ("watcher in (ada, bob)", {"watcher": ["bob"]}, True),
        ("watcher = currentUser() OR assignee = currentUser()", {"assignee": "me-1"}, True),
    ],
)
def test_watcher_and_the_current_user(jql: str, values: dict, expected: bool) -> None:
    assert matches(jql, values) is expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        # A text clause takes a string: Atlassian lists no function for `~` / `!~`.
        ("text ~ currentUser()", "The 'text' field searches text, not a function: 'currentUser()'"),
        ("comment ~ currentUser()", "The 'comment' field searches text, not a function"),
        ("description !~ currentUser()", "The 'description' field searches text, not a"),
        ("watcher = currentUser() OR text ~ currentUser()", "searches text, not a function"),
        ("summary ~ now()", "The 'summary' field searches text, not a function: 'now()'."),
        # Each function only on the fields Atlassian's reference lists for it.
        ("status = currentUser()", "Function 'currentUser' is not supported by the 'status'"),
        ("project in (currentUser())", "Function 'currentUser' is not supported by the 'project'"),
        ("assignee = now()", "Function 'now' is not supported by the 'assignee' field."),
        ("labels in openSprints()", "Function 'openSprints' is not supported by the 'labels'"),
        ("updated >= currentUser()", "Function 'currentUser' is not supported by the 'updated'"),
    ],
)
def test_functions_only_where_jira_takes_them(jql: str, message: str) -> None:
    """Jira Cloud answers these with a 400; the simulator must too, or a client query it
    would reject passes every test (the Inbox's `text ~ currentUser()` did)."""
    with pytest.raises(JqlError) as err:
        parse(jql, now=NOW, me="me-1")
    assert message in str(err.value)


@pytest.mark.parametrize(
    "value",
    ['A"B', "x\\y", "AND", "ORDER BY key", 'ZEN" OR project = OPS', "a = b (c), d", "'q'"],
)
def test_a_quoted_value_stays_one_value(value: str) -> None:
    """What the client's jql_string makes of a user's value parses back to that value."""
    from zen_tui.services.jira_parse import jql_string

    query = parse(f"project = {jql_string(value)}", now=NOW, me="me-1")
    assert query.where is not None and query.order == []
    assert query.where({"project": [value]}) is True
    assert query.where({"project": ["ZEN"], "summary": value}) is False
