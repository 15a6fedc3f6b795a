"""Search support for the Jira simulator: request parameters, page tokens, the per-issue values
JQL reads, and ORDER BY sorting."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.model import (
    ISSUE_TYPES,
    PRIORITIES,
    PROJECTS,
    SPRINTS,
    STATUSES,
    JiraIssue,
)


def error_collection(
    status: int, *messages: str, errors: dict[str, str] | None = None, headers: Any = None
) -> Response:
    """Jira's error body: {"errorMessages": [...], "errors": {field: message}}."""
    body = {"errorMessages": list(messages), "errors": errors or {}}
    return JSONResponse(body, status_code=status, headers=headers)


def search_params(request: Request, body: Any) -> dict[str, Any]:
    if request.method == "POST":
        params = dict(body) if isinstance(body, dict) else {}
        fields = params.get("fields")
        if fields is not None:
            params["fields"] = [str(f) for f in (fields if isinstance(fields, list) else [fields])]
        return params
    q = request.query_params
    query: dict[str, Any] = {k: q.get(k) for k in ("jql", "nextPageToken", "maxResults", "expand")}
    query["fields"] = q.getlist("fields") or None
    query["reconcileIssues"] = q.getlist("reconcileIssues") or None
    return query


def page_window(request: Request, *, default: int, cap: int) -> tuple[int, int] | Response:
    """(startAt, maxResults) of an offset-paged GET: startAt at least 0, maxResults `default`
    when absent and at most the endpoint's `cap`; a value that is not a whole number is
    Jira's 400."""
    q = request.query_params
    try:
        start, size = int(q.get("startAt") or 0), int(q.get("maxResults") or default)
    except ValueError:
        return error_collection(400, "startAt and maxResults must be whole numbers.")
    return max(0, start), min(cap, size)


def page_bean(request: Request, start: int, size: int, total: int, values: list[Any]) -> Response:
    """Jira's PageBean answer: `values`, the page at `start` (`size` at most) of `total`;
    `nextPage`, the next page's URL, while there is one (the spec's PageBean* schemas), which
    some clients follow instead of counting startAt (atlassian-python-api on Cloud)."""
    body: dict[str, Any] = {
        "self": str(request.url),
        "maxResults": size,
        "startAt": start,
        "total": total,
        "isLast": start + size >= total,
        "values": values,
    }
    if not body["isLast"]:
        body["nextPage"] = str(request.url.include_query_params(startAt=start + size))
    return JSONResponse(body)


TOKEN_TTL = 7 * 86400  # Jira's page tokens expire after 7 days


def encode_token(offset: int, jql_hash: str, now: float) -> str:
    raw = json.dumps({"o": offset, "q": jql_hash, "t": int(now)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: Any, jql_hash: str, now: float) -> int | None:
    """Offset from a nextPageToken (0 when absent); None when it is not ours, expired, or for
    another JQL (Jira requires the same query on every page)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        fresh = now - float(data["t"]) <= TOKEN_TTL
        return int(data["o"]) if data.get("q") == jql_hash and fresh else None
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


def texts(issue: JiraIssue) -> tuple[str, str]:
    """Plain description and comment text, cached on the issue until it changes (flattening
    ADF for 3,000 issues on every search was the slow part)."""
    if issue.text_cache is None:
        comments = " ".join(adf.to_text(c.body) for c in issue.comments)
        issue.text_cache = (adf.to_text(issue.description), comments)
    return issue.text_cache


def project_key(ref: str) -> str | None:
    """The key of the project `ref` names by key or id (any case); None if there is none."""
    ids = {str(10000 + i): k for i, k in enumerate(PROJECTS)}
    return ref.upper() if ref.upper() in PROJECTS else ids.get(ref)


def jql_vocabulary(
    projects: Iterable[str], issues: Iterable[JiraIssue] = ()
) -> dict[str, frozenset[str]]:
    """The values JQL may give each field Jira checks, lower-cased: ids, keys and names, of
    `projects` only (those the user can browse), and of `issues` (the visible ones) for the
    issue-key fields. Labels, users and text take any (an unknown user is only a warning)."""
    types = {v for t_id, (name, *_rest) in ISSUE_TYPES.items() for v in (t_id, name)}
    visible = set(projects)
    keys = frozenset(v.lower() for i in issues for v in (i.key, str(i.id)))
    sprints = frozenset(
        v.lower() for s in SPRINTS.values() if s.project in visible for v in (str(s.id), s.name)
    )
    return {
        **dict.fromkeys(("key", "issuekey", "issue"), keys),
        "sprint": sprints,
        "project": frozenset(
            v.lower() for k in projects for v in (k, str(10000 + project_index(k)), PROJECTS[k])
        ),
        "status": frozenset(v.lower() for s_id, s in STATUSES.items() for v in (s_id, s[0])),
        "statuscategory": frozenset(
            v.lower() for s in STATUSES.values() for v in (str(s[1]), s[2], s[4])
        ),
        "priority": frozenset(v.lower() for p_id, p in PRIORITIES.items() for v in (p_id, p)),
        "issuetype": frozenset(v.lower() for v in types),
        "type": frozenset(v.lower() for v in types),
    }


FIELDS: dict[str, Callable[[JiraIssue], Any]] = {
    "project": lambda i: [i.project, str(10000 + project_index(i.project)), PROJECTS[i.project]],
    "key": lambda i: [i.key, str(i.id)],
    "issuekey": lambda i: [i.key, str(i.id)],
    "issue": lambda i: [i.key, str(i.id)],
    "status": lambda i: [STATUSES[i.status][0], i.status],
    "statuscategory": lambda i: [
        STATUSES[i.status][4],
        STATUSES[i.status][2],
        str(STATUSES[i.status][1]),
    ],
    "assignee": lambda i: i.assignee,
    "reporter": lambda i: i.reporter,
    "priority": lambda i: [PRIORITIES[i.priority], i.priority],
    "labels": lambda i: i.labels,
    "issuetype": lambda i: [ISSUE_TYPES[i.issuetype][0], i.issuetype],
    "type": lambda i: [ISSUE_TYPES[i.issuetype][0], i.issuetype],
    "parent": lambda i: [i.parent] if i.parent else None,
    "sprint": lambda i: [i.sprint, SPRINTS[i.sprint].name] if i.sprint else None,
    "summary": lambda i: i.summary,
    "description": lambda i: texts(i)[0],
    "comment": lambda i: texts(i)[1],
    "created": lambda i: i.created,
    "updated": lambda i: i.updated,
    "watcher": lambda i: sorted(i.watching()),
}


class IssueValues(Mapping[str, Any]):
    """What JQL predicates read from one issue (see jira_jql), computed on demand."""

    def __init__(self, issue: JiraIssue) -> None:
        self.issue = issue

    def __getitem__(self, name: str) -> Any:
        return FIELDS[name](self.issue)

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)


def values(issue: JiraIssue) -> IssueValues:
    return IssueValues(issue)


def project_index(key: str) -> int:
    return list(PROJECTS).index(key)


def sort_issues(items: list[JiraIssue], order: list[tuple[str, bool]]) -> None:
    keys: dict[str, Callable[[JiraIssue], Any]] = {
        "created": lambda i: i.created,
        "updated": lambda i: i.updated,
        "priority": lambda i: -int(i.priority),
        "key": lambda i: (i.project, i.id),
        "status": lambda i: STATUSES[i.status][0],
        "summary": lambda i: i.summary.lower(),
        "assignee": lambda i: i.assignee or "",
    }
    items.sort(key=lambda i: i.id)
    for name, descending in reversed(order):
        items.sort(key=keys[name], reverse=descending)


def api_version(request: Request) -> str:
    """ "2" for /rest/api/2 and /rest/api/latest (plain-text rich fields), else "3" (ADF)."""
    path = request.url.path
    return "2" if "/rest/api/2/" in path or "/rest/api/latest/" in path else "3"


def rich_text(request: Request, value: Any) -> dict[str, Any] | None:
    """A rich-text input as ADF: v3 takes an ADF document, v2 a plain string; None if invalid."""
    if api_version(request) == "2":
        return adf.from_text(value) if isinstance(value, str) else None
    return value if isinstance(value, dict) and adf.is_document(value) else None


def rich_error(request: Request) -> str:
    """Why `rich_text` refused a comment's body: v2 takes a string, v3 a document."""
    return "Comment body must be a string." if api_version(request) == "2" else adf.ADF_ERROR


RECONCILE_MAX = 50  # Jira's reconcileIssues takes at most 50 issue ids


def reconcile_ids(value: Any) -> set[int] | str:
    """The `reconcileIssues` ids, or what is wrong with them (a 400 message)."""
    if value in (None, []):
        return set()
    items = value if isinstance(value, list) else [value]
    wrong = "reconcileIssues must be a list of issue ids (integers)."
    if any(isinstance(v, bool | float | dict | list) for v in items):
        return wrong
    try:
        ids = {int(v) for v in items}
    except (TypeError, ValueError):
        return wrong
    if len(ids) > RECONCILE_MAX:
        return f"reconcileIssues accepts at most {RECONCILE_MAX} issue ids."
    return ids


class SearchIndex:
    """Jira's enhanced search reads an index that trails writes (eventual consistency): for
    `lag` seconds after a change an issue is found, and shown, as it was before it, unless
    the request names it in `reconcileIssues` (read-after-write for up to 50 ids).

    Each issue's last indexed copy is kept; a copy is renewed once the issue's change is
    older than `lag` (or reconciled). With lag 0 the live issues are searched."""

    def __init__(self) -> None:
        self._copies: dict[int, JiraIssue] = {}

    def issues(
        self, live: Iterable[JiraIssue], now: float, lag: float, reconciled: set[int]
    ) -> list[JiraIssue]:
        if lag <= 0:
            return list(live)
        return [self._as_indexed(issue, now, lag, reconciled) for issue in live]

    def _as_indexed(
        self, issue: JiraIssue, now: float, lag: float, reconciled: set[int]
    ) -> JiraIssue:
        copy = self._copies.get(issue.id)
        if copy is not None and copy.updated == issue.updated:
            return issue
        if copy is not None and issue.id not in reconciled and now - issue.updated < lag:
            return copy  # the change is not in the index yet
        self._copies[issue.id] = deepcopy(issue)
        return issue
