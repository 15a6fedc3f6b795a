"""Jira JSON -> Issue items, and the JQL delta clause."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from itertools import zip_longest
from typing import Any

from zen_tui.gateway.errors import ApiError
from zen_tui.lengths import JIRA_TEXT_MAX, MARKER_ADDED, within
from zen_tui.models import ActionResult, Issue, ScreenField, parse_iso
from zen_tui.services import adf
from zen_tui.services.base import MissingParam
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


def not_available(
    params: dict[str, str], moves: list[tuple[str, str, str]], status: str | None = None
) -> ActionResult:
    """The refusal of a move no transition matches, in the terms it was asked in: a status
    (to=) lists the statuses the issue can move to, each with its transition; a transition's
    name lists the transitions, each with where it leads. `status`, where the issue is (when
    known): the moves listed are the ones from there."""
    name = params.get("transition") or params.get("name")
    asked = f'"{name}"' if name else f'to status "{params.get("to", "")}"'
    where = f' from "{status}"' if status else ""
    listed = [
        m[1] if not m[2] else f"{m[1]} (to {m[2]})" if name else f"{m[2]} ({m[1]})" for m in moves
    ]  # a transition without its target (not Jira's, but read defensively): its name alone
    return ActionResult(
        ok=False,
        message=f"no transition {asked}{where}; available: {', '.join(listed) or 'none'}",
        conflict=True,
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
        ids = tuple(str(v.get("id") or "") if isinstance(v, dict) else "" for v in values)
        name = str(meta.get("name") or key)
        kind = _schema_kind(meta.get("schema"))
        found.append(ScreenField(str(key), name, allowed, ref, ids, kind))
    return tuple(found)


def comment_box(r: Reader, transition: Any) -> ScreenField | None:
    """The comment a transition's screen lists without requiring it (its FieldMetadata's
    `required` false, or a default): a box the user may leave empty, or fill where a workflow
    rule wants one (Jira's metadata never says so: its refusal does, comment_rule_refusal).
    None where the screen lists none, or requires it (screen_fields has it then)."""
    meta = (r.opt_obj(transition, "fields") or {}).get("comment")
    if not isinstance(meta, dict) or (meta.get("required") and not meta.get("hasDefaultValue")):
        return None
    name = str(meta.get("name") or "comment")
    return ScreenField("comment", name, ref="", kind="comment", required=False)


# A transition refused for want of a comment: Jira's reason names it, as a validator's does
# in `errors` ("comment: Comment is required.") or in the message an admin gave it ("A
# Comment must be provided during the transition.").
_NAMES_COMMENT = re.compile(r"\bcomment\b", re.IGNORECASE)


def comment_rule_refusal(name: str, err: ApiError) -> ActionResult | None:
    """Jira's 400 to a transition sent WITHOUT a comment when its reason is the comment: a
    workflow rule (a validator) wants one though the screen lists it as optional, or not at
    all. Named as the screen's own requirement is (screen_refusal), Jira's words kept: an
    admin's message says what the rule wants. None for any other refusal."""
    if err.status != 400 or not _NAMES_COMMENT.search(err.message or ""):
        return None
    return ActionResult(
        ok=False,
        message=f'"{name}" needs comment: a workflow rule refused the move without one '
        f"(Jira: {err.message}); give one in the move's comment box, or add "
        'fields=\'{"comment": "..."}\'',
        conflict=True,
    )


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
    if system == "comment":  # "comments-page" (Cloud), or an array of "comment" (older)
        return "comment"
    return kind


def transition_fields(params: dict[str, str]) -> dict[str, Any]:
    """The `fields` a transition action sets: `fields` (a JSON object), then resolution=NAME
    or resolution_id=ID (Jira takes a resolution by either: {"name": ...} or {"id": ...})."""
    from zen_tui.services.jira_create import fields_from_params

    fields = fields_from_params({"fields": params.get("fields", "")})
    if params.get("resolution_id", "").strip():  # the id, as Jira reads when both are given
        fields["resolution"] = {"id": params["resolution_id"].strip()}
    elif params.get("resolution"):
        fields["resolution"] = {"name": params["resolution"]}
    return fields


def transition_update(
    fields: dict[str, Any], marker: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, update) a transition sends: a comment given in `fields` (fields='{"comment":
    "..."}', as the screen's other fields are given) goes as `update`'s add of a document, the
    only way Jira takes a comment on a transition (doTransition's own example; in `fields`
    Jira Cloud refuses it: "Field does not support update 'comment'"), `marker` (hidden)
    after its text. MissingParam for a comment that is no text, TooLong for one longer than
    Jira takes, counted as sent."""
    if "comment" not in fields:
        return fields, {}
    text = fields["comment"]
    if not isinstance(text, str):
        raise MissingParam('a transition\'s comment is text: fields=\'{"comment": "..."}\'')
    text += marker
    within(text, JIRA_TEXT_MAX, "comment too long for Jira", MARKER_ADDED if marker else "")
    rest = {key: value for key, value in fields.items() if key != "comment"}
    return rest, {"comment": [{"add": {"body": adf.from_text(text)}}]}


def asks_comment(params: dict[str, str]) -> bool:
    """Whether a transition action adds a comment (fields='{"comment": ...}'); False for
    `fields` that are no JSON object (such an action was refused before it was sent)."""
    try:
        return "comment" in transition_fields(params)
    except MissingParam:
        return False


def asked_resolution(params: dict[str, str]) -> dict[str, Any]:
    """The resolution a transition action sets ({"name": ...} or {"id": ...}, from
    resolution=NAME, resolution_id=ID or `fields`), or {} for none (or `fields` that are no
    JSON object: such an action was refused before it was sent)."""
    try:
        asked = transition_fields(params).get("resolution")
    except MissingParam:
        return {}
    return asked if isinstance(asked, dict) else {}


def screen_refusal(
    name: str, needs: tuple[ScreenField, ...], fields: dict[str, Any]
) -> ActionResult | None:
    """Why a transition cannot be sent with these fields, before anything is sent: a required
    field left out, or a value its allowedValues do not hold. None when it may go."""
    problems: list[str] = []
    for need in needs:
        given = fields.get(need.key)
        if given is None or (need.kind == "comment" and not str(given).strip()):
            problems.append(_describe_need(need, None))
            continue
        wrong = next((v for v in _values(given) if not _allows(need, v)), None)
        if wrong is not None or (need.allowed and not _values(given)):
            problems.append(_describe_need(need, wrong))
    if not problems:
        return None
    return ActionResult(ok=False, message=f'"{name}" needs {"; ".join(problems)}', conflict=True)


def _values(given: Any) -> list[Any]:
    """The values a field is given: each of a list (fix versions, a multi-select), or one."""
    return given if isinstance(given, list) else [given]


def _allows(need: ScreenField, value: Any) -> bool:
    """Whether the field's allowedValues hold `value`, named by id or by name (value, for an
    option): Jira takes either, as Atlassian's examples do (doTransition's resolution
    {"name": "Fixed"}; createIssue's priority, versions and components {"id": ...}). An id
    is what Jira reads when both are given."""
    if not need.allowed:
        return True
    if isinstance(value, dict) and "id" in value and any(need.ids):
        return str(value["id"]) in need.ids
    chosen = value.get(need.ref) if isinstance(value, dict) and need.ref else value
    return chosen in need.allowed


def _describe_need(need: ScreenField, wrong: Any) -> str:
    what = need.key if need.name.casefold() == need.key.casefold() else f"{need.key} ({need.name})"
    by_id = isinstance(wrong, dict) and "id" in wrong and any(need.ids)
    shown = wrong.get("id" if by_id else need.ref) if isinstance(wrong, dict) else wrong
    bad = f" ({'id ' if by_id else ''}{shown!r} is not allowed)" if wrong is not None else ""
    # ids where one was given by id, and for the resolution (resolution_id= takes one)
    with_ids = by_id or need.key == "resolution"
    names = [
        f"{a} (id {i})" if with_ids and i else a for a, i in zip_longest(need.allowed, need.ids)
    ]
    values = f" (one of: {', '.join(names)})" if need.allowed else ""
    if need.key == "resolution":
        return f"{what}{values}{bad}; add resolution=NAME or resolution_id=ID"
    sample: Any = {need.ref: "..."} if need.ref else "..."
    sample = [sample] if need.many else sample
    return f"{what}{values}{bad}; add fields='{json.dumps({need.key: sample})}'"


def match_allowed(fields: dict[str, Any], needs: tuple[ScreenField, ...]) -> dict[str, Any]:
    """`fields` with each named value spelt as the server does (resolution=fixed -> Fixed):
    the names are matched ignoring case, as a person types them; ids are left as given."""
    out = dict(fields)
    for need in needs:
        given = out.get(need.key)
        if isinstance(given, list):
            out[need.key] = [_spelt(need, v) for v in given]
        elif given is not None:
            out[need.key] = _spelt(need, given)
    return out


def _spelt(need: ScreenField, value: Any) -> Any:
    if not (isinstance(value, dict) and need.ref and isinstance(value.get(need.ref), str)):
        return value
    wanted = value[need.ref].strip().casefold()
    exact = next((a for a in need.allowed if a.casefold() == wanted), None)
    return value if exact is None else {**value, need.ref: exact}


async def offset_pages(
    fetch: Callable[[dict[str, int]], Awaitable[Any]], r: Reader, name: str, *, size: int, most: int
) -> list[Any]:
    """Every entry of a list Jira pages by startAt (`name` holds each page's), `most` at most,
    in the server's order; `fetch` GETs one page with the params given. One loop for both
    shapes the client reads, as each documents its end (Atlassian's OpenAPI):

    - PageBean* (project/search; the changelog's newest are `tail_pages`): `isLast`, "Whether
      this is the last page", decides; its `total` is documented only as "The number of
      items returned", so it is not read where `isLast` is sent.
    - PageOfCreateMeta* (createmeta's issue types and fields): no `isLast`; `total`, "The
      total number of items in all pages", ends it once that many have come.

    With neither field, paging goes on to the first empty page (one request more than needed,
    never a list cut short); an empty page always ends it. Jira may send fewer entries than
    asked (it caps maxResults per endpoint), so each page starts after what came."""
    found: list[Any] = []
    while len(found) < most:
        body = r.root(await fetch({"startAt": len(found), "maxResults": size}))
        page = r.arr(body, name)
        found.extend(page)
        if not page or _last_page(r, body, len(found)):
            break
    return found[:most]


# Pages a tail read (tail_pages) reads at most: 1,000 of the changelog's 100 entries are more
# changes than an issue gathers; more means a list that never ends.
TAIL_PAGES_MAX = 1_000


async def tail_pages(
    fetch: Callable[[dict[str, int]], Awaitable[Any]], r: Reader, name: str, *, size: int, most: int
) -> list[Any]:
    """The LAST `most` entries of a list Jira pages by startAt, oldest first (the changelog:
    "sorted by date, starting from the oldest"), in the server's order. `offset_pages` would
    read the first `most`: on a long history the oldest changes, the newest left out.

    The first page's `total` says where the tail starts. PageBean documents `total` as "The
    number of items returned", yet its own example counts every page (startAt 2, two values,
    total 5), so it is only where to jump: the tail is read on to the page its `isLast` ends,
    and unless at least `most` came from the jump (a total too high), every page after the
    first is read instead. Without a total, every page is (the newest are the last)."""
    first = r.root(await fetch({"startAt": 0, "maxResults": size}))
    head = r.arr(first, name)
    if not head or _last_page(r, first, len(head)):
        return head[-most:]
    total = r.opt_integer(first, "total")
    if total is not None and total - most > len(head):
        tail = await _pages_from(fetch, r, name, total - most, [], size=size, most=most)
        if len(tail) >= most:
            return tail
    return await _pages_from(fetch, r, name, len(head), head, size=size, most=most)


async def _pages_from(
    fetch: Callable[[dict[str, int]], Awaitable[Any]],
    r: Reader,
    name: str,
    start: int,
    kept: list[Any],
    *,
    size: int,
    most: int,
) -> list[Any]:
    """`kept` and every entry from `start` on to the last page, the last `most` of them.
    Read to the end, so bounded by TAIL_PAGES_MAX: a server that never marks a page last
    (one ignoring startAt, say) fails the read saying so rather than keep it going."""
    tail = deque(kept, maxlen=most)
    for _ in range(TAIL_PAGES_MAX):
        body = r.root(await fetch({"startAt": start, "maxResults": size}))
        page = r.arr(body, name)
        tail.extend(page)
        start += len(page)
        if not page or _last_page(r, body, start):
            return list(tail)
    raise r.fail(f"the pages of '{name}' never end: {TAIL_PAGES_MAX} read, none marked last")


def _last_page(r: Reader, body: dict[str, Any], read: int) -> bool:
    is_last = r.opt_bool(body, "isLast")
    if is_last is not None:
        return is_last
    total = r.opt_integer(body, "total")
    return total is not None and read >= total
