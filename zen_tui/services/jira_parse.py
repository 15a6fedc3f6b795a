"""Jira JSON -> Issue items, and the JQL delta clause."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from zen_tui.models import ActionResult, Issue, ScreenField, parse_iso
from zen_tui.services import adf
from zen_tui.services.fields import Reader
from zen_tui.services.markers import strip_zw

FIELDS = [
    "summary",
    "status",
    "assignee",
    "priority",
    "labels",
    "updated",
    "project",
    "description",
]
CURSOR_FORMAT = "%Y-%m-%d %H:%M"
# A JQL string literal (double- or single-quoted, `\\` escaping the next character) or the
# ORDER BY keyword: ORDER BY counts only outside a literal, so `text ~ "order by date"` keeps
# its value whole.
_ORDER_BY = re.compile(
    r""" "(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*' | (?P<order>\bORDER\s+BY\b) """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def parse_issue(r: Reader, account: str, site: str, raw: Any) -> Issue:
    key = r.text(raw, "key")
    fields = r.opt_obj(raw, "fields") or {}
    return Issue(
        id=f"{account}:{key}",
        account=account,
        service="jira",
        key=key,
        title=r.opt_text(fields, "summary") or "",
        url=f"{site.rstrip('/')}/browse/{key}",
        updated_at=iso_updated(r.opt_scalar(fields, "updated")),
        status=_name(r, fields, "status") or "",
        assignee=_name(r, fields, "assignee", "displayName"),
        priority=_name(r, fields, "priority"),
        labels=tuple(str(label) for label in r.opt_arr(fields, "labels")),
        project=_name(r, fields, "project", "key"),
        body=strip_zw(adf.to_text(fields.get("description"))),
    )


def _name(r: Reader, fields: dict[str, Any], key: str, attr: str = "name") -> str | None:
    obj = r.opt_obj(fields, key)
    return None if obj is None else r.opt_text(obj, attr)


def iso_updated(value: str | None) -> str:
    """Jira's '2023-06-24T19:24:50.000+0000' (or epoch millis) -> ISO 8601 UTC."""
    if not value:
        return ""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC).isoformat().replace("+00:00", "Z")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return value
    return parsed.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def cursor_of(updated: list[str], zone: tzinfo = UTC) -> str | None:
    """The newest ISO timestamp as a JQL minute 'yyyy-MM-dd HH:mm' in the user's zone.

    Jira reads JQL dates in the user's profile time zone; a UTC minute would skip hours of
    changes for anyone west of Greenwich.
    """
    newest = max((u for u in updated if u), default=None)
    if newest is None:
        return None
    when = parse_iso(newest)
    if when is None:
        return None
    return when.astimezone(zone).strftime(CURSOR_FORMAT)


def zone_of(name: str | None) -> tzinfo:
    """The user's time zone from /myself, UTC when missing or unknown."""
    # zoneinfo loads sysconfig and its build data (0.2 MiB): only once a zone is asked for
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def jql_string(value: str) -> str:
    """`value` as a JQL string literal: double-quoted, with `\\` and `"` escaped, so a value
    holding a quote, a reserved word (AND, ORDER) or a reserved character (`=`, `(`, `,`)
    stays one value instead of ending it and adding JQL of its own. Line breaks, which a
    string may not hold, become spaces."""
    flat = " ".join(value.splitlines())
    escaped = flat.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def with_cursor(jql: str, cursor: str | None) -> str:
    """AND `updated >= "cursor"` into the JQL, keeping its ORDER BY at the end."""
    if not cursor:
        return jql
    where, order = split_order_by(jql)
    clause = f"updated >= {jql_string(cursor)}"
    where = f"({where}) AND {clause}" if where else clause
    return f"{where} ORDER BY {order}" if order is not None else where


def split_order_by(jql: str) -> tuple[str, str | None]:
    """(the restriction, what follows its ORDER BY, or None without one), each stripped."""
    found = next((m for m in _ORDER_BY.finditer(jql) if m.group("order")), None)
    if found is None:
        return jql.strip(), None
    return jql[: found.start()].strip(), jql[found.end() :].strip()


def resolve_transition(name: str, moves: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """Match a transition by its name, or else by its target status, ignoring case."""
    wanted = name.strip().casefold()
    for move in moves:
        if move[1].casefold() == wanted:
            return move
    for move in moves:
        if move[2].casefold() == wanted:
            return move
    return None


def pick_move(
    params: dict[str, str], moves: list[tuple[str, str, str]]
) -> tuple[str, str, str] | None:
    """The transition an action asks for: by name (transition=, name=), or, given only the
    target status (to=, what a bulk move by status sends), the one leading there."""
    name = params.get("transition") or params.get("name")
    if name:
        return resolve_transition(name, moves)
    wanted = params.get("to", "").strip().casefold()
    return next((m for m in moves if wanted and m[2].casefold() == wanted), None)


def describe_move(params: dict[str, str]) -> str:
    """What the action asked for, for a refusal: the transition's name or 'to STATUS'."""
    return params.get("transition") or params.get("name") or f"to {params.get('to', '')}"


def not_available(name: str, moves: list[tuple[str, str, str]]) -> ActionResult:
    names = ", ".join(m[1] for m in moves) or "none"
    return ActionResult(
        ok=False, message=f"transition {name!r} not available; available: {names}", conflict=True
    )


def screen_fields(r: Reader, transition: Any) -> tuple[ScreenField, ...]:
    """The fields a transition's screen requires and has no default for (its `fields`, from
    expand=transitions.fields): what a POST .../transitions must set, or Jira answers 400."""
    found: list[ScreenField] = []
    for key, meta in (r.opt_obj(transition, "fields") or {}).items():
        if not isinstance(meta, dict) or not meta.get("required") or meta.get("hasDefaultValue"):
            continue
        values = [v for v in meta.get("allowedValues") or () if isinstance(v, dict | str)]
        ref = next(
            (k for k in ("name", "value") if any(isinstance(v, dict) and k in v for v in values)),
            "",
        )
        allowed = tuple(str(v.get(ref, "")) if isinstance(v, dict) else v for v in values)
        name = str(meta.get("name") or key)
        found.append(ScreenField(str(key), name, allowed, ref, _schema_kind(meta.get("schema"))))
    return tuple(found)


RICH_TEXT = {"description", "environment"}  # system string fields v3 takes as ADF documents


def _schema_kind(schema: object) -> str:
    """A screen field's schema type (FieldMetadata.schema.type); "richtext" for the strings
    Jira's v3 takes only as a document (a textarea custom field, the description)."""
    if not isinstance(schema, dict):
        return ""
    kind = str(schema.get("type") or "")
    custom, system = str(schema.get("custom") or ""), str(schema.get("system") or "")
    if kind == "string" and (custom.endswith(":textarea") or system in RICH_TEXT):
        return "richtext"
    return kind


def transition_fields(params: dict[str, str]) -> dict[str, Any]:
    """The `fields` a transition action sets: `fields` (a JSON object) and resolution=NAME."""
    from zen_tui.services.jira_create import fields_from_params

    fields = fields_from_params({"fields": params.get("fields", "")})
    if params.get("resolution"):
        fields["resolution"] = {"name": params["resolution"]}
    return fields


def screen_refusal(
    name: str, needs: tuple[ScreenField, ...], fields: dict[str, Any]
) -> ActionResult | None:
    """Why a transition cannot be sent with these fields, before anything is sent: a required
    field left out, or a value its allowedValues do not hold. None when it may go."""
    problems: list[str] = []
    for need in needs:
        given = fields.get(need.key)
        chosen = given.get(need.ref) if isinstance(given, dict) and need.ref else given
        if given is not None and (not need.allowed or chosen in need.allowed):
            continue
        problems.append(_describe_need(need, given is not None and chosen))
    if not problems:
        return None
    return ActionResult(ok=False, message=f'"{name}" needs {"; ".join(problems)}', conflict=True)


def _describe_need(need: ScreenField, wrong: object) -> str:
    what = need.key if need.name.casefold() == need.key.casefold() else f"{need.key} ({need.name})"
    bad = f" ({wrong!r} is not allowed)" if wrong else ""
    values = f" (one of: {', '.join(need.allowed)})" if need.allowed else ""
    if need.key == "resolution":
        return f"{what}{values}{bad}; add resolution=NAME"
    sample = {need.ref: "..."} if need.ref else "..."
    return f"{what}{values}{bad}; add fields='{json.dumps({need.key: sample})}'"


def match_allowed(fields: dict[str, Any], needs: tuple[ScreenField, ...]) -> dict[str, Any]:
    """`fields` with each named value spelt as the server does (resolution=fixed -> Fixed):
    the names are matched ignoring case, as a person types them."""
    out = dict(fields)
    for need in needs:
        given = out.get(need.key)
        if not (isinstance(given, dict) and need.ref and isinstance(given.get(need.ref), str)):
            continue
        wanted = given[need.ref].strip().casefold()
        exact = next((a for a in need.allowed if a.casefold() == wanted), None)
        if exact is not None:
            out[need.key] = {**given, need.ref: exact}
    return out
