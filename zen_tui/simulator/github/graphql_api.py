"""GitHub's GraphQL API (`POST /graphql`), the part a PR dashboard reads, on graphql-core.

The schema is a subset of GitHub's public one: the types, fields, arguments and enum values
below are spelt as GitHub spells them, so a query written for github.com runs here unchanged
(and one that uses a field GitHub lacks fails here too). What a client can tell is faithful:
connections need `first` or `last` (at most 100), the cost in points is computed before the
query runs (one request per connection, multiplied down the nesting, /100, at least 1) and
spent from its own `graphql` budget (`x-ratelimit-resource: graphql`), and errors come back
as HTTP 200 with an `errors` list, beside whatever `data` could still be resolved. The
arguments GitHub documents are honoured (`reviews(states:, author:)`,
`latestOpinionatedReviews(writersOnly:)`, `rateLimit(dryRun:)`), and a query GitHub would
refuse (an argument or field the schema lacks) is refused in GitHub's words (graphql_rules).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.utilities import value_from_ast_untyped

from zen_tui.simulator.github.dates import BadDate, sort_qualifier
from zen_tui.simulator.github.graphql_rules import GITHUB_RULES
from zen_tui.simulator.github.query import MAX_QUERY, TOO_LONG_MESSAGE, BadQuery, one_type
from zen_tui.simulator.github.query import parse as parse_query
from zen_tui.simulator.github.render import HTML, iso, node_id, sha_of
from zen_tui.simulator.github.state import TEAMS, GitHubState, Item, Review, as_caller

if TYPE_CHECKING:
    from zen_tui.simulator.github.http import Bucket

MAX_PAGE = 100  # GitHub: `first`/`last` may not exceed 100 on any connection
MAX_NODES = 500_000  # GitHub refuses a query that could return more nodes than this
SEARCH_CAP = 1000  # search reaches at most 1,000 results (GraphQL reference: Query.search)

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID

interface Node { id: ID! }
interface Actor { avatarUrl(size: Int): URI! login: String! url: URI! }

type User implements Node & Actor {
  avatarUrl(size: Int): URI!
  id: ID!
  login: String!
  name: String
  url: URI!
}
type Bot implements Node & Actor { avatarUrl(size: Int): URI! id: ID! login: String! url: URI! }
type Mannequin implements Node & Actor {
  avatarUrl(size: Int): URI!
  id: ID!
  login: String!
  url: URI!
}
type Team implements Node { combinedSlug: String! id: ID! name: String! slug: String! url: URI! }

type Repository implements Node {
  id: ID!
  isArchived: Boolean!
  name: String!
  nameWithOwner: String!
  url: URI!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type Label implements Node { color: String! id: ID! name: String! }
type LabelEdge { cursor: String! node: Label }
type LabelConnection {
  edges: [LabelEdge]
  nodes: [Label]
  pageInfo: PageInfo!
  totalCount: Int!
}

enum IssueState { CLOSED OPEN }
type Issue implements Node {
  author: Actor
  body: String!
  createdAt: DateTime!
  id: ID!
  labels(after: String, before: String, first: Int, last: Int): LabelConnection
  number: Int!
  repository: Repository!
  state: IssueState!
  title: String!
  updatedAt: DateTime!
  url: URI!
}

enum PullRequestState { CLOSED MERGED OPEN }
enum PullRequestReviewDecision { APPROVED CHANGES_REQUESTED REVIEW_REQUIRED }
enum PullRequestReviewState { APPROVED CHANGES_REQUESTED COMMENTED DISMISSED PENDING }
enum MergeableState { CONFLICTING MERGEABLE UNKNOWN }
enum MergeStateStatus { BEHIND BLOCKED CLEAN DIRTY DRAFT HAS_HOOKS UNKNOWN UNSTABLE }

type PullRequestReview implements Node {
  author: Actor
  body: String!
  id: ID!
  state: PullRequestReviewState!
  submittedAt: DateTime
}
type PullRequestReviewEdge { cursor: String! node: PullRequestReview }
type PullRequestReviewConnection {
  edges: [PullRequestReviewEdge]
  nodes: [PullRequestReview]
  pageInfo: PageInfo!
  totalCount: Int!
}

union RequestedReviewer = Bot | Mannequin | Team | User
type ReviewRequest implements Node {
  asCodeOwner: Boolean!
  id: ID!
  requestedReviewer: RequestedReviewer
}
type ReviewRequestEdge { cursor: String! node: ReviewRequest }
type ReviewRequestConnection {
  edges: [ReviewRequestEdge]
  nodes: [ReviewRequest]
  pageInfo: PageInfo!
  totalCount: Int!
}

enum StatusState { ERROR EXPECTED FAILURE PENDING SUCCESS }
enum CheckStatusState { COMPLETED IN_PROGRESS PENDING QUEUED REQUESTED WAITING }
enum CheckConclusionState {
  ACTION_REQUIRED CANCELLED FAILURE NEUTRAL SKIPPED STALE STARTUP_FAILURE SUCCESS TIMED_OUT
}
type CheckRun implements Node {
  completedAt: DateTime
  conclusion: CheckConclusionState
  detailsUrl: URI
  id: ID!
  name: String!
  startedAt: DateTime
  status: CheckStatusState!
  url: URI!
}
type StatusContext implements Node {
  context: String!
  createdAt: DateTime!
  description: String
  id: ID!
  state: StatusState!
  targetUrl: URI
}
union StatusCheckRollupContext = CheckRun | StatusContext
type StatusCheckRollupContextEdge { cursor: String! node: StatusCheckRollupContext }
type StatusCheckRollupContextConnection {
  checkRunCount: Int!
  edges: [StatusCheckRollupContextEdge]
  nodes: [StatusCheckRollupContext]
  pageInfo: PageInfo!
  statusContextCount: Int!
  totalCount: Int!
}
type StatusCheckRollup implements Node {
  contexts(after: String, before: String, first: Int, last: Int):
    StatusCheckRollupContextConnection!
  id: ID!
  state: StatusState!
}
type Commit implements Node {
  id: ID!
  message: String!
  oid: GitObjectID!
  statusCheckRollup: StatusCheckRollup
}
type PullRequestCommit implements Node { commit: Commit! id: ID! url: URI! }
type PullRequestCommitEdge { cursor: String! node: PullRequestCommit }
type PullRequestCommitConnection {
  edges: [PullRequestCommitEdge]
  nodes: [PullRequestCommit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequest implements Node {
  author: Actor
  body: String!
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
  createdAt: DateTime!
  headRefName: String!
  headRefOid: GitObjectID!
  id: ID!
  isDraft: Boolean!
  labels(after: String, before: String, first: Int, last: Int): LabelConnection
  latestOpinionatedReviews(
    after: String, before: String, first: Int, last: Int, writersOnly: Boolean = false
  ): PullRequestReviewConnection
  latestReviews(after: String, before: String, first: Int, last: Int): PullRequestReviewConnection
  mergeStateStatus: MergeStateStatus!
  mergeable: MergeableState!
  merged: Boolean!
  number: Int!
  repository: Repository!
  reviewDecision: PullRequestReviewDecision
  reviewRequests(after: String, before: String, first: Int, last: Int): ReviewRequestConnection
  reviews(
    after: String,
    author: String,
    before: String,
    first: Int,
    last: Int,
    states: [PullRequestReviewState!]
  ): PullRequestReviewConnection
  state: PullRequestState!
  title: String!
  updatedAt: DateTime!
  url: URI!
}

union SearchResultItem = Issue | PullRequest | Repository | User
enum SearchType { DISCUSSION ISSUE ISSUE_ADVANCED REPOSITORY USER }
type SearchResultItemEdge { cursor: String! node: SearchResultItem }
type SearchResultItemConnection {
  codeCount: Int!
  discussionCount: Int!
  edges: [SearchResultItemEdge]
  issueCount: Int!
  nodes: [SearchResultItem]
  pageInfo: PageInfo!
  repositoryCount: Int!
  userCount: Int!
  wikiCount: Int!
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

input DeleteIssueInput {
  clientMutationId: String
  issueId: ID!
}

type DeleteIssuePayload {
  clientMutationId: String
}

type Mutation {
  deleteIssue(input: DeleteIssueInput!): DeleteIssuePayload
}

type Query {
  rateLimit(dryRun: Boolean = false): RateLimit
  search(
    after: String, before: String, first: Int, last: Int, query: String!, type: SearchType!
  ): SearchResultItemConnection!
  viewer: User!
}
"""

SCHEMA: GraphQLSchema = build_schema(SDL)
_CHECK_CONCLUSIONS = {"success": "SUCCESS", "failure": "FAILURE"}
_ROLLUP = {"success": "SUCCESS", "failure": "FAILURE", "pending": "PENDING"}
_OPINIONS = ("APPROVED", "CHANGES_REQUESTED")


class QueryCost:
    """What a query costs before it runs, as GitHub computes it: every connection is one
    request per parent that may reach it, parents multiplied by `first`/`last` down the
    nesting; the sum / 100, rounded, and at least 1 point."""

    def __init__(self, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._variables = dict(variables)
        self.requests = 0
        self.nodes = 0
        for op in document.definitions:
            if isinstance(op, OperationDefinitionNode):
                self._walk(op.selection_set, 1)

    @property
    def points(self) -> int:
        return max(1, round(self.requests / 100))

    def _walk(self, selections: SelectionSetNode | None, parents: int) -> None:
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                size = self._page_size(node)
                if size is None:
                    self._walk(node.selection_set, parents)
                else:
                    self.requests += parents
                    self.nodes += parents * size
                    self._walk(node.selection_set, parents * size)
            elif isinstance(node, InlineFragmentNode):
                self._walk(node.selection_set, parents)
            elif isinstance(node, FragmentSpreadNode) and node.name.value in self._fragments:
                self._walk(self._fragments[node.name.value].selection_set, parents)

    def _page_size(self, field: FieldNode) -> int | None:
        for arg in field.arguments or ():
            if arg.name.value in ("first", "last"):
                value = value_from_ast_untyped(arg.value, self._variables)
                return value if isinstance(value, int) else 0
        return None


def _rate_limits(
    document: DocumentNode, variables: Mapping[str, Any], *, dry_run: bool = False
) -> list[FieldNode]:
    """The query's `rateLimit` fields (those asking `dryRun: true` only, if `dry_run`)."""
    found = [
        field
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode)
        for field in op.selection_set.selections
        if isinstance(field, FieldNode) and field.name.value == "rateLimit"
    ]
    if not dry_run:
        return found
    return [f for f in found if any(_is_dry(a, variables) for a in f.arguments or ())]


def _is_dry(arg: ArgumentNode, variables: Mapping[str, Any]) -> bool:
    return arg.name.value == "dryRun" and value_from_ast_untyped(arg.value, dict(variables)) is True


def _only(fields: list[FieldNode]) -> DocumentNode:
    """A query of just these root fields."""
    selection = SelectionSetNode(selections=tuple(fields))
    op = OperationDefinitionNode(operation=OperationType.QUERY, selection_set=selection)
    return DocumentNode(definitions=(op,))


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _offset(cursor: Any) -> int:
    try:
        return int(base64.b64decode(str(cursor)).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from None


def connection(
    name: str, rows: list[Any], render: Callable[[Any], dict[str, Any]], args: Mapping[str, Any]
) -> dict[str, Any]:
    """A GitHub connection over `rows`: `first`/`last` required and <= 100, opaque cursors."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError(
            f"You must provide a `first` or `last` value to properly paginate the `{name}` "
            "connection."
        )
    for arg, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise GraphQLError(
                f"Requesting {value} records on the `{name}` connection exceeds the `{arg}` "
                f"limit of {MAX_PAGE} records."
            )
    start = _offset(args["after"]) + 1 if args.get("after") else 0
    end = _offset(args["before"]) if args.get("before") else len(rows)
    window = list(range(start, min(end, len(rows))))
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []
    nodes = [render(rows[i]) for i in window]
    return {
        "nodes": nodes,
        "edges": [{"cursor": _cursor(i), "node": n} for i, n in zip(window, nodes, strict=True)],
        "totalCount": len(rows),
        "pageInfo": {
            "startCursor": _cursor(window[0]) if window else None,
            "endCursor": _cursor(window[-1]) if window else None,
            "hasNextPage": bool(window) and window[-1] < len(rows) - 1,
            "hasPreviousPage": bool(window) and window[0] > 0,
        },
    }


def _paged(name: str, rows: Callable[[], list[Any]], render: Callable[[Any], Any]) -> Any:
    """A connection field: graphql-core calls it with the field's arguments."""
    return lambda _info, **args: connection(name, rows(), render, args)


class GraphQLApi:
    """Resolves queries against the simulated GitHub's state; one instance per simulator."""

    def __init__(
        self, state: GitHubState, me: str, on_delete: Callable[[Item], None] | None = None
    ) -> None:
        self.state = state
        self.me = me
        self.on_delete = on_delete  # the service's: forget the issue, send the webhook

    def run(
        self,
        query: str,
        variables: Mapping[str, Any],
        bucket: Bucket,
        scale: float,
        *,
        app_user: bool = False,
        user: str | None = None,
    ) -> tuple[dict[str, Any], int]:
        """The JSON answer and the points it spent (0 when it did not run). `app_user`: the
        token is a GitHub App's user access token (see _search). `user`: whose token asks
        (default the simulated user): `viewer`, and `@me` in a search, are that person."""
        viewer = user or self.me
        try:
            document = parse(query)
        except GraphQLError as err:
            return {"errors": [err.formatted]}, 0
        problems = validate(SCHEMA, document, GITHUB_RULES)
        if problems:
            return {"errors": [e.formatted for e in problems]}, 0
        cost = QueryCost(document, variables)
        if cost.nodes > MAX_NODES:
            message = (
                f"By the time this query traverses to the {cost.nodes}th node, it exceeds "
                f"the maximum limit of {MAX_NODES} nodes total"
            )
            return {"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": message}]}, 0
        dry = _rate_limits(document, variables, dry_run=True)
        limit, remaining, used, reset = bucket.state(scale)
        if remaining < cost.points and not dry:
            again = "already " if remaining == 0 else ""
            message = f"API rate limit {again}exceeded for user ID 1."
            return {"errors": [{"type": "RATE_LIMITED", "message": message}]}, 0
        spent = 0 if dry else cost.points
        bucket.used += spent
        rate = {
            "cost": cost.points,
            "limit": limit,
            "nodeCount": cost.nodes,
            "remaining": remaining - spent,
            "resetAt": iso(reset),
            "used": used + spent,
        }
        root = {
            "rateLimit": lambda _info, **_args: rate,
            "search": partial(self._search, app_user=app_user, viewer=viewer),
            "viewer": lambda _info: self._actor(viewer),
            "deleteIssue": self._delete_issue,
        }
        if dry:  # GraphQL reference, Query.rateLimit(dryRun): "calculate the cost for the
            # query without evaluating it": the rest of the query is not run
            document = _only(_rate_limits(document, variables))
        result = execute_sync(SCHEMA, document, root_value=root, variable_values=dict(variables))
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body, spent

    # ---- Mutation fields ----
    def _delete_issue(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        """GitHub's deleteIssue: an issue (never a pull request) by its node id."""
        wanted = str(input["issueId"])
        item = next(
            (i for i in self.state.items if not i.is_pr and node_id("Issue", i.id) == wanted),
            None,
        )
        if item is None:
            raise GraphQLError(f"Could not resolve to a node with the global id of '{wanted}'")
        if self.on_delete is not None:
            self.on_delete(item)
        return {"clientMutationId": input.get("clientMutationId")}

    # ---- Query fields ----
    def _search(
        self, _info: Any, *, app_user: bool = False, viewer: str, **args: Any
    ) -> dict[str, Any]:
        query = str(args["query"]).strip()
        if len(query) > MAX_QUERY:  # how GraphQL says so is not documented: REST's words
            raise GraphQLError(TOO_LONG_MESSAGE)
        sort, desc = sort_qualifier(query) or ("updated", True)
        try:  # `@me` is the viewer, as in REST search (GitHub docs, "Understanding the search
            # syntax", "Queries with usernames": `@me` is the person viewing the results)
            hits = self.state.search(as_caller(query, viewer), sort, desc)
            # GitHub's GraphQL reference (Queries, note on user-to-server GitHub App
            # requests): a search mixing issues and PRs answers an empty set of nodes.
            if app_user and not one_type(parse_query(query)):
                hits = []
        except (BadDate, BadQuery):
            raise GraphQLError(f"Invalid search query: {query!r}") from None
        if args["type"] not in ("ISSUE", "ISSUE_ADVANCED"):
            hits = []  # repositories, users and discussions are not simulated
        # `issueCount` counts every match; the nodes reach only the first 1,000 (GitHub's
        # GraphQL reference, SearchResultItemConnection).
        out = connection("search", hits[:SEARCH_CAP], partial(self._item, viewer=viewer), args)
        counts = dict.fromkeys(
            ("codeCount", "discussionCount", "repositoryCount", "userCount", "wikiCount"), 0
        )
        return {**out, **counts, "issueCount": len(hits)}

    # ---- objects ----
    def _author(self, login: str) -> dict[str, Any] | None:
        """An `author`: null once the account is deleted, as GitHub answers."""
        return None if login in self.state.deleted_users else self._actor(login)

    def _actor(self, login: str) -> dict[str, Any]:
        uid = self.state.users.get(login, 0)
        return {
            "__typename": "User",
            "id": node_id("User", uid),
            "login": login,
            "name": None,
            "url": f"{HTML}/{login}",
            "avatarUrl": lambda _info, **_a: f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        }

    def _team(self, slug: str) -> dict[str, Any]:
        ident = 100 + sorted(TEAMS).index(slug)
        return {
            "__typename": "Team",
            "id": node_id("Team", ident),
            "slug": slug,
            "name": slug.capitalize(),
            "combinedSlug": f"acme/{slug}",
            "url": f"https://github.com/orgs/acme/teams/{slug}",
        }

    def _item(self, item: Item, *, viewer: str) -> dict[str, Any]:
        repo = item.repo
        common = {
            "id": node_id("PullRequest" if item.is_pr else "Issue", item.id),
            "number": item.number,
            "title": item.title,
            "body": item.body,
            "url": f"{HTML}/{repo.full_name}/{'pull' if item.is_pr else 'issues'}/{item.number}",
            "createdAt": iso(item.created),
            "updatedAt": iso(item.updated),
            "author": self._author(item.user),
            "repository": {
                "id": node_id("Repository", repo.id),
                "name": repo.name,
                "nameWithOwner": repo.full_name,
                "url": f"{HTML}/{repo.full_name}",
                "isArchived": False,
            },
            "labels": _paged("labels", lambda: list(item.labels), lambda n: self._label(item, n)),
        }
        if not item.is_pr:
            return {**common, "__typename": "Issue", "state": item.state.upper()}
        return {**common, **self._pull(item, viewer)}

    def _label(self, item: Item, name: str) -> dict[str, Any]:
        ident, color = item.repo.labels.get(name, (0, "ededed"))
        return {"id": node_id("Label", ident), "name": name, "color": color}

    def _pull(self, item: Item, viewer: str) -> dict[str, Any]:
        """A pull request as `viewer` sees it: `reviews` holds their own pending review (as
        REST's list does), which no other person is shown; the latest reviews and the
        decision, the same for everyone, count submitted reviews only."""
        self.state.settle_mergeable(item)
        review = self._review
        return {
            "__typename": "PullRequest",
            "state": "MERGED" if item.merged else item.state.upper(),
            "merged": item.merged,
            "isDraft": item.draft,
            "headRefName": item.head_ref,
            "headRefOid": item.head_sha,
            "mergeable": {True: "MERGEABLE", False: "CONFLICTING", None: "UNKNOWN"}[item.mergeable],
            "mergeStateStatus": _merge_state(item),
            "reviewDecision": review_decision(item) if item.repo.requires_review else None,
            "reviews": lambda _info, **args: connection(
                "reviews", _filtered(item.reviews_seen_by(viewer), args), review, args
            ),
            "latestReviews": _paged("latestReviews", lambda: _latest(item), review),
            "latestOpinionatedReviews": lambda _info, **args: connection(
                "latestOpinionatedReviews",
                _latest(item, _OPINIONS, writers_only=bool(args.get("writersOnly"))),
                review,
                args,
            ),
            "reviewRequests": _paged(
                "reviewRequests",
                lambda: [("user", u) for u in item.reviewers] + [("team", t) for t in item.teams],
                self._request,
            ),
            "commits": _paged("commits", lambda: [item], self._commit),
        }

    def _review(self, review: Review) -> dict[str, Any]:
        return {
            "id": node_id("PullRequestReview", review.id),
            "author": self._author(review.user),
            "body": review.body,
            "state": review.state,
            "submittedAt": None if review.state == "PENDING" else iso(review.submitted),
        }

    def _request(self, who: tuple[str, str]) -> dict[str, Any]:
        kind, name = who
        reviewer = self._actor(name) if kind == "user" else self._team(name)
        ident = int(sha_of(kind, name)[:6], 16)
        return {
            "id": node_id("ReviewRequest", ident),
            "asCodeOwner": False,
            "requestedReviewer": reviewer,
        }

    def _commit(self, item: Item) -> dict[str, Any]:
        commit = {
            "id": node_id("Commit", item.id),
            "oid": item.head_sha,
            "message": item.title,
            "statusCheckRollup": _rollup(item),
        }
        url = f"{HTML}/{item.repo.full_name}/commit/{item.head_sha}"
        return {"id": node_id("PullRequestCommit", item.id), "commit": commit, "url": url}


def _submitted(item: Item) -> list[Review]:
    return [r for r in item.reviews if r.state != "PENDING"]


def _filtered(reviews: list[Review], args: Mapping[str, Any]) -> list[Review]:
    """The `reviews` connection's filters (GraphQL reference, PullRequest.reviews): `states`,
    a list of states to filter the reviews, and `author`, by the review's author (a login,
    matched ignoring case as GitHub matches logins); either left out filters nothing."""
    states, author = args.get("states"), args.get("author")
    return [
        r
        for r in reviews
        if (states is None or r.state in states)
        and (author is None or r.user.casefold() == author.casefold())
    ]


def _latest(
    item: Item, states: tuple[str, ...] | None = None, *, writers_only: bool = False
) -> list[Review]:
    """Each reviewer's latest review (of `states`, if given), in submission order;
    `writers_only`: only those of people with write access (`writersOnly`)."""
    latest: dict[str, Review] = {}
    for review in _submitted(item):
        if writers_only and review.user in item.repo.read_only:
            continue
        if states is None or review.state in states:
            latest.pop(review.user, None)
            latest[review.user] = review
    return list(latest.values())


def review_decision(item: Item) -> str:
    """As with branch protection that requires one approving review: any reviewer's latest
    change request blocks, else an approval approves, else a review is required. Only people
    with write access count (GitHub docs, "About protected branches": an approving review
    "from someone with write permissions"; changes requested by someone with write access
    block)."""
    states = {r.state for r in _latest(item, (*_OPINIONS, "DISMISSED"), writers_only=True)}
    if "CHANGES_REQUESTED" in states:
        return "CHANGES_REQUESTED"
    return "APPROVED" if "APPROVED" in states else "REVIEW_REQUIRED"


def _merge_state(item: Item) -> str:
    if item.draft:
        return "DRAFT"
    if item.mergeable is None:
        return "UNKNOWN"
    if item.mergeable is False:
        return "DIRTY"
    return {"success": "CLEAN", "failure": "UNSTABLE"}.get(item.check_state, "BLOCKED")


def _rollup(item: Item) -> dict[str, Any] | None:
    """Statuses and check runs together; null when the commit has neither (as on GitHub)."""
    contexts: list[dict[str, Any]] = []
    if item.check_runs:
        done = item.check_state != "pending"
        contexts.append(
            {
                "__typename": "CheckRun",
                "id": node_id("CheckRun", item.id),
                "name": "tests",
                "status": "COMPLETED" if done else "IN_PROGRESS",
                "conclusion": _CHECK_CONCLUSIONS.get(item.check_state) if done else None,
                "startedAt": iso(item.updated),
                "completedAt": iso(item.updated) if done else None,
                "detailsUrl": f"{HTML}/{item.repo.full_name}/runs/{item.id}",
                "url": f"{HTML}/{item.repo.full_name}/runs/{item.id}",
            }
        )
    if item.statuses:
        contexts.append(
            {
                "__typename": "StatusContext",
                "id": node_id("StatusContext", item.id),
                "context": "ci/tests",
                "state": _ROLLUP[item.check_state],
                "description": f"Tests {item.check_state}",
                "targetUrl": f"https://ci.example.invalid/{item.repo.name}/{item.number}",
                "createdAt": iso(item.updated),
            }
        )
    if not contexts:
        return None

    def page(_info: Any, **args: Any) -> dict[str, Any]:
        out = connection("contexts", contexts, lambda c: c, args)
        runs = sum(1 for c in contexts if c["__typename"] == "CheckRun")
        return {**out, "checkRunCount": runs, "statusContextCount": len(contexts) - runs}

    return {
        "id": node_id("StatusCheckRollup", item.id),
        "state": _ROLLUP[item.check_state],
        "contexts": page,
    }
