"""Read-only Jira catalogue resources of the simulator: server info, configuration, fields,
projects, issue types, statuses, link types, users and pickers, filters, JQL suggestions,
editmeta and createmeta. Each handler takes the JiraSim first (bound with functools.partial)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zen_tui.simulator.jira import fields as jira_fields
from zen_tui.simulator.jira.model import (
    ISSUE_TYPES,
    LINK_TYPES,
    PRIORITIES,
    PROJECTS,
    RESOLUTIONS,
    SPRINTS,
    STATUSES,
    JiraUser,
    jira_time,
    select_fields,
)
from zen_tui.simulator.jira.search import error_collection, page_bean, page_window

if TYPE_CHECKING:
    from zen_tui.simulator.jira.service import JiraSim

Body = Any
CREATE_TYPES = ("10001", "10002", "10003", "10000", "10004")  # Task, Bug, Story, Epic, Subtask


def server_info(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    return JSONResponse(
        {
            "baseUrl": render.base,
            "displayUrl": render.base,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100282,
            "buildDate": "2026-01-01T00:00:00.000+0000",
            "serverTime": jira_time(sim.world.clock()),
            "scmInfo": "0" * 40,
            "serverTitle": "Jira (simulated)",
            "defaultLocale": {"locale": "en_US"},
            "serverTimeZone": "Etc/UTC",
        }
    )


def configuration(sim: JiraSim, request: Request, body: Body) -> Response:
    return JSONResponse(
        {
            "votingEnabled": True,
            "watchingEnabled": True,
            "unassignedIssuesAllowed": True,
            "subTasksEnabled": True,
            "issueLinkingEnabled": True,
            "timeTrackingEnabled": True,
            "attachmentsEnabled": True,
            "timeTrackingConfiguration": {
                "workingHoursPerDay": 8.0,
                "workingDaysPerWeek": 5.0,
                "timeFormat": "pretty",
                "defaultUnit": "minute",
            },
        }
    )


def fields(sim: JiraSim, request: Request, body: Body) -> Response:
    return JSONResponse(jira_fields.field_list())


def _project_full(sim: JiraSim, request: Request, key: str) -> dict[str, Any]:
    render = sim._render(request)
    body = render.project(key)
    body.update(
        description=f"The {PROJECTS[key]} project.",
        lead=render.user(sim.me),
        assigneeType="UNASSIGNED",
        components=[],
        versions=[],
        roles={},
        issueTypes=[render.issuetype(t) for t in CREATE_TYPES],
        isPrivate=False,
        style="classic",
        expand="description,lead,issueTypes,url,projectKeys,permissions,insight",
    )
    return body


def projects(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    expand = request.query_params.get("expand", "")
    out = []
    for key in sim.visible_projects():
        item = _project_full(sim, request, key) if "issueTypes" in expand else render.project(key)
        out.append(item)
    return JSONResponse(out)


PROJECT_PAGE_MAX = 100  # project/search's greatest page


def project_search(sim: JiraSim, request: Request, body: Body) -> Response:
    q = request.query_params
    query = (q.get("query") or "").lower()
    keys = {k.upper() for k in q.getlist("keys")}
    window = page_window(request, default=50, cap=PROJECT_PAGE_MAX)
    if isinstance(window, Response):
        return window
    start, size = window
    matched = [
        k
        for k, name in PROJECTS.items()
        if sim.browsable(k)
        and (not query or query in k.lower() or query in name.lower())
        and (not keys or k in keys)
    ]
    render = sim._render(request)
    page = [render.project(k) for k in matched[start : start + size]]
    return page_bean(request, start, size, len(matched), page)


def _no_project(ref: str) -> Response:
    return error_collection(404, f"No project could be found with key '{ref}'.")


def _project_or_404(sim: JiraSim, ref: str) -> str | Response:
    """The key of the project `ref` (a key or an id) names, or Jira's 404 for it."""
    key = sim.project_key(ref)
    return _no_project(ref) if key is None else key


def project(sim: JiraSim, request: Request, body: Body) -> Response:
    key = _project_or_404(sim, request.path_params["key"])
    if isinstance(key, Response):
        return key
    return JSONResponse(_project_full(sim, request, key))


def project_statuses(sim: JiraSim, request: Request, body: Body) -> Response:
    key = _project_or_404(sim, request.path_params["key"])
    if isinstance(key, Response):
        return key
    render = sim._render(request)
    return JSONResponse(
        [
            {
                **{
                    k: v
                    for k, v in render.issuetype(t).items()
                    if k in ("self", "id", "name", "subtask")
                },
                "statuses": [render.status(s) for s in STATUSES],
            }
            for t in CREATE_TYPES
        ]
    )


def issue_types(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    type_id = request.path_params.get("id")
    if type_id is None:
        return JSONResponse([render.issuetype(t) for t in ISSUE_TYPES])
    if type_id not in ISSUE_TYPES:
        return error_collection(404, "The issue type does not exist.")
    return JSONResponse(render.issuetype(type_id))


def statuses(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    ref = request.path_params.get("ref")
    if ref is None:
        return JSONResponse([render.status(s) for s in STATUSES])
    found = next(
        (s for s, v in STATUSES.items() if ref in (s,) or ref.lower() == v[0].lower()), None
    )
    if found is None:
        return error_collection(404, f"The status with id or name '{ref}' does not exist.")
    return JSONResponse(render.status(found))


def priorities(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    return JSONResponse([render.priority(p) for p in PRIORITIES])


def resolutions(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    return JSONResponse([render.resolution(r) for r in RESOLUTIONS])


def link_types(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    type_id = request.path_params.get("id")
    if type_id is None:
        return JSONResponse({"issueLinkTypes": [render.link_type(t) for t in LINK_TYPES]})
    if type_id not in LINK_TYPES:
        return error_collection(404, f"No issue link type with id '{type_id}' exists.")
    return JSONResponse(render.link_type(type_id))


def _matching_users(sim: JiraSim, query: str) -> list[JiraUser]:
    q = query.strip().lower()
    return [
        u
        for u in sim.users.values()
        if not q
        or q == u.account_id  # Cloud matches an exact account id too (pycontribs relies on it)
        or any(part.startswith(q) for part in u.display_name.lower().split())
        or u.display_name.lower().startswith(q)
        or u.email.lower().startswith(q)
    ]


def _user_page(sim: JiraSim, request: Request, users: list[JiraUser]) -> Response:
    window = page_window(request, default=50, cap=1000)
    if isinstance(window, Response):
        return window
    start, size = window
    render = sim._render(request)
    return JSONResponse([render.user(u.account_id) for u in users[start : start + size]])


def user(sim: JiraSim, request: Request, body: Body) -> Response:
    account = request.query_params.get("accountId")
    if not account:
        return error_collection(400, "The query parameter 'accountId' is required.")
    if account not in sim.users:
        return error_collection(404, f"The user with account ID '{account}' does not exist.")
    return JSONResponse(sim._render(request).user(account, full=True))


def _users_asked(sim: JiraSim, q: Any) -> list[JiraUser]:
    """The user named by `accountId`, else those matching `query` (or the old `username`)."""
    account = q.get("accountId")
    if account:
        return [sim.users[account]] if account in sim.users else []
    return _matching_users(sim, q.get("query") or q.get("username") or "")


def user_search(sim: JiraSim, request: Request, body: Body) -> Response:
    q = request.query_params
    return _user_page(sim, request, _users_asked(sim, q))


def assignable_search(sim: JiraSim, request: Request, body: Body) -> Response:
    q = request.query_params
    ref = q.get("issueKey") or q.get("issueId")
    project_ref = q.get("project")
    if not ref and not project_ref:
        return error_collection(
            400, "One of the query parameters issueKey, issueId or project is required."
        )
    if ref and sim._find(ref) is None:
        return error_collection(
            404, "Issue does not exist or you do not have permission to see it."
        )
    if project_ref and sim.project_key(project_ref) is None:
        return _no_project(project_ref)
    return _user_page(sim, request, _users_asked(sim, q))


def user_picker(sim: JiraSim, request: Request, body: Body) -> Response:
    query = request.query_params.get("query")
    if query is None:
        return error_collection(400, "The query parameter 'query' is required.")
    found = _matching_users(sim, query)
    try:
        size = min(1000, int(request.query_params.get("maxResults") or 50))
    except ValueError:
        return error_collection(400, "maxResults must be a whole number.")
    render = sim._render(request)
    users = [
        {
            "accountId": u.account_id,
            "accountType": "atlassian",
            "displayName": u.display_name,
            "html": u.display_name,  # Jira marks the match with <strong>; kept plain here
            "avatarUrl": render.avatar_url(u.account_id, "16x16"),
        }
        for u in found[:size]
    ]
    header = f"Showing {len(users)} of {len(found)} matching users"
    return JSONResponse({"users": users, "total": len(found), "header": header})


FAVOURITES = (
    (
        "10000",
        "My open issues",
        "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC",
    ),
    ("10001", "Reported by me", "reporter = currentUser() ORDER BY created DESC"),
)


def favourite_filters(sim: JiraSim, request: Request, body: Body) -> Response:
    render = sim._render(request)
    return JSONResponse(
        [
            {
                "self": f"{render.api}/filter/{fid}",
                "id": fid,
                "name": name,
                "owner": render.user(sim.me),
                "jql": jql,
                "viewUrl": f"{render.base}/issues/?filter={fid}",
                "searchUrl": f"{render.api}/search/jql?jql={jql}",
                "favourite": True,
                "favouritedCount": 1,
                "sharePermissions": [],
                "subscriptions": {"size": 0, "items": []},
            }
            for fid, name, jql in FAVOURITES
        ]
    )


def _suggestions(sim: JiraSim, field: str) -> list[tuple[str, str]]:
    if field == "project":
        return [(k, f"{PROJECTS[k]} ({k})") for k in sim.visible_projects()]
    if field == "status":
        return [(v[0], v[0]) for v in STATUSES.values()]
    if field in ("issuetype", "type"):
        return [(v[0], v[0]) for v in ISSUE_TYPES.values()]
    if field == "priority":
        return [(v, v) for v in PRIORITIES.values()]
    if field == "labels":
        labels = sorted({label for i in sim.issues.values() for label in i.labels})
        return [(x, x) for x in labels]
    if field in ("assignee", "reporter"):
        return [(u.account_id, u.display_name) for u in sim.users.values()]
    if field == "sprint":
        return [(str(s.id), f"{s.name} ({s.state})") for s in SPRINTS.values()]
    return []


def jql_suggestions(sim: JiraSim, request: Request, body: Body) -> Response:
    field = (request.query_params.get("fieldName") or "").lower()
    typed = (request.query_params.get("fieldValue") or "").lower()
    results = [
        {"value": value, "displayName": shown}
        for value, shown in _suggestions(sim, field)
        if not typed or typed in value.lower() or typed in shown.lower()
    ]
    return JSONResponse({"results": results})


def jql_autocomplete(sim: JiraSim, request: Request, body: Body) -> Response:
    from zen_tui.simulator.jira.jql import (  # the fields the JQL parser knows
        DATES,
        EQUALITY,
        KEYWORDS,
        TEXT,
    )

    return JSONResponse(
        {
            "visibleFieldNames": [
                {"value": f, "displayName": f, "orderable": "true", "searchable": "true"}
                for f in sorted(EQUALITY | TEXT | DATES)
            ],
            "visibleFunctionNames": [
                {"value": f"{f}()", "displayName": f"{f}()"}
                for f in ("currentUser", "now", "startOfDay", "openSprints", "closedSprints")
            ],
            "jqlReservedWords": sorted(KEYWORDS),
        }
    )


def editmeta(sim: JiraSim, request: Request, body: Body) -> Response:
    issue = sim._find(request.path_params["key"])
    if issue is None:
        return error_collection(
            404, "Issue does not exist or you do not have permission to see it."
        )
    return JSONResponse(jira_fields.editmeta(sim._render(request), issue.project))


def createmeta_types(sim: JiraSim, request: Request, body: Body) -> Response:
    key = _project_or_404(sim, request.path_params["project"])
    if isinstance(key, Response):
        return key
    render = sim._render(request)
    # IssueTypeIssueCreateMetadata: an issue type's fields without untranslatedName, which
    # that schema (additionalProperties: false) leaves out
    types = [render.issuetype(t) for t in CREATE_TYPES]
    shown = [{k: v for k, v in t.items() if k != "untranslatedName"} for t in types]
    return _createmeta_page(request, "issueTypes", shown)


def createmeta_fields(sim: JiraSim, request: Request, body: Body) -> Response:
    key = sim.project_key(request.path_params["project"])
    type_id = request.path_params["type"]
    if key is None or type_id not in CREATE_TYPES:
        return error_collection(
            404, "The project or issue type does not exist, or is not available to you."
        )
    found = jira_fields.create_fields(sim._render(request), key, type_id)
    return _createmeta_page(request, "fields", found)


# createmeta answers a page (startAt, maxResults: default 50, at most 200, as Atlassian's spec
# gives both operations; more is a 400, whose example body this is, verbatim). Jira may send
# fewer than asked: this site sends CREATEMETA_PAGE at most, so a caller that reads only the
# first page misses what a site with many issue types or create-screen fields lists after it.
CREATEMETA_PAGE = 50
CREATEMETA_MAX = 200
TOO_MANY = {
    "errorMessages": ["Parameter 'maxResults' must not exceed the limit '200'"],
    "errors": {},
    "httpStatusCode": {"empty": False, "present": True},
}


def _createmeta_page(request: Request, name: str, values: list[Any]) -> Response:
    """A page of createmeta (PageOfCreateMetaIssueTypes / ...WithField): `name` holds it."""
    window = page_window(request, default=50, cap=CREATEMETA_MAX + 1)
    if isinstance(window, Response):
        return window
    start, asked = window
    if asked > CREATEMETA_MAX:
        return JSONResponse(TOO_MANY, status_code=400)
    size = min(asked, CREATEMETA_PAGE)
    page = values[start : start + size]
    return JSONResponse({name: page, "maxResults": size, "startAt": start, "total": len(values)})


def bulk_fetch(sim: JiraSim, request: Request, body: Body) -> Response:
    """POST issue/bulkfetch: up to 100 issues by id or key; unknown ones are left out."""
    refs = body.get("issueIdsOrKeys")
    if not isinstance(refs, list) or not refs or len(refs) > 100:
        return error_collection(400, "issueIdsOrKeys must list 1 to 100 issue ids or keys.")
    fields = body.get("fields")
    wanted = select_fields(
        [str(f) for f in fields] if isinstance(fields, list) else None, default_all=True
    )
    render = sim._render(request)
    found = [sim._find(str(ref)) for ref in refs]
    issues = [render.issue(i, wanted) for i in found if i is not None]
    request.state.objects = len(issues)
    return JSONResponse({"issues": issues, "issueErrors": []})


def issue_picker(sim: JiraSim, request: Request, body: Body) -> Response:
    """GET issue/picker: issues whose key or summary matches what was typed (history section)."""
    typed = (request.query_params.get("query") or "").strip().lower()
    hits = [
        i
        for i in sim.issues.values()
        if typed and (i.key.lower().startswith(typed) or typed in i.summary.lower())
    ][:20]
    render = sim._render(request)
    picks = [
        {
            "id": i.id,
            "key": i.key,
            "keyHtml": i.key,
            "summary": i.summary,
            "summaryText": i.summary,
            "img": render.issuetype(i.issuetype)["iconUrl"],
        }
        for i in hits
    ]
    section = {
        "id": "cs",
        "label": "Current Search",
        "sub": f"Showing {len(picks)} issues",
        "issues": picks,
    }
    return JSONResponse({"sections": [section]})


def multi_project_assignable(sim: JiraSim, request: Request, body: Body) -> Response:
    """user/assignable/multiProjectSearch: users assignable in every one of projectKeys."""
    keys = [k for k in (request.query_params.get("projectKeys") or "").split(",") if k.strip()]
    if not keys:
        return error_collection(400, "The query parameter 'projectKeys' is required.")
    unknown = [k for k in keys if sim.project_key(k.strip()) is None]
    if unknown:
        return _no_project(unknown[0])
    return _user_page(sim, request, _matching_users(sim, request.query_params.get("query") or ""))


def all_users(sim: JiraSim, request: Request, body: Body) -> Response:
    """users/search: every user, paged."""
    return _user_page(sim, request, list(sim.users.values()))


CATEGORY_KEYS = {"new": "TODO", "indeterminate": "IN_PROGRESS", "done": "DONE"}


def statuses_search(sim: JiraSim, request: Request, body: Body) -> Response:
    """statuses/search: the newer status listing (statusCategory as TODO/IN_PROGRESS/DONE)."""
    q = request.query_params
    typed = (q.get("searchString") or "").lower()
    window = page_window(request, default=200, cap=200)
    if isinstance(window, Response):
        return window
    start, size = window
    found = [
        {
            "id": sid,
            "name": name,
            "statusCategory": CATEGORY_KEYS[cat_key],
            "scope": {"type": "GLOBAL"},
            "description": "",
            "usages": [],
        }
        for sid, (name, _, cat_key, _, _) in STATUSES.items()
        if typed in name.lower()
    ]
    return page_bean(request, start, size, len(found), found[start : start + size])
