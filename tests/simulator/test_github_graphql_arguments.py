"""The simulated GitHub GraphQL API honours the arguments GitHub's schema gives the fields
zen-tui's queries use, and refuses what GitHub refuses in GitHub's words.

Arguments: GitHub's GraphQL reference (docs.github.com/en/graphql/reference: objects
PullRequest, StatusCheckRollup; queries search, rateLimit). Refusals: answers api.github.com
sent (graphql-ruby's static validation), e.g. `Field 'history' doesn't accept argument
'orderBy'` with `extensions.code` `argumentNotAccepted` and a path through `... on Commit`.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType

from tests.simulator.github_helpers import graphql, open_pr
from zen_tui.services.github_graphql import ROWS_QUERY
from zen_tui.simulator.github.graphql_api import SCHEMA
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.github.state import ME, Item

CONNECTION = {"after", "before", "first", "last"}
# Each field zen-tui's queries use (or the brief's PR review fields) -> its documented arguments.
DOCUMENTED = {
    ("Query", "search"): CONNECTION | {"query", "type"},
    ("Query", "rateLimit"): {"dryRun"},
    ("PullRequest", "reviews"): CONNECTION | {"author", "states"},
    ("PullRequest", "latestReviews"): CONNECTION,
    ("PullRequest", "latestOpinionatedReviews"): CONNECTION | {"writersOnly"},
    ("PullRequest", "reviewRequests"): CONNECTION,
    ("PullRequest", "commits"): CONNECTION,
    ("StatusCheckRollup", "contexts"): CONNECTION,
}

REVIEWS = """
query($q: String!, $states: [PullRequestReviewState!], $author: String, $after: String) {
  search(query: $q, type: ISSUE, first: 100) { nodes { ... on PullRequest {
    number
    reviews(first: 2, after: $after, states: $states, author: $author) {
      totalCount nodes { author { login } state body } pageInfo { hasNextPage endCursor }
    }
  } } }
}
"""


def test_the_schema_gives_each_field_the_arguments_github_documents() -> None:
    for (type_name, field), args in DOCUMENTED.items():
        owner = SCHEMA.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType)
        assert set(owner.fields[field].args) == args, (type_name, field)
    assert str(SCHEMA.get_type("PullRequest").fields["reviews"].args["states"].type) == (  # type: ignore[union-attr]
        "[PullRequestReviewState!]"
    )


def _reviewed(sim: GitHubSim) -> Item:
    """An open PR whose reviews are, in order: alice changes, bob comments, alice approves,
    Carol comments, my own pending review."""
    pr = open_pr(sim)
    pr.reviews.clear()
    for user, body, state in [
        ("alice", "no", "CHANGES_REQUESTED"),
        ("bob", "hm", "COMMENTED"),
        ("alice", "ok", "APPROVED"),
        ("carol", "nit", "COMMENTED"),
        (ME, "draft", "PENDING"),
    ]:
        sim.state.add_review(pr, user, body, state)
    return pr


async def _pr_reviews(gh: Any, pr: Item, **variables: Any) -> dict[str, Any]:
    body = (await graphql(gh, REVIEWS, q=f"repo:{pr.repo.full_name} is:pr", **variables)).json()
    assert "errors" not in body, body
    return next(n for n in body["data"]["search"]["nodes"] if n.get("number") == pr.number)[
        "reviews"
    ]


def _said(reviews: dict[str, Any]) -> list[tuple[str, str]]:
    return [(n["author"]["login"], n["state"]) for n in reviews["nodes"]]


async def test_reviews_states_keeps_only_those_states_and_pages_over_them(gh, sim) -> None:
    pr = _reviewed(sim)
    comments = await _pr_reviews(gh, pr, states=["COMMENTED"])
    assert comments["totalCount"] == 2
    assert _said(comments) == [("bob", "COMMENTED"), ("carol", "COMMENTED")]
    assert not comments["pageInfo"]["hasNextPage"]

    opinions = await _pr_reviews(gh, pr, states=["APPROVED", "CHANGES_REQUESTED", "COMMENTED"])
    assert opinions["totalCount"] == 4 and opinions["pageInfo"]["hasNextPage"]
    rest = await _pr_reviews(
        gh,
        pr,
        states=["APPROVED", "CHANGES_REQUESTED", "COMMENTED"],
        after=opinions["pageInfo"]["endCursor"],
    )
    assert _said(opinions) + _said(rest) == [
        ("alice", "CHANGES_REQUESTED"),
        ("bob", "COMMENTED"),
        ("alice", "APPROVED"),
        ("carol", "COMMENTED"),
    ]


async def test_reviews_states_pending_is_only_the_viewers_own(gh, sim) -> None:
    pr = _reviewed(sim)
    sim.state.add_review(pr, "dave", "not sent", "PENDING")  # another person's: never shown
    pending = await _pr_reviews(gh, pr, states=["PENDING"])
    assert _said(pending) == [(ME, "PENDING")]


async def test_reviews_author_filters_by_login_ignoring_case(gh, sim) -> None:
    pr = _reviewed(sim)
    alice = await _pr_reviews(gh, pr, author="Alice")
    assert _said(alice) == [("alice", "CHANGES_REQUESTED"), ("alice", "APPROVED")]
    both = await _pr_reviews(gh, pr, author="alice", states=["APPROVED"])
    assert [n["body"] for n in both["nodes"]] == ["ok"]
    assert (await _pr_reviews(gh, pr, author="nobody"))["totalCount"] == 0
    everyone = await _pr_reviews(gh, pr)  # neither given: every review the viewer may see
    assert everyone["totalCount"] == 5


OPINIONS = """
query($q: String!, $writers: Boolean) {
  search(query: $q, type: ISSUE, first: 100) { nodes { ... on PullRequest {
    number reviewDecision
    latestOpinionatedReviews(first: 10, writersOnly: $writers) { nodes { author { login } } }
    all: latestOpinionatedReviews(first: 10) { nodes { author { login } } }
  } } }
}
"""


async def test_writers_only_leaves_out_reviewers_without_write_access(gh, sim) -> None:
    """An outside contributor's approval is listed, but not with `writersOnly: true`, and it
    does not approve: GitHub counts approvals from people with write access."""
    pr = open_pr(sim)
    pr.reviews.clear()
    sim.state.add_review(pr, "mallory", "lgtm", "APPROVED")
    pr.repo.read_only.add("mallory")
    q = f"repo:{pr.repo.full_name} is:pr"
    body = (await graphql(gh, OPINIONS, q=q, writers=True)).json()
    row = next(n for n in body["data"]["search"]["nodes"] if n.get("number") == pr.number)
    assert row["latestOpinionatedReviews"]["nodes"] == []
    assert row["all"]["nodes"] == [{"author": {"login": "mallory"}}]  # default: false
    assert row["reviewDecision"] == "REVIEW_REQUIRED"

    pr.repo.read_only.discard("mallory")  # given write access: the same review counts
    body = (await graphql(gh, OPINIONS, q=q, writers=True)).json()
    row = next(n for n in body["data"]["search"]["nodes"] if n.get("number") == pr.number)
    assert row["latestOpinionatedReviews"]["nodes"] == [{"author": {"login": "mallory"}}]
    assert row["reviewDecision"] == "APPROVED"

    pr.repo.requires_review = False  # no branch protection asks for a review: no decision
    body = (await graphql(gh, OPINIONS, q=q, writers=True)).json()
    row = next(n for n in body["data"]["search"]["nodes"] if n.get("number") == pr.number)
    assert row["reviewDecision"] is None


async def test_rate_limit_dry_run_costs_the_query_and_spends_nothing(gh, sim) -> None:
    variables = {"query": "is:pr is:open", "first": 100}
    dry = ROWS_QUERY.replace("rateLimit {", "rateLimit(dryRun: true) {")
    body = (await graphql(gh, dry, **variables)).json()
    assert body == {"data": {"rateLimit": body["data"]["rateLimit"]}}  # the query not run
    assert body["data"]["rateLimit"]["cost"] == 3
    assert body["data"]["rateLimit"]["remaining"] == 5000
    assert sim.world.counters.quota_spent[("github", "graphql")] == 0

    by_variable = ROWS_QUERY.replace("$after: String)", "$after: String, $dry: Boolean)")
    by_variable = by_variable.replace("rateLimit {", "rateLimit(dryRun: $dry) {")
    body = (await graphql(gh, by_variable, dry=True, **variables)).json()
    assert set(body["data"]) == {"rateLimit"} and body["data"]["rateLimit"]["cost"] == 3
    assert sim.world.counters.quota_spent[("github", "graphql")] == 0

    real = (await graphql(gh, ROWS_QUERY, **variables)).json()["data"]
    assert real["rateLimit"]["cost"] == 3 and real["search"]["nodes"]
    assert sim.world.counters.quota_spent[("github", "graphql")] == 3


ASKS_FOO = """query Rows {
  search(query: "is:pr", type: ISSUE, first: 1) { nodes { ... on PullRequest {
    mine: reviews(first: 1, foo: 2) { totalCount }
  } } }
}"""


async def test_an_argument_the_field_lacks_is_refused_in_githubs_words(gh, sim) -> None:
    resp = await graphql(gh, ASKS_FOO)
    assert resp.status_code == 200
    assert resp.json() == {
        "errors": [
            {
                "message": "Field 'reviews' doesn't accept argument 'foo'",
                "locations": [{"line": 3, "column": 29}],
                "path": ["query Rows", "search", "nodes", "... on PullRequest", "mine", "foo"],
                "extensions": {
                    "code": "argumentNotAccepted",
                    "name": "reviews",
                    "typeName": "Field",
                    "argumentName": "foo",
                },
            }
        ]
    }
    assert sim.world.counters.quota_spent[("github", "graphql")] == 0  # refused: not charged


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "{ viewer { nope } }",
            {
                "message": "Field 'nope' doesn't exist on type 'User'",
                "path": ["query", "viewer", "nope"],
                "extensions": {"code": "undefinedField", "typeName": "User", "fieldName": "nope"},
            },
        ),
        (
            '{ search(query: "is:pr") { issueCount } }',
            {
                "message": "Field 'search' is missing required arguments: type",
                "path": ["query", "search"],
                "extensions": {
                    "code": "missingRequiredArguments",
                    "className": "Field",
                    "name": "search",
                    "arguments": "type",
                },
            },
        ),
        (
            '{ search(query: "is:pr", type: ISSUE, first: 1) { nodes { ... on PullRequest '
            "{ reviews(first: 1, states: [LGTM]) { totalCount } } } } }",
            {
                "message": "Argument 'states' on Field 'reviews' has an invalid value ([LGTM]). "
                "Expected type '[PullRequestReviewState!]'.",
                "path": ["query", "search", "nodes", "... on PullRequest", "reviews", "states"],
                "extensions": {
                    "code": "argumentLiteralsIncompatible",
                    "typeName": "Field",
                    "argumentName": "states",
                },
            },
        ),
    ],
)
async def test_other_refusals_are_in_githubs_words(gh, query: str, error: dict) -> None:
    [said] = (await graphql(gh, query)).json()["errors"]
    del said["locations"]
    assert said == error


async def test_zen_tuis_own_query_passes(gh, sim) -> None:
    body = (await graphql(gh, ROWS_QUERY, query="is:pr is:open", first=100)).json()
    assert "errors" not in body and body["data"]["search"]["nodes"]
