"""The Jira simulator's /search/jql refuses JQL naming what does not exist, as Jira Cloud does.

/search/jql has no `validateQuery` (always strict): a project, status, issue type or priority
the site lacks, or a field it does not have, is a 400 ErrorCollection listing every such
error; a project the user may not browse gets the very same answer (Jira does not say it
exists). Before this, `project = NOPE` was a 200 with no issues.
"""

from __future__ import annotations

import random

import httpx
import pytest

from tests.simulator.jira_helpers import API, NOW
from zen_tui.simulator.jira.jql import JqlError, Known, parse
from zen_tui.simulator.jira.model import (
    ISSUE_TYPES,
    PRIORITIES,
    PROJECTS,
    SPRINTS,
    STATUSES,
    JiraIssue,
    Sprint,
)
from zen_tui.simulator.jira.search import jql_vocabulary
from zen_tui.simulator.jira.service import JiraSim

NOPE = "The value 'NOPE' does not exist for the field 'project'."


async def search(client: httpx.AsyncClient, jql: str) -> httpx.Response:
    """/search/jql's answer to `jql`: every match on one page, keys only."""
    body = {"jql": jql, "fields": ["key"], "maxResults": 5000}
    return await client.post(f"{API}/search/jql", json=body)


@pytest.mark.parametrize(
    ("jql", "messages"),
    [
        ("project = NOPE", [NOPE]),
        ("project in (ZEN, NOPE) ORDER BY updated DESC", [NOPE]),
        ('status = "Nope"', ["The value 'Nope' does not exist for the field 'status'."]),
        ("type = Bugz", ["The value 'Bugz' does not exist for the field 'type'."]),
        ("priority != Urgent", ["The value 'Urgent' does not exist for the field 'priority'."]),
        (
            "project = NOPE AND colour = red",
            [NOPE, "Field 'colour' does not exist or you do not have permission to view it."],
        ),
    ],
)
async def test_unknown_value_or_field_is_a_400_listing_each(
    jira_client: httpx.AsyncClient, jql: str, messages: list[str]
) -> None:
    r = await search(jira_client, jql)
    assert r.status_code == 400, r.text
    assert r.json() == {"errorMessages": messages, "errors": {}}


async def test_count_endpoint_answers_the_same(jira_client: httpx.AsyncClient) -> None:
    r = await jira_client.post(f"{API}/search/approximate-count", json={"jql": "project = NOPE"})
    assert r.status_code == 400 and r.json()["errorMessages"] == [NOPE]


async def test_known_values_by_key_id_or_name_any_case(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    zen = {i.key for i in jira.issues.values() if i.project == "ZEN"}
    for jql in ("project = zen", "project = 10000", 'project = "Zen Core"'):
        r = await search(jira_client, jql)
        assert r.status_code == 200, (jql, r.text)
        assert {i["key"] for i in r.json()["issues"]} == zen, jql


async def test_hidden_project_answers_as_if_it_did_not_exist(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    """Browse permission lost on OPS: its JQL is refused with the message a missing project
    gets, its issues leave every search and read, and it leaves the project list."""
    ops = next(i for i in jira.issues.values() if i.project == "OPS")
    jira.hidden_projects = "ops"
    hidden = await search(jira_client, "project = OPS")
    missing = await search(jira_client, "project = NOPE")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == {
        "errorMessages": ["The value 'OPS' does not exist for the field 'project'."],
        "errors": {},
    }
    r = await jira_client.post(
        f"{API}/search/jql", json={"jql": "updated >= -3650d", "maxResults": 5000}
    )
    assert str(ops.id) not in {i["id"] for i in r.json()["issues"]}
    assert (await jira_client.get(f"{API}/issue/{ops.key}")).status_code == 404
    listed = {p["key"] for p in (await jira_client.get(f"{API}/project")).json()}
    assert listed == set(PROJECTS) - {"OPS"}
    gone = await jira_client.get(f"{API}/project/OPS")
    assert gone.json()["errorMessages"] == ["No project could be found with key 'OPS'."]
    jira.hidden_projects = ""  # permission back: the same JQL runs again
    assert (await search(jira_client, "project = OPS")).status_code == 200


def test_random_queries_error_exactly_on_unknown_values() -> None:
    """Seeded random JQL over real and made-up values: the parse fails exactly when some
    value is unknown, and then names each unknown one once, in the order written."""
    rng = random.Random(20261206)
    known = jql_vocabulary(list(PROJECTS))
    real = {
        "project": [*PROJECTS, *PROJECTS.values(), "10001"],
        "status": [s[0] for s in STATUSES.values()],
        "priority": list(PRIORITIES.values()),
        "issuetype": [t[0] for t in ISSUE_TYPES.values()],
    }
    for _ in range(300):
        clauses, wrong = [], []
        for field in rng.sample(list(real), rng.randint(1, 4)):
            picks = []
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.3:
                    value = f"X{rng.randint(0, 99)}"
                    wrong.append(f"The value '{value}' does not exist for the field '{field}'.")
                else:
                    value = rng.choice(real[field])
                picks.append(f'"{value}"')
            clauses.append(f"{field} in ({', '.join(picks)})")
        jql = " AND ".join(clauses)
        fails_exactly_on(jql, wrong, known)


def test_without_a_vocabulary_any_value_parses() -> None:
    assert parse("project = NOPE", now=NOW, me="me").where is not None


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            'status = "In Review',
            "Error in the JQL Query: The quoted string 'In Review' has not been completed."
            " (line 1, character 10)",
        ),
        (
            "project = ZEN AND\n  status = = Done",
            "Error in the JQL Query: Expecting either a value, list or function but got '='."
            " You must surround '=' in quotation marks to use it as a value."
            " (line 2, character 12)",
        ),
        (
            "project ZEN",
            "Error in the JQL Query: Expecting operator but got 'ZEN'. The valid operators are"
            " '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
            " (line 1, character 9)",
        ),
    ],
)
async def test_a_syntax_error_is_the_one_message_and_says_where(
    jira_client: httpx.AsyncClient, jql: str, message: str
) -> None:
    """Jira stops at a syntax error (a value check after it is not reported) and says where,
    counting lines and characters from 1."""
    r = await search(jira_client, f"{jql} AND project = NOPE" if "\n" in jql else jql)
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [message], "errors": {}}


# -- issue keys, sprints and users: Jira's own sentences (see the jql module's docstring) -----
def no_key(key: str, field: str = "key") -> str:
    return f"An issue with key '{key}' does not exist for field '{field}'."


@pytest.mark.parametrize(
    ("jql", "messages"),
    [
        ("key = NOPE-1", [no_key("NOPE-1")]),
        ("issuekey = ZEN-99999", [no_key("ZEN-99999", "issuekey")]),
        (
            "issue in (ZEN-1, NOPE-1, NOPE-2)",
            [no_key("NOPE-1", "issue"), no_key("NOPE-2", "issue")],
        ),
        ("key = nonsense", ["The issue key 'nonsense' for field 'key' is invalid."]),
        ("key = 99999999", ["A value with ID '99999999' does not exist for the field 'key'."]),
        (
            'sprint = "No Such Sprint"',
            [
                "Sprint with name 'No Such Sprint' does not exist or you do not have "
                "permission to view it."
            ],
        ),
        (
            "project = NOPE AND key = NOPE-1",
            [NOPE, no_key("NOPE-1")],  # every problem, in the order written
        ),
    ],
)
async def test_unknown_issue_key_or_sprint_is_a_400_in_jiras_words(
    jira_client: httpx.AsyncClient, jql: str, messages: list[str]
) -> None:
    r = await search(jira_client, jql)
    assert r.status_code == 400, r.text
    assert r.json() == {"errorMessages": messages, "errors": {}}


async def test_known_keys_ids_and_sprints_run(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    one, two = sorted(jira.issues.values(), key=lambda i: i.id)[:2]
    sprint = SPRINTS[next(i.sprint for i in jira.issues.values() if i.sprint is not None)]
    for jql, expected in (
        (f"key = {one.key.lower()}", {one.key}),
        (f"issue in ({one.key}, {two.id})", {one.key, two.key}),
        (
            f'sprint = "{sprint.name}"',
            {i.key for i in jira.issues.values() if i.sprint == sprint.id},
        ),
        (f"sprint = {sprint.id}", {i.key for i in jira.issues.values() if i.sprint == sprint.id}),
    ):
        r = await search(jira_client, jql)
        assert r.status_code == 200, (jql, r.text)
        assert {i["key"] for i in r.json()["issues"]} == expected, jql


async def test_a_hidden_projects_issue_key_does_not_exist(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    ops = next(i for i in jira.issues.values() if i.project == "OPS")
    jira.hidden_projects = "OPS"
    r = await search(jira_client, f"key = {ops.key}")
    assert r.status_code == 400 and r.json()["errorMessages"] == [no_key(ops.key)]


async def test_an_unknown_user_is_no_error_the_clause_matches_nothing(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    """Jira reports a user it does not know as a warning, not an error, and runs the query;
    /search/jql's answer has no place for warnings: a 200 with what the rest matches."""
    alone = await search(jira_client, "assignee = nobody_here")
    assert alone.status_code == 200, alone.text
    assert alone.json()["issues"] == []
    either = await search(jira_client, "assignee = nobody_here OR project = WEB")
    assert either.status_code == 200
    web = {i.key for i in jira.issues.values() if i.project == "WEB"}
    assert {i["key"] for i in either.json()["issues"]} == web
    assert set(either.json()) <= {"issues", "isLast", "nextPageToken"}  # no warning field


def test_random_key_and_sprint_queries_error_exactly_on_what_does_not_exist(
    jira: JiraSim,
) -> None:
    """Seeded random JQL over real and made-up issue keys, ids and sprints, under each of the
    key field's three names: the parse fails exactly when one is missing, naming each once,
    in the order written, in the sentence for its kind."""
    rng = random.Random(61206)
    known = jira.known()
    issues = list(jira.issues.values())
    sprints = list(SPRINTS.values())
    for _ in range(300):
        clauses, wrong = [], []
        for _ in range(rng.randint(1, 3)):
            field = rng.choice(["key", "issuekey", "issue", "sprint"])
            picks = []
            for _ in range(rng.randint(1, 3)):
                value, why = _pick(rng, field, issues, sprints)
                picks.append(f'"{value}"')
                if why:
                    wrong.append(why)
            clauses.append(f"{field} in ({', '.join(picks)})")
        jql = rng.choice([" AND ", " OR "]).join(clauses)
        fails_exactly_on(jql, wrong, known)


def fails_exactly_on(jql: str, wrong: list[str], known: Known) -> None:
    """The parse of `jql` fails exactly when `wrong` names something, and then says each of
    `wrong` once, in the order written."""
    try:
        parse(jql, now=NOW, me="me", known=known)
    except JqlError as exc:
        assert list(exc.messages) == list(dict.fromkeys(wrong)), jql
    else:
        assert not wrong, jql


def _pick(
    rng: random.Random, field: str, issues: list[JiraIssue], sprints: list[Sprint]
) -> tuple[str, str]:
    """A value for `field` and, when it names nothing, the error Jira gives for it."""
    roll = rng.random()
    if field == "sprint":
        if roll < 0.3:
            name = f"Sprint {rng.randint(100, 999)}"
            return name, f"Sprint with name '{name}' does not exist or you do not have " + (
                "permission to view it."
            )
        sprint = rng.choice(sprints)
        return (sprint.name if roll < 0.65 else str(sprint.id)), ""
    if roll < 0.15:
        key = f"NOPE-{rng.randint(1, 99)}"
        return key, f"An issue with key '{key}' does not exist for field '{field}'."
    if roll < 0.25:
        number = str(rng.randint(10**8, 10**9))
        return number, f"A value with ID '{number}' does not exist for the field '{field}'."
    if roll < 0.3:
        return "no-key", f"The issue key 'no-key' for field '{field}' is invalid."
    issue = rng.choice(issues)
    return (issue.key if roll < 0.8 else str(issue.id)), ""
