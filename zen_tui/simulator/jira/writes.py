"""Jira simulator writes and per-issue sub-resources beyond the core ones in jira.py: create,
comment get/edit/delete, worklogs, remote links, issue links and the changelog. Every state
change lands in the mutation log (client writes) and emits a webhook event, as jira.py's do."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.meta import CREATE_TYPES
from zen_tui.simulator.jira.model import (
    ISSUE_TYPES,
    LINK_TYPES,
    JiraIssue,
    JiraLink,
    JiraWorklog,
    duration,
)
from zen_tui.simulator.jira.search import (
    error_collection,
    page_bean,
    page_window,
    rich_error,
    rich_text,
)

if TYPE_CHECKING:
    from zen_tui.simulator.jira.service import JiraSim

Body = Any
NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_DURATION = re.compile(r"^\s*(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$")


def _issue(sim: JiraSim, request: Request) -> JiraIssue | None:
    return sim._find(request.path_params["key"])


def _ref_key(sim: JiraSim, ref: Any) -> str | None:
    """An issue reference {"key": ..} or {"id": ..} as an existing issue key."""
    if not isinstance(ref, dict):
        return None
    found = sim._find(str(ref.get("key") or ref.get("id") or ""))
    return found.key if found else None


# -- create --------------------------------------------------------------------------------------
def _type_id(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    if str(ref.get("id")) in CREATE_TYPES:
        return str(ref["id"])
    names = {v[0].lower(): k for k, v in ISSUE_TYPES.items()}
    return names.get(str(ref.get("name", "")).lower())


def create_issue(sim: JiraSim, request: Request, body: Body) -> Response:
    fields = body.get("fields")
    if not isinstance(fields, dict):
        return error_collection(400, "The request needs a 'fields' object.")
    project_ref = fields.get("project")
    ref = project_ref.get("key") or project_ref.get("id") if isinstance(project_ref, dict) else None
    project = sim.project_key(str(ref or ""))
    errors: dict[str, str] = {}
    if project is None:
        errors["project"] = "Specify a valid project ID or key."
    type_id = _type_id(fields.get("issuetype"))
    if type_id is None:
        errors["issuetype"] = "Specify an issue type (a valid id or name)."
    if not str(fields.get("summary") or "").strip():
        errors["summary"] = "You must specify a summary of the issue."
    parent = _ref_key(sim, fields.get("parent")) if "parent" in fields else None
    if type_id and ISSUE_TYPES[type_id][1] and parent is None:
        errors["parent"] = "Given parent issue does not belong to appropriate hierarchy."
    rest = {k: v for k, v in fields.items() if k not in ("project", "issuetype", "parent")}
    errors.update(sim._edit_errors(request, rest, creating=True))
    if errors or project is None or type_id is None:
        return error_collection(400, errors=errors)
    issue = sim._new_issue(project, sim.me, assignee=None)
    issue.issuetype, issue.parent = type_id, parent
    issue.summary, issue.description = str(fields["summary"]), adf.from_text("")
    issue.labels, issue.priority = [], "3"
    sim._apply_edit(request, issue, rest)
    sim._announce_created(issue, sim.me)
    sim.world.counters.mutation("jira", "create", key=issue.key, summary=issue.summary)
    render = sim._render(request)
    return JSONResponse(
        {"id": str(issue.id), "key": issue.key, "self": f"{render.api}/issue/{issue.id}"},
        status_code=201,
    )


class _Identified(Protocol):
    @property
    def id(self) -> object: ...


T = TypeVar("T", bound=_Identified)


# -- comments ------------------------------------------------------------------------------------
def _child_or_error(
    sim: JiraSim, request: Request, children: Callable[[JiraIssue], list[T]], missing: str
) -> tuple[JiraIssue, T] | Response:
    """The issue and its comment or worklog named by the path's `id`, or Jira's 404 (its
    wording differs per resource: `missing` takes the id)."""
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    child_id = request.path_params["id"]
    child = next((c for c in children(issue) if str(c.id) == child_id), None)
    if child is None:
        return error_collection(404, missing.format(child_id))
    return issue, child


def _comment_or_error(sim: JiraSim, request: Request) -> tuple[JiraIssue, Any] | Response:
    return _child_or_error(
        sim, request, lambda i: i.comments, "Can not find a comment for the id: {}."
    )


def get_comment(sim: JiraSim, request: Request, body: Body) -> Response:
    found = _comment_or_error(sim, request)
    if isinstance(found, Response):
        return found
    return JSONResponse(sim._render(request).comment(*found))


def edit_comment(sim: JiraSim, request: Request, body: Body) -> Response:
    found = _comment_or_error(sim, request)
    if isinstance(found, Response):
        return found
    issue, comment = found
    if comment.author != sim.me:  # "Edit Own Comments" only; the contract says 400 for this
        return error_collection(400, "You do not have the permission to edit this comment.")
    doc = rich_text(request, body.get("body"))
    if doc is None:
        return error_collection(400, errors={"comment": rich_error(request)})
    comment.body, comment.updated = doc, max(sim.world.clock(), comment.updated)
    issue.text_cache = None
    sim._touch(issue)
    sim.world.counters.mutation("jira", "comment_edit", key=issue.key, comment=comment.id)
    sim._emit_comment("comment_updated", issue, comment)
    return JSONResponse(sim._render(request).comment(issue, comment))


def delete_comment(sim: JiraSim, request: Request, body: Body) -> Response:
    found = _comment_or_error(sim, request)
    if isinstance(found, Response):
        return found
    issue, comment = found
    if comment.author != sim.me:
        return error_collection(400, "You do not have the permission to delete this comment.")
    issue.comments.remove(comment)
    issue.text_cache = None
    sim._touch(issue)
    sim.world.counters.mutation("jira", "comment_delete", key=issue.key, comment=comment.id)
    sim._emit_comment("comment_deleted", issue, comment)
    return Response(status_code=204)


# -- worklogs ------------------------------------------------------------------------------------
def get_worklogs(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    return JSONResponse(sim._render(request).worklogs(issue))


def parse_duration(text: str) -> int | None:
    """'1w 2d 3h 4m' in seconds (5-day weeks, 8-hour days); None when unreadable or zero."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    w, d, h, m = (int(g or 0) for g in match.groups())
    seconds = ((w * 5 + d) * 8 + h) * 3600 + m * 60
    return seconds or None


def _started(value: Any, default: float) -> float | None:
    if value is None:
        return default
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


def add_worklog(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    raw_seconds = body.get("timeSpentSeconds")
    if isinstance(raw_seconds, int) and raw_seconds > 0:
        seconds: int | None = raw_seconds
    else:
        seconds = parse_duration(str(body.get("timeSpent") or ""))
    if seconds is None:
        return error_collection(
            400, errors={"timeLogged": "Give timeSpentSeconds (> 0) or timeSpent like '1h 30m'."}
        )
    now = sim.world.clock()
    started = _started(body.get("started"), now)
    if started is None:
        return error_collection(
            400, errors={"started": "started must look like 2021-01-17T12:34:00.000+0000."}
        )
    comment = None
    if body.get("comment") is not None:
        comment = rich_text(request, body["comment"])
        if comment is None:
            return error_collection(400, errors={"comment": rich_error(request)})
    sim._next_comment += 1
    log = JiraWorklog(sim._next_comment, sim.me, seconds, started, comment, now)
    issue.worklogs.append(log)
    sim._mutated("worklog", issue, [("timespent", None, duration(seconds))])
    return JSONResponse(sim._render(request).worklog(issue, log), status_code=201)


# -- remote links ----------------------------------------------------------------------------------
def get_remote_links(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    return JSONResponse(issue.remote_links)


def add_remote_link(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    obj = body.get("object")
    if not isinstance(obj, dict) or not obj.get("url") or not obj.get("title"):
        return error_collection(400, errors={"object": "object.url and object.title are required."})
    global_id = body.get("globalId")
    existing = next(
        (r for r in issue.remote_links if global_id and r.get("globalId") == global_id), None
    )
    render = sim._render(request)
    if existing is None:
        sim._next_comment += 1
        link_id = sim._next_comment
        existing = {"id": link_id, "self": f"{render.api}/issue/{issue.key}/remotelink/{link_id}"}
        issue.remote_links.append(existing)
    for name in ("globalId", "application", "relationship", "object"):
        if name in body:
            existing[name] = body[name]
    sim._mutated("remotelink", issue, [("RemoteIssueLink", None, str(obj["url"]))])
    return JSONResponse({"id": existing["id"], "self": existing["self"]}, status_code=201)


# -- issue links -----------------------------------------------------------------------------------
def _link_type_id(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    if str(ref.get("id")) in LINK_TYPES:
        return str(ref["id"])
    wanted = str(ref.get("name", "")).lower()
    return next((k for k, v in LINK_TYPES.items() if v[0].lower() == wanted), None)


def add_issue_link(sim: JiraSim, request: Request, body: Body) -> Response:
    type_id = _link_type_id(body.get("type"))
    if type_id is None:
        return error_collection(404, "No issue link type with that name or id was found.")
    source, target = _ref_key(sim, body.get("inwardIssue")), _ref_key(sim, body.get("outwardIssue"))
    if source is None or target is None:
        return error_collection(
            404, "Issue does not exist or you do not have permission to see it."
        )
    if source == target:
        return error_collection(400, "You cannot link an issue to itself.")
    sim._next_comment += 1
    link = JiraLink(sim._next_comment, type_id, source, target)
    _, inward, outward = LINK_TYPES[type_id]
    for key, phrase, other in ((source, outward, target), (target, inward, source)):
        issue = sim.issues[key]
        issue.links.append(link)
        sim._mutated("link", issue, [("Link", None, f"This issue {phrase} {other}")])
    return Response(status_code=201)


def _find_link(sim: JiraSim, link_id: str) -> JiraLink | None:
    return next((lk for i in sim.issues.values() for lk in i.links if str(lk.id) == link_id), None)


def get_issue_link(sim: JiraSim, request: Request, body: Body) -> Response:
    link = _find_link(sim, request.path_params["id"])
    if link is None:
        return error_collection(404, "No issue link with that id exists.")
    render = sim._render(request)
    return JSONResponse(
        {
            "id": str(link.id),
            "self": f"{render.api}/issueLink/{link.id}",
            "type": render.link_type(link.type_id),
            "inwardIssue": render.issue_ref(link.inward),
            "outwardIssue": render.issue_ref(link.outward),
        }
    )


def delete_issue_link(sim: JiraSim, request: Request, body: Body) -> Response:
    link = _find_link(sim, request.path_params["id"])
    if link is None:
        return error_collection(404, "No issue link with that id exists.")
    for key in (link.inward, link.outward):
        issue = sim.issues[key]
        issue.links.remove(link)
        sim._mutated("unlink", issue, [("Link", LINK_TYPES[link.type_id][0], None)])
    return Response(status_code=204)


# -- changelog -------------------------------------------------------------------------------------
def changelog(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    window = page_window(request, default=100, cap=100)
    if isinstance(window, Response):
        return window
    start, size = window
    render = sim._render(request)
    page = [render.history(h) for h in issue.history[start : start + max(1, size)]]
    return page_bean(request, start, size, len(issue.history), page)


# `expand=changelog` on GET issue "returns a list of recent updates to an issue, sorted by
# date, starting from the most recent" (Atlassian's spec, the operation's `expand`): newest
# first, unlike GET .../changelog ("starting from the oldest"). How many: not in the spec;
# reported as the most recent 100, with no way to page (pycontribs/jira#911; Atlassian's
# JRACLOUD-67458, cited in estuary/connectors#2523), `total` counting them all.
EXPANDED_HISTORIES = 100


def changelog_expand(render: Any, issue: JiraIssue) -> dict[str, Any]:
    """`expand=changelog` on GET issue: the latest EXPANDED_HISTORIES histories, newest first."""
    latest = issue.history[::-1][:EXPANDED_HISTORIES]
    return {
        "startAt": 0,
        "maxResults": len(latest),
        "total": len(issue.history),
        "histories": [render.history(h) for h in latest],
    }


def _worklog_or_error(sim: JiraSim, request: Request) -> tuple[JiraIssue, JiraWorklog] | Response:
    return _child_or_error(sim, request, lambda i: i.worklogs, "Cannot find worklog with id: {}.")


def get_worklog(sim: JiraSim, request: Request, body: Body) -> Response:
    found = _worklog_or_error(sim, request)
    if isinstance(found, Response):
        return found
    return JSONResponse(sim._render(request).worklog(*found))


def delete_worklog(sim: JiraSim, request: Request, body: Body) -> Response:
    found = _worklog_or_error(sim, request)
    if isinstance(found, Response):
        return found
    issue, log = found
    if log.author != sim.me:
        return error_collection(403, "You do not have the permission to delete this worklog.")
    issue.worklogs.remove(log)
    sim._mutated("worklog_delete", issue, [("timespent", duration(log.seconds), None)])
    return Response(status_code=204)


def delete_remote_link(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = _issue(sim, request)
    if issue is None:
        return error_collection(404, NOT_FOUND)
    lid = request.path_params["id"]
    link = next((r for r in issue.remote_links if str(r["id"]) == lid), None)
    if link is None:
        return error_collection(404, f"No remote link with id {lid} on this issue.")
    issue.remote_links.remove(link)
    url = link.get("object", {}).get("url")
    sim._mutated("remotelink_delete", issue, [("RemoteIssueLink", url, None)])
    return Response(status_code=204)
