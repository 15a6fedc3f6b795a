"""The Jira simulator's field catalogue: GET /field, `expand=names`, editmeta and createmeta
are all built from FIELDS, so they agree with each other and with what PUT/POST issue accept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zen_tui.simulator.jira.model import (
    FLAGGED_FIELD,
    IMPEDIMENT,
    ISSUE_TYPES,
    LINK_TYPES,
    PRIORITIES,
    SPRINT_FIELD,
    Renderer,
)


@dataclass(frozen=True)
class FieldDef:
    id: str
    name: str
    schema: dict[str, Any]
    editable: tuple[str, ...] = ()  # operations offered in editmeta; empty: read-only
    create: bool = False  # offered by createmeta
    required: bool = False  # required on create


def _s(kind: str, system: str, items: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, "system": system}
    if items:
        schema["items"] = items
    return schema


FIELDS: tuple[FieldDef, ...] = (
    FieldDef("summary", "Summary", _s("string", "summary"), ("set",), True, True),
    FieldDef("issuetype", "Issue Type", _s("issuetype", "issuetype"), (), True, True),
    FieldDef("project", "Project", _s("project", "project"), (), True, True),
    FieldDef("description", "Description", _s("string", "description"), ("set",), True),
    FieldDef("priority", "Priority", _s("priority", "priority"), ("set",), True),
    FieldDef("labels", "Labels", _s("array", "labels", "string"), ("add", "set", "remove"), True),
    FieldDef("duedate", "Due date", _s("date", "duedate"), ("set",), True),
    FieldDef("assignee", "Assignee", _s("user", "assignee"), ("set",), True),
    FieldDef("reporter", "Reporter", _s("user", "reporter"), (), True),
    FieldDef("parent", "Parent", _s("issuelink", "parent"), ("set",), True),
    FieldDef("issuelinks", "Linked Issues", _s("array", "issuelinks", "issuelinks"), ("add",)),
    FieldDef("status", "Status", _s("status", "status")),
    FieldDef("resolution", "Resolution", _s("resolution", "resolution")),
    FieldDef("resolutiondate", "Resolved", _s("datetime", "resolutiondate")),
    FieldDef("created", "Created", _s("datetime", "created")),
    FieldDef("updated", "Updated", _s("datetime", "updated")),
    FieldDef("comment", "Comment", _s("comments-page", "comment"), ("add", "edit", "remove")),
    FieldDef("attachment", "Attachment", _s("array", "attachment", "attachment")),
    FieldDef("subtasks", "Sub-tasks", _s("array", "subtasks", "issuelinks")),
    FieldDef("worklog", "Log Work", _s("array", "worklog", "worklog")),
    FieldDef("creator", "Creator", _s("user", "creator")),
    FieldDef("environment", "Environment", _s("string", "environment")),
    FieldDef("components", "Components", _s("array", "components", "component")),
    FieldDef("fixVersions", "Fix versions", _s("array", "fixVersions", "version")),
    FieldDef("versions", "Affects versions", _s("array", "versions", "version")),
    FieldDef("timetracking", "Time tracking", _s("timetracking", "timetracking")),
    FieldDef("timespent", "Time Spent", _s("number", "timespent")),
    FieldDef("watches", "Watchers", _s("watches", "watches")),
    FieldDef("votes", "Votes", _s("votes", "votes")),
    FieldDef(
        SPRINT_FIELD,
        "Sprint",
        {
            "type": "array",
            "items": "json",
            "custom": "com.pyxis.greenhopper.jira:gh-sprint",
            "customId": 10020,
        },
    ),
    FieldDef(
        FLAGGED_FIELD,
        "Flagged",
        {
            "type": "array",
            "items": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes",
            "customId": 10021,
        },
        ("add", "set", "remove"),
    ),
)
BY_ID = {f.id: f for f in FIELDS}
EDITABLE = {f.id for f in FIELDS if f.editable} - {"comment", "issuelinks"}
CREATABLE = {f.id for f in FIELDS if f.create} - {"project", "issuetype", "parent"}


def field_list() -> list[dict[str, Any]]:
    """GET /field."""
    out = []
    for f in FIELDS:
        custom = f.id.startswith("customfield_")
        clause = [f.name.lower(), f"cf[{f.id.split('_')[1]}]"] if custom else [f.id]
        out.append(
            {
                "id": f.id,
                "key": f.id,
                "name": f.name,
                "untranslatedName": f.name,
                "custom": custom,
                "orderable": bool(f.editable),
                "navigable": True,
                "searchable": True,
                "clauseNames": clause,
                "schema": f.schema,
            }
        )
    return out


def names() -> dict[str, str]:
    """`expand=names`: field id -> display name."""
    return {f.id: f.name for f in FIELDS}


def _allowed(field_id: str, render: Renderer, project: str) -> list[dict[str, Any]] | None:
    if field_id == "priority":
        return [render.priority(p) for p in PRIORITIES]
    if field_id == "issuetype":
        return [render.issuetype(t) for t in ISSUE_TYPES]
    if field_id == "project":
        return [render.project(project)]
    if field_id == "issuelinks":
        return [render.link_type(t) for t in LINK_TYPES]
    if field_id == FLAGGED_FIELD:
        return [render.impediment()]
    return None


def field_meta(
    f: FieldDef, render: Renderer, project: str, *, required: bool, operations: tuple[str, ...]
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "required": required,
        "schema": f.schema,
        "name": f.name,
        "key": f.id,
        "operations": list(operations),
        "hasDefaultValue": f.id == "priority",
    }
    allowed = _allowed(f.id, render, project)
    if allowed is not None:
        meta["allowedValues"] = allowed
    if f.id == "priority":
        meta["defaultValue"] = render.priority("3")
    if f.schema["type"] == "user":
        meta["autoCompleteUrl"] = f"{render.api}/user/assignable/search?project={project}&query="
    return meta


def editmeta(render: Renderer, project: str) -> dict[str, Any]:
    """GET issue/{key}/editmeta and `expand=editmeta`."""
    return {
        "fields": {
            f.id: field_meta(f, render, project, required=f.required, operations=f.editable)
            for f in FIELDS
            if f.editable
        }
    }


def create_fields(render: Renderer, project: str, type_id: str) -> list[dict[str, Any]]:
    """createmeta/{project}/issuetypes/{id}: the fields offered on create, with fieldId."""
    out = []
    for f in FIELDS:
        if not f.create or (f.id == "parent" and not ISSUE_TYPES[type_id][1]):
            continue
        required = f.required or (f.id == "parent" and ISSUE_TYPES[type_id][1])
        meta = field_meta(f, render, project, required=required, operations=("set",))
        out.append({**meta, "fieldId": f.id})
    return out


def flag_value(value: Any) -> bool | None:
    """The Flagged field's value as on/off: [] or [{"id": null}] clears it, the Impediment
    option (by id or value) sets it; None when the value is not one of those."""
    if value is None:
        return False
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return None
    picked = [v for v in value if v.get("id") is not None or v.get("value") is not None]
    if not picked:
        return False
    ok = all(
        v.get("id") == IMPEDIMENT["id"] or v.get("value") == IMPEDIMENT["value"] for v in picked
    )
    return True if ok else None
