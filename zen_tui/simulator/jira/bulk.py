"""Jira bulk transitions: the queued task, its progress body, and the available-transitions
listing (GET /bulk/issues/transition)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from zen_tui.simulator.jira.model import STATUSES, JiraIssue, jira_time

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


def available_transitions(issues: list[JiraIssue]) -> dict[str, Any]:
    """Issues grouped by the transitions open to them (one workflow here, so by status): only
    those needing no field update, as Jira documents (a transition with a screen is left out)."""
    groups: dict[str, list[JiraIssue]] = {}
    for issue in issues:
        groups.setdefault(issue.status, []).append(issue)
    return {
        "availableTransitions": [
            {
                "isTransitionsFiltered": False,
                "issues": [i.key for i in members],
                "transitions": [
                    {
                        "transitionId": int(t.id),
                        "transitionName": t.name,
                        "to": {"statusId": int(t.to), "statusName": STATUSES[t.to][0]},
                    }
                    for t in members[0].transitions(screenless=True)
                ],
            }
            for members in groups.values()
        ]
    }
