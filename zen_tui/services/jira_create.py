"""Jira create issue: project and issue type from createmeta, the body in ADF, and a hidden
marker in the description so verify() can find an issue that was created before a crash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from zen_tui.actions import split_labels
from zen_tui.json_input import loads
from zen_tui.models import Action
from zen_tui.services import adf
from zen_tui.services.base import Applied, MissingParam, param, priority
from zen_tui.services.jira_parse import jql_string, offset_pages
from zen_tui.services.markers import zw_keys, zw_marker

if TYPE_CHECKING:
    from zen_tui.services.jira import JiraClient

API = "/rest/api/3"
CREATED_WITHIN = "-7d"  # how far back verify() looks for an issue this action created
# Fields the create form and `act create` take by name, and how each is sent.
SIMPLE_FIELDS = ("priority", "labels", "duedate", "parent")
# Projects, issue types and create-screen fields come a page at a time (project/search and
# createmeta: 50 by default); pages are read until the list ends, LIST_MAX entries at most.
PAGE_ASKED = 50
LIST_MAX = 1000


class CreateField(msgspec.Struct, frozen=True):
    """One field of the create screen (createmeta), as the form asks for it."""

    id: str
    name: str
    required: bool
    kind: str  # schema type: string, priority, array, date, user, issuelink, ...
    allowed: tuple[str, ...] = ()  # names of the allowed values, if the field lists them
    has_default: bool = False


def fields_from_params(params: dict[str, str]) -> dict[str, Any]:
    """The extra fields of a create (or edit) action: `fields` (a JSON object) plus the
    simple ones by name (priority=High labels=a,b duedate=2026-01-31 parent=OPS-1)."""
    extra: dict[str, Any] = {}
    raw = params.get("fields")
    if raw:
        try:
            given: Any = loads(raw)
        except ValueError:  # NestedTooDeeply too
            given = None
        if not isinstance(given, dict):
            raise MissingParam('fields must be a JSON object, e.g. fields=\'{"labels": ["x"]}\'')
        extra = given
    if params.get("priority"):
        extra["priority"] = {"name": params["priority"]}
    if "labels" in params:
        extra["labels"] = split_labels(params["labels"])
    if "duedate" in params:
        extra["duedate"] = params["duedate"] or None
    if params.get("parent"):
        extra["parent"] = {"key": params["parent"]}
    return extra


class JiraCreate:
    """The create-issue reads and write of one JiraClient."""

    def __init__(self, client: JiraClient) -> None:
        self.client = client
        self.created: dict[str, str] = {}  # idempotency key -> the new issue's key

    async def _get(self, path: str, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self.client.gateway.request(
            "GET",
            path,
            endpoint=endpoint,
            params=params,
            priority=priority(True),
            cache_type="issue_details",
            allow_stale=True,
        )
        return resp.json()

    async def projects(self) -> list[tuple[str, str]]:
        """(key, name) of the projects the user can see (GET /project/search, every page)."""
        endpoint = f"{API}/project/search"
        r = self.client.r.at(endpoint)
        found = await self._every(endpoint, endpoint, "values")
        return [(r.text(p, "key"), r.opt_text(p, "name") or "") for p in found]

    async def issue_types(self, project: str) -> list[tuple[str, str]]:
        """(id, name) of the issue types `project` can create (createmeta, every page)."""
        endpoint = f"{API}/issue/createmeta/{{project}}/issuetypes"
        r = self.client.r.at(endpoint)
        path = f"{API}/issue/createmeta/{project}/issuetypes"
        found = await self._every(path, endpoint, "issueTypes")
        return [(str(r.opt_scalar(t, "id")), r.text(t, "name")) for t in found]

    async def _every(self, path: str, endpoint: str, name: str) -> list[Any]:
        """Every entry of an offset-paged list (`name` holds each page's), LIST_MAX at most."""

        async def page(params: dict[str, int]) -> Any:
            return await self._get(path, endpoint, params)

        r = self.client.r.at(endpoint)
        return await offset_pages(page, r, name, size=PAGE_ASKED, most=LIST_MAX)

    async def fields(self, project: str, type_id: str) -> list[CreateField]:
        """The create screen's fields for one issue type (createmeta, every page), in Jira's
        order."""
        endpoint = f"{API}/issue/createmeta/{{project}}/issuetypes/{{id}}"
        r = self.client.r.at(endpoint)
        path = f"{API}/issue/createmeta/{project}/issuetypes/{type_id}"
        out = []
        for f in await self._every(path, endpoint, "fields"):
            schema = r.opt_obj(f, "schema") or {}
            allowed = tuple(
                r.opt_text(v, "name") or r.opt_text(v, "value") or ""
                for v in r.opt_arr(f, "allowedValues")
            )
            out.append(
                CreateField(
                    id=r.opt_text(f, "fieldId") or r.text(f, "key"),
                    name=r.opt_text(f, "name") or "",
                    required=bool(r.opt_bool(f, "required")),
                    kind=r.opt_text(schema, "type") or "string",
                    allowed=tuple(a for a in allowed if a),
                    has_default=bool(r.opt_bool(f, "hasDefaultValue")),
                )
            )
        return out

    async def type_id(self, project: str, issuetype: str) -> str:
        """The id of `issuetype` (a name, any case, or an id) in `project`'s createmeta."""
        types = await self.issue_types(project)
        wanted = issuetype.strip().casefold()
        for tid, name in types:
            if tid == issuetype.strip() or name.casefold() == wanted:
                return tid
        names = ", ".join(name for _, name in types) or "none"
        raise MissingParam(f"{project} has no issue type {issuetype!r}; use one of: {names}")

    async def create_issue(
        self,
        project: str,
        issuetype: str,
        summary: str,
        description: str = "",
        fields: dict[str, Any] | None = None,
        *,
        idempotency_key: str,
    ) -> str:
        """POST /issue; the new issue's key. The issue type is a name or an id (from
        createmeta); the description is plain text, sent as ADF, and carries the idempotency
        key in zero-width characters (invisible), which verify() searches for. `fields` holds
        any other fields as Jira takes them (e.g. {"priority": {"name": "High"}}). The
        outbox's `create` action calls this."""
        type_id = await self.type_id(project, issuetype)
        body = {
            "fields": {
                **(fields or {}),
                "project": {"key": project},
                "issuetype": {"id": type_id},
                "summary": summary,
                "description": adf.from_text(description + zw_marker(idempotency_key)),
            }
        }
        c = self.client
        resp = await c._send(
            "POST", f"{API}/issue", body, idempotency_key, self._verifier(project, idempotency_key)
        )
        r = c.r.at(f"{API}/issue")
        root = r.root(resp.json())
        key = r.text(root, "key")
        self.created[idempotency_key] = key
        c.wrote(key, r.opt_text(root, "id"))  # a new issue reaches the search index late too
        return key

    def _verifier(self, project: str, ikey: str) -> Callable[[], Awaitable[Any]]:
        """For the gateway: before it resends a create whose answer was lost, look for it."""

        async def check() -> Any:
            return Applied() if await self.find(project, ikey) else None

        return check

    async def find(self, project: str, idempotency_key: str) -> str | None:
        """The key of the issue this action created in `project`, if any (recent issues the
        user reported, by the marker in their description)."""
        jql = (
            f"project = {jql_string(project)} AND reporter = currentUser() "
            f"AND created >= {CREATED_WITHIN} ORDER BY created DESC"
        )
        resp = await self.client.gateway.request(
            "POST",
            f"{API}/search/jql",
            endpoint=f"{API}/search/jql",
            json={"jql": jql, "fields": ["description"], "maxResults": 100},
            idempotency_key=f"find-created:{idempotency_key}",  # a read: safe to retry
            priority=priority(True),
        )
        r = self.client.r.at(f"{API}/search/jql")
        for issue in r.arr(r.root(resp.json()), "issues"):
            fields = r.opt_obj(issue, "fields") or {}
            if idempotency_key in zw_keys(adf.to_text(fields.get("description"))):
                return r.text(issue, "key")
        return None


def create_args(action: Action, project: str) -> dict[str, Any]:
    """create_issue's keyword arguments from a `create` action's params."""
    p = action.params
    if p.get("project") and p["project"] != project:
        raise MissingParam(
            f"project={p['project']!r} differs from the item id's project {project!r}"
        )
    extra = fields_from_params({k: v for k, v in p.items() if k in (*SIMPLE_FIELDS, "fields")})
    return {
        "project": project,
        "issuetype": param(action, "issuetype"),
        "summary": param(action, "summary"),
        "description": p.get("description", ""),
        "fields": extra,
    }
