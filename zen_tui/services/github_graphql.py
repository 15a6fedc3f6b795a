"""PR row fields from GitHub's GraphQL API: one search query per PR section, up to 100 PRs.

The REST search (ETag, 304s for free) still lists a section's items; this query adds what a
listing lacks and REST would need 3-4 reads per PR for: the review decision, every reviewer's
latest opinion, requested users and teams, mergeability, and the head commit's checks rollup
(commit statuses and Actions check runs together). It costs a few points of the separate
`graphql` budget (1 search + 100 PRs x 3 connections = 301 requests -> 3 points; 20,200
nodes of GitHub's 500,000 a query). Points count connections, not the nodes they return, so
smaller pages or a `states` filter would cost no less: the pages stay at 100, so no
reviewer or request is missed.

The reviewers' opinions are those of people with write access (`writersOnly`): when no
branch protection gives a `reviewDecision`, the row's decision is then the one GitHub's
would be (an outside contributor's approval neither approves nor blocks).
"""

from __future__ import annotations

from typing import Any

import msgspec

from zen_tui.services.fields import Reader

ROWS_QUERY = """
query PullRequestRows($query: String!, $first: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  search(query: $query, type: ISSUE, first: $first, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number
        isDraft
        headRefName
        repository { nameWithOwner }
        reviewDecision
        mergeable
        mergeStateStatus
        latestOpinionatedReviews(first: 100, writersOnly: true) {
          nodes { author { login } state }
        }
        reviewRequests(first: 100) {
          totalCount
          nodes {
            requestedReviewer {
              __typename
              ... on User { login }
              ... on Bot { login }
              ... on Mannequin { login }
              ... on Team { combinedSlug }
            }
          }
        }
        commits(last: 1) { nodes { commit { statusCheckRollup { state } } } }
      }
    }
  }
}
"""
MAX_ROWS = 100  # GitHub's `first` limit on the search connection
_DECISIONS = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "changes_requested",
    "REVIEW_REQUIRED": "review_required",
}
# StatusState of the rollup -> the row's check status (EXPECTED: a required check not yet run).
_ROLLUP = {
    "SUCCESS": "success",
    "FAILURE": "failure",
    "ERROR": "failure",
    "PENDING": "pending",
    "EXPECTED": "pending",
}
_MERGEABLE = {"MERGEABLE": True, "CONFLICTING": False}


class RowAnswer(msgspec.Struct, frozen=True):
    """What one query said: fields per PR key ('owner/repo#12'), and what went wrong."""

    rows: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    errors: tuple[str, ...] = ()
    cost: int | None = None
    nodes: int = 0  # search results on this page (PRs or not)
    next_cursor: str | None = None  # where the next page starts, if there is one

    def then(self, later: RowAnswer) -> RowAnswer:
        """This page and a later one as one answer."""
        return RowAnswer(
            rows={**self.rows, **later.rows},
            errors=self.errors + later.errors,
            cost=(self.cost or 0) + (later.cost or 0),
            nodes=self.nodes + later.nodes,
            next_cursor=later.next_cursor,
        )


def graphql_url(base_url: str) -> str:
    """github.com: {base}/graphql; GitHub Enterprise: /api/v3 -> /api/graphql."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return "/graphql"  # relative: the gateway puts it under the account's base URL


def search_query(query: str) -> str:
    """The section's search, newest-updated first like the REST listing it enriches."""
    return query if "sort:" in query else f"{query} sort:updated-desc"


def parse_rows(r: Reader, body: Any) -> RowAnswer:
    """A GraphQL answer -> row fields. `errors` beside `data` keep what `data` has."""
    root = r.root(body)
    errors = tuple(_error_text(r, e) for e in r.opt_arr(root, "errors"))
    data = r.opt_obj(root, "data")
    search = r.opt_obj(data, "search") if data else None
    if search is None:
        return RowAnswer(errors=errors or ("no search in the answer",))
    rows: dict[str, dict[str, Any]] = {}
    for node in r.opt_arr(search, "nodes"):
        if not isinstance(node, dict) or "number" not in node:
            continue  # an issue (no PR fields asked), or a node GitHub could not resolve
        repo = r.text(r.obj(node, "repository"), "nameWithOwner")
        rows[f"{repo}#{r.integer(node, 'number')}"] = _row(r, node)
    rate = r.opt_obj(data, "rateLimit") if data else None
    cost = r.opt_integer(rate, "cost") if rate else None
    page = r.opt_obj(search, "pageInfo") or {}
    more = r.opt_bool(page, "hasNextPage")
    cursor = r.opt_text(page, "endCursor") if more else None
    nodes = len(r.opt_arr(search, "nodes"))
    return RowAnswer(rows=rows, errors=errors, cost=cost, nodes=nodes, next_cursor=cursor)


def _row(r: Reader, node: dict[str, Any]) -> dict[str, Any]:
    requested = tuple(
        name
        for req in r.opt_arr(r.opt_obj(node, "reviewRequests") or {}, "nodes")
        if (name := _reviewer(r, r.opt_obj(req, "requestedReviewer")))
    )
    opinions = tuple(
        (_login(r, review), r.text(review, "state"))
        for review in r.opt_arr(r.opt_obj(node, "latestOpinionatedReviews") or {}, "nodes")
    )
    decision = _DECISIONS.get(r.opt_text(node, "reviewDecision") or "")
    if decision is None:  # no branch protection asks for reviews: say what the reviews say
        decision = _opinion(opinions, bool(requested))
    return {
        "draft": bool(r.opt_bool(node, "isDraft")),
        "branch": r.opt_text(node, "headRefName") or "",
        "review_decision": decision,
        "requested_reviewers": requested,
        "mergeable": _MERGEABLE.get(r.opt_text(node, "mergeable") or ""),
        "check_status": _checks(r, node),
    }


def _reviewer(r: Reader, who: dict[str, Any] | None) -> str | None:
    """A user by login; a team as 'org/slug', the way GitHub writes a team mention."""
    if who is None:
        return None  # a reviewer the token may not see
    return r.opt_text(who, "combinedSlug") or r.opt_text(who, "login")


def _login(r: Reader, review: dict[str, Any]) -> str:
    author = r.opt_obj(review, "author")
    return (r.opt_text(author, "login") if author else None) or "ghost"


def _opinion(opinions: tuple[tuple[str, str], ...], waiting: bool) -> str | None:
    states = {state for _, state in opinions}
    if "CHANGES_REQUESTED" in states:
        return "changes_requested"
    if "APPROVED" in states:
        return "approved"
    return "review_required" if waiting else None


def _checks(r: Reader, node: dict[str, Any]) -> str | None:
    """The head commit's rollup of statuses and check runs; None when it has neither."""
    commits = r.opt_arr(r.opt_obj(node, "commits") or {}, "nodes")
    if not commits:
        return None
    commit = r.opt_obj(commits[-1], "commit") or {}
    rollup = r.opt_obj(commit, "statusCheckRollup")
    return _ROLLUP.get(r.opt_text(rollup, "state") or "") if rollup else None


def _error_text(r: Reader, error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:200]
    path = ".".join(str(p) for p in error.get("path") or ())
    kind = r.opt_text(error, "type")
    message = " ".join(str(error.get("message") or "error").split())[:200]
    return " ".join(part for part in (kind, path and f"at {path}:", message) if part)
