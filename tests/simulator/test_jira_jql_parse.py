"""The Jira simulator's POST /rest/api/3/jql/parse, as Atlassian's REST spec documents it.

Each query comes back with its `errors` and `warnings` under `validation` (strict, the
default; warn; none). The spec's example answer (tests/contracts/jira-cloud-platform/examples/
POST_jql_parse.200.json) is the source of the words and of which finding is which: a syntax
error, an unknown field and an unsupported operator are errors; `project = INVALID` is a
warning (under warn). A user Jira does not know is a warning, as Jira's user clauses report it.
Before this the path was Jira's JSON 404 (unrouted).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.simulator.jira_helpers import API, NOW
from zen_tui.simulator.jira.jql import validate
from zen_tui.simulator.jira.service import JiraSim

EXAMPLES = Path(__file__).parents[1] / "contracts" / "jira-cloud-platform" / "examples"
BOBB = "The value 'bobb' does not exist for the field 'assignee'."


async def parsed(
    client: httpx.AsyncClient, queries: list[str], mode: str | None = None
) -> list[dict[str, Any]]:
    params = {} if mode is None else {"validation": mode}
    resp = await client.post(f"{API}/jql/parse", params=params, json={"queries": queries})
    assert resp.status_code == 200, resp.text
    answers: list[dict[str, Any]] = resp.json()["queries"]
    return answers


async def test_unknown_user_is_a_warning_in_jiras_words(jira_client: httpx.AsyncClient) -> None:
    (answer,) = await parsed(jira_client, ['assignee = "bobb" ORDER BY updated DESC'], "warn")
    assert answer == {"query": 'assignee = "bobb" ORDER BY updated DESC', "warnings": [BOBB]}
    # strict reports it as a warning too: the search runs it, matching nothing
    (strict,) = await parsed(jira_client, ['assignee = "bobb"'])
    assert strict.get("warnings") == [BOBB] and "errors" not in strict
    search = {"jql": 'assignee = "bobb"', "fields": ["key"]}
    resp = await jira_client.post(f"{API}/search/jql", json=search)
    assert resp.status_code == 200 and resp.json()["issues"] == []


async def test_known_users_and_functions_are_clean(
    jira_client: httpx.AsyncClient, jira: JiraSim
) -> None:
    someone = next(u for u in jira.users.values() if u.account_id != jira.me)
    queries = [
        f"assignee = {someone.account_id}",
        f'reporter in ("{someone.email}", currentUser())',
        "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC",
        "assignee is EMPTY",
    ]
    answers = await parsed(jira_client, queries, "warn")
    assert [{k: v for k, v in a.items() if k != "structure"} for a in answers] == [
        {"query": q} for q in queries
    ]
    assert all("structure" in a for a in answers)  # clean: its syntax tree, as Jira answers


async def test_the_specs_example_queries_get_the_specs_findings(
    jira_client: httpx.AsyncClient,
) -> None:
    """The spec's example: same errors and warnings, in its words, under warn, and, as there,
    no `structure` beside them (its first two queries use CHANGED, lastCommentedBy and entity
    properties, which the simulator does not read)."""
    request = json.loads((EXAMPLES / "POST_jql_parse.request.json").read_text())
    expected = json.loads((EXAMPLES / "POST_jql_parse.200.json").read_text())["queries"]
    answers = await parsed(jira_client, request["queries"][2:], "warn")
    for got, want in zip(answers, expected[2:], strict=True):
        assert got.get("errors") == want.get("errors"), want["query"]
        assert got.get("warnings") == want.get("warnings"), want["query"]
        assert "structure" not in got and "structure" not in want, want["query"]


async def test_strict_makes_a_missing_value_an_error_and_none_checks_only_syntax(
    jira_client: httpx.AsyncClient,
) -> None:
    queries = ["project = INVALID", "universe = 42", 'assignee = "bobb"', "invalid query"]
    strict = await parsed(jira_client, queries, "strict")
    assert strict[0] == {
        "query": "project = INVALID",
        "errors": ["The value 'INVALID' does not exist for the field 'project'."],
    }
    none = await parsed(jira_client, queries, "none")
    assert [a.get("errors") for a in none] == [None, None, None, strict[3]["errors"]]
    assert all("warnings" not in a for a in none)


async def test_every_finding_is_listed_in_order(jira_client: httpx.AsyncClient) -> None:
    (answer,) = await parsed(
        jira_client,
        ['assignee = bobb AND project = NOPE AND universe = 1 AND reporter = "x y"'],
        "warn",
    )
    assert answer["errors"] == [
        "Field 'universe' does not exist or you do not have permission to view it."
    ]
    assert answer["warnings"] == [
        BOBB,
        "The value 'NOPE' does not exist for the field 'project'.",
        "The value 'x y' does not exist for the field 'reporter'.",
    ]


@pytest.mark.parametrize(
    ("mode", "body"),
    [("loose", {"queries": ["project = ZEN"]}), ("warn", {"queries": "project = ZEN"})],
)
async def test_bad_requests_are_a_400(
    jira_client: httpx.AsyncClient, mode: str, body: dict[str, Any]
) -> None:
    resp = await jira_client.post(f"{API}/jql/parse", params={"validation": mode}, json=body)
    assert resp.status_code == 400 and resp.json()["errorMessages"]


def test_an_unknown_user_is_no_search_error() -> None:
    """validate() and a search share one parser: the search's 400 leaves the user out."""
    errors, warnings = validate(
        "assignee = bobb", "strict", now=NOW, me="me", known={}, people=frozenset({"ann"})
    )
    assert (errors, warnings) == ([], [BOBB])


FIELD = {"name": "status", "encodedName": "status"}


async def test_a_clean_query_comes_with_its_syntax_tree(jira_client: httpx.AsyncClient) -> None:
    """The spec's JqlQuery as its example writes it: one clause as it is, clauses joined by
    AND/OR as a CompoundClause (AND binding tighter, one level per run of the same
    operator), NOT as a compound of one; a field and a value by name as written and quoted
    only where JQL needs it; a list, a function, EMPTY; ORDER BY's direction when given."""
    jql = (
        'project = ZEN AND (status in ("In Progress", Done) OR assignee = currentUser())'
        " AND NOT labels is EMPTY AND summary ~ 'a \"b\"' ORDER BY updated DESC, key"
    )
    (answer,) = await parsed(jira_client, [jql], "warn")
    assert answer == {
        "query": jql,
        "structure": {
            "where": {
                "operator": "and",
                "clauses": [
                    {
                        "field": {"name": "project", "encodedName": "project"},
                        "operator": "=",
                        "operand": {"value": "ZEN", "encodedValue": "ZEN"},
                    },
                    {
                        "operator": "or",
                        "clauses": [
                            {
                                "field": FIELD,
                                "operator": "in",
                                "operand": {
                                    "values": [
                                        {
                                            "value": "In Progress",
                                            "encodedValue": '"In Progress"',
                                        },
                                        {"value": "Done", "encodedValue": "Done"},
                                    ],
                                    "encodedOperand": '("In Progress", Done)',
                                },
                            },
                            {
                                "field": {"name": "assignee", "encodedName": "assignee"},
                                "operator": "=",
                                "operand": {
                                    "function": "currentUser",
                                    "arguments": [],
                                    "encodedOperand": "currentUser()",
                                },
                            },
                        ],
                    },
                    {
                        "operator": "not",
                        "clauses": [
                            {
                                "field": {"name": "labels", "encodedName": "labels"},
                                "operator": "is",
                                "operand": {"keyword": "empty"},
                            }
                        ],
                    },
                    {
                        "field": {"name": "summary", "encodedName": "summary"},
                        "operator": "~",
                        "operand": {"value": 'a "b"', "encodedValue": '"a \\"b\\""'},
                    },
                ],
            },
            "orderBy": {
                "fields": [
                    {"field": {"name": "updated", "encodedName": "updated"}, "direction": "desc"},
                    {"field": {"name": "key", "encodedName": "key"}},
                ]
            },
        },
    }


async def test_the_tree_has_no_where_without_clauses_and_none_beside_findings(
    jira_client: httpx.AsyncClient,
) -> None:
    """ORDER BY alone: only `orderBy`. A query with a warning or an error: no tree (the
    spec's example). Under validation=none nothing is checked: the tree comes back. `!~`,
    which the spec's FieldValueClause has no operator for: no tree rather than a wrong one."""
    queries = ["ORDER BY created ASC", 'assignee = "bobb"', "summary !~ x", "project = NOPE"]
    warned = await parsed(jira_client, queries, "warn")
    assert warned[0]["structure"] == {
        "orderBy": {
            "fields": [{"field": {"name": "created", "encodedName": "created"}, "direction": "asc"}]
        }
    }
    assert [("structure" in a, bool(a.get("warnings"))) for a in warned[1:]] == [
        (False, True),
        (False, False),
        (False, True),
    ]
    unchecked = await parsed(jira_client, queries[3:], "none")
    assert unchecked[0]["structure"]["where"]["operand"] == {
        "value": "NOPE",
        "encodedValue": "NOPE",
    }
