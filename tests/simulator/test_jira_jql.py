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
        ("project = ZEN AND", "Expecting a field name at the end of the query."),
        ("project == ZEN", "Expecting either a value, list or function but got '='"),
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


# Jira's own sentences for JQL it cannot parse (Jira's parser tests; the operator one is also
# the example answer of POST /rest/api/3/jql/parse in Atlassian's spec), with the position of
# the token to blame, counted from 1, or none at the end of the query.
OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS'"
    " and 'IS NOT'."
)


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("a", f"Expecting operator before the end of the query. {OPERATORS}"),
        ("a blah >", f"Expecting operator but got 'blah'. {OPERATORS} (line 1, character 3)"),
        ("a=", "Expecting either a value, list or function before the end of the query."),
        (
            "a=!",
            "Expecting either a value, list or function but got '!'. You must surround '!' in"
            " quotation marks to use it as a value. (line 1, character 3)",
        ),
        ("a=b c=d", "Expecting either 'OR' or 'AND' but got 'c'. (line 1, character 5)"),
        ("a=b !c=d", "Expecting either 'OR' or 'AND' but got '!'. (line 1, character 5)"),
        ("a = b and", "Expecting a field name at the end of the query."),
        (
            ", a = b",
            "Expecting a field name but got ','. You must surround ',' in quotation marks to use"
            " it as a field name. (line 1, character 1)",
        ),
        ("(a=b and c = d", "Expecting ')' before the end of the query."),
        ("a =b order", "Expecting 'by' before the end of the query."),
        ("a =b order summary", "Expecting 'by' but got 'summary'. (line 1, character 12)"),
        ("a =b order by", "Expecting a field name at the end of the query."),
        (
            "a =b order by asc",
            "Expecting a field name but got 'asc'. You must surround 'asc' in quotation marks to"
            " use it as a field name. (line 1, character 15)",
        ),
        (
            "a =b order by key blah",
            "Expecting either 'ASC' or 'DESC' but got 'blah'. (line 1, character 19)",
        ),
        ("a =b order by key desc b", "Expecting ',' but got 'b'. (line 1, character 24)"),
        (
            "comment ~ 'test",
            "The quoted string 'test' has not been completed. (line 1, character 11)",
        ),
        ("comment ~ '", "The quoted string has not been completed. (line 1, character 11)"),
        (
            'priority="test\nword',
            "The quoted string 'test word' has not been completed. (line 1, character 10)",
        ),
        (
            "mine{www = qwwr",
            "The character '{' is a reserved JQL character. You must enclose it in a string or"
            " use the escape '\\u007b' instead. (line 1, character 5)",
        ),
        (
            "minewww# = qwwr",
            "The character '#' is a reserved JQL character. You must enclose it in a string or"
            " use the escape '\\u0023' instead. (line 1, character 8)",
        ),
    ],
)
def test_syntax_errors_are_in_jiras_words(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as err:
        parse(jql, now=NOW, me="x")
    assert err.value.messages == (f"Error in the JQL Query: {message}",)
