"""Jira bulk transitions: the queued task, its progress body, and the available-transitions
listing (GET /bulk/issues/transition)."""

from __future__ import annotations

import base64
import binascii
import bisect
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from zen_tui.simulator.jira.model import PROJECTS, STATUSES, JiraIssue, jira_time

BULK_MAX = 1000
# Jira's 400 for a task id that is no bulk task (the example of GET /bulk/queue/{taskId}'s 400
# in Atlassian's spec, verbatim: an ErrorCollection with a stray Java Optional in it)
NOT_A_TASK = {
    "errorMessages": ["The task associated with this taskId is not a bulk operation task"],
    "errors": {},
    "httpStatusCode": {"empty": False, "present": True},
}


def bulk_error(message: str, status: int = 400) -> JSONResponse:
    """The 400 (and 403) of /bulk/issues/transition (GET and POST): not Jira's ErrorCollection
    but BulkOperationErrorResponse, `{"errors": [{"message": ...}]}` (Atlassian's spec, schema
    and example)."""
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


# The 403 of both bulk endpoints without the global permission they need (the spec: "Global
# bulk change permission"); the wording is the simulator's own.
NO_BULK_CHANGE = "You do not have the global 'Make bulk changes' permission."


@dataclass
class BulkTask:
    id: str
    submitted_by: str
    inputs: list[tuple[list[str], str]]  # (issue ids or keys, transition id)
    created: float
    polls: int = 0
    started: float | None = None
    finished: float | None = None
    processed: list[int] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    invalid: int = 0

    @property
    def total(self) -> int:
        return sum(len(ids) for ids, _ in self.inputs)


def progress(task: BulkTask) -> dict[str, Any]:
    if task.finished is not None:
        status = "FAILED" if not task.processed else "COMPLETE"
        percent = 100
    elif task.started is not None:
        status, percent = "RUNNING", 50
    else:
        status, percent = "ENQUEUED", 0
    body: dict[str, Any] = {
        "taskId": task.id,
        "status": status,
        "progressPercent": percent,
        "submittedBy": {"accountId": task.submitted_by},
        "created": jira_time(task.created),
        "updated": jira_time(task.finished or task.created),
        "totalIssueCount": task.total,
        "processedAccessibleIssues": list(task.processed),
        "invalidOrInaccessibleIssueCount": task.invalid,
    }
    if task.started is not None:
        body["started"] = jira_time(task.started)
    if task.failed:
        body["failedAccessibleIssues"] = task.failed
    return body


# GET /bulk/issues/transition answers a page of workflows at a time, "delivering 50 workflows
# at a time" (Atlassian's description of the operation), paged by two cursors: the request's
# `startingAfter` / `endingBefore`, the answer's fields of the same names (the spec's
# BulkTransitionGetAvailableTransitions). The spec calls them only "the start cursor" and
# "the end cursor"; here, as the names read, the answer's `startingAfter` is given back as
# `startingAfter` for the page after this one (absent on the last page), its `endingBefore`
# as `endingBefore` for the page before (absent on the first). Cursors are opaque.
TRANSITION_GROUPS_PAGE = 50


class BadCursor(ValueError):
    """A startingAfter / endingBefore this site never gave out."""


def available_transitions(
    issues: list[JiraIssue], starting_after: str | None = None, ending_before: str | None = None
) -> dict[str, Any]:
    """A page of the issues grouped by workflow, one entry per workflow (the spec's
    IssueBulkTransitionForWorkflow): its issues and only "the transitions that are common
    among the issues within that workflow and do not involve any additional field updates"
    (Atlassian's description of the operation). Each project here runs its own copy of the
    one workflow (as a team-managed project does), so a workflow is a project. The entries come
    in project order, TRANSITION_GROUPS_PAGE a page. Raises BadCursor."""
    groups: dict[str, list[JiraIssue]] = {}
    for issue in sorted(issues, key=lambda i: _rank(i.project)):
        groups.setdefault(issue.project, []).append(issue)
    ordered = list(groups)
    ranks = [_rank(key) for key in ordered]
    if starting_after is not None:
        first = bisect.bisect_right(ranks, _rank(_decode(starting_after)))
        end = first + TRANSITION_GROUPS_PAGE
    elif ending_before is not None:
        end = bisect.bisect_left(ranks, _rank(_decode(ending_before)))
        first = max(0, end - TRANSITION_GROUPS_PAGE)
    else:
        first, end = 0, TRANSITION_GROUPS_PAGE
    end = min(end, len(ordered))
    page = ordered[first:end]
    body: dict[str, Any] = {"availableTransitions": [_group(groups[key]) for key in page]}
    if page and end < len(ordered):
        body["startingAfter"] = _encode(page[-1])
    if page and first > 0:
        body["endingBefore"] = _encode(page[0])
    return body


def _group(members: list[JiraIssue]) -> dict[str, Any]:
    """One workflow's entry: the transitions every member has open now and none needing a
    field. `isTransitionsFiltered` ("whether all the transitions of this workflow are
    available in the transitions list or not", the spec) is true when a transition open to
    some member is left out: not shared by all, or asking for a field."""
    common = [
        t
        for t in members[0].transitions(screenless=True)
        if all(t in m.transitions(screenless=True) for m in members[1:])
    ]
    open_to_any = {t for m in members for t in m.transitions()}
    return {
        "isTransitionsFiltered": open_to_any != set(common),
        "issues": [i.key for i in members],
        "transitions": [
            {
                "transitionId": int(t.id),
                "transitionName": t.name,
                "to": {"statusId": int(t.to), "statusName": STATUSES[t.to][0]},
            }
            for t in common
        ],
    }


def _rank(project: str) -> int:
    """A workflow's place in the listing (its project's place among the site's projects)."""
    return list(PROJECTS).index(project)


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(f"workflow:{key}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error):
        raise BadCursor(cursor) from None
    kind, _, key = raw.partition(":")
    if kind != "workflow" or key not in PROJECTS:
        raise BadCursor(cursor)
    return key
