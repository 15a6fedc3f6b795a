"""Jira transition screens: the fields a POST .../transitions must set for a transition that
has one (a "Resolve" screen requires the resolution, a "Defer" one the due date, a "Request
Changes" one a comment), and the 400 when they are missing or malformed.

A comment is added through `update` ({"comment": [{"add": {"body": <ADF doc>}}]}, Atlassian's
own doTransition example); Jira Cloud refuses one in `fields` ("Field does not support update
'comment'") and answers a required one left out with "Field Comment is required." (both as
sooperset/mcp-atlassian#1262 reports them).

A workflow rule (a validator) may want a field the screen shows as optional: Reject's comment.
Jira runs the validators once the screen's fields pass, and a failing one refuses the move
with a 400 ("the request is invalid for any other reason", doTransition's 400) naming what
it wants: a rule with no message of its own answers {"errors": {"comment": "Comment is
required."}}, as go-jira/jira#444 shows it (go-jira prints ErrorCollection.errors as
"field: message", its jiradata/ErrorCollectionFuncs.go: "ERROR comment: Comment is
required."); one given a message by the admin answers it in `errorMessages`, as
fcarmario/jira-workflow-toolbox#383 shows ({"errorMessages": ["A Comment must be provided
during the transition."], "errors": {}}). Jira Cloud documents neither wording: these are
the reported ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zen_tui.simulator.jira import adf
from zen_tui.simulator.jira.model import RESOLUTIONS, Transition
from zen_tui.simulator.jira.search import error_collection, rich_error, rich_text

COMMENT_REQUIRED = "Field Comment is required."
NOT_IN_FIELDS = "Field does not support update '{}'"
EMPTY_COMMENT = "Comment body can not be empty!"
RULE_WANTS = "{} is required."  # a workflow rule's refusal with no message of its own


def resolution_id(ref: Any) -> str | None:
    """A resolution given as {"id": ...} or {"name": ...} (Jira takes either), or None."""
    if not isinstance(ref, dict):
        return None
    if str(ref.get("id") or "") in RESOLUTIONS:
        return str(ref["id"])
    name = str(ref.get("name") or "").casefold()
    return next((rid for rid, shown in RESOLUTIONS.items() if shown.casefold() == name), None)


def screen_values(t: Transition, fields: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(values to set, errors by field) for a transition's `fields`. Jira's messages: a field
    the screen lacks "cannot be set", a required one left out "is required"."""
    given = fields if isinstance(fields, dict) else {}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in given:
        if name not in t.on_screen:
            errors[name] = not_on_screen(name)
        elif name == "comment":  # added, never set: only `update` takes it
            errors[name] = NOT_IN_FIELDS.format(name)
    if "resolution" in t.screen:
        if given.get("resolution") is None:
            errors["resolution"] = "Resolution is required."
        else:
            found = resolution_id(given["resolution"])
            if found is None:
                errors["resolution"] = "Specify a valid resolution (by id or name)."
            else:
                values["resolution"] = found
    if "duedate" in t.screen:
        due = given.get("duedate")
        if due is None:
            errors["duedate"] = "Due date is required."
        elif not is_date(due):
            errors["duedate"] = "Error parsing date string: use yyyy-MM-dd."
        else:
            values["duedate"] = due
    return values, errors


def not_on_screen(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


def screen_update(
    t: Transition, request: Request, update: Any, fields: Any
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(comment documents to add, errors by field) for a transition's `update`. Only the
    comment is taken there (its `add`s, each body an ADF document in v3, a string in v2): on
    any transition with a screen, as Jira's transition screens all take one (Atlassian's own
    example adds one on a screen setting the resolution), required where the screen says so
    (where it lists one as optional, a rule may still want it: rule_refusal).
    A field the transition's screen lacks (any, on one without a screen) "cannot be set", as
    in `fields`, and one in both is refused, as doTransition documents."""
    ops = update if isinstance(update, dict) else {}
    given = fields if isinstance(fields, dict) else {}
    errors: dict[str, str] = {}
    for name in ops:
        if name not in t.on_screen and not (name == "comment" and t.has_screen):
            errors[name] = not_on_screen(name)
        elif name in given:
            errors[name] = f"Field '{name}' is given in both fields and update: give it once."
        elif name != "comment":
            errors[name] = f"Field '{name}' is set through fields on this screen."
    docs: list[dict[str, Any]] = []
    if t.has_screen and "comment" not in errors and "comment" not in given:
        docs, wrong = _comment_adds(request, ops.get("comment"))
        if wrong or (not docs and "comment" in t.screen):
            errors["comment"] = wrong or COMMENT_REQUIRED
    return docs, errors


def rule_refusal(t: Transition, comments: list[Any], message: str = "") -> Response | None:
    """A workflow rule's 400 for a move without what it wants (Reject's comment), once the
    screen's own fields have passed; `message`, the one an admin gave the rule (answered in
    errorMessages), else Jira's field error. None when the rules pass."""
    if "comment" not in t.rules or comments:
        return None
    if message:
        return error_collection(400, message)
    return error_collection(400, errors={"comment": RULE_WANTS.format("Comment")})


def _comment_adds(request: Request, ops: Any) -> tuple[list[dict[str, Any]], str]:
    """The documents a comment's operations add, or what is wrong with them."""
    if ops is None:
        return [], ""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        return [], 'Operations must be a list of objects, as [{"add": {"body": ...}}].'
    docs: list[dict[str, Any]] = []
    for op in ops:
        if set(op) != {"add"} or not isinstance(op["add"], dict):
            return [], 'A comment on a transition is added: [{"add": {"body": ...}}].'
        doc = rich_text(request, op["add"].get("body"))
        if doc is None:
            return [], rich_error(request)
        if not adf.to_text(doc).strip():
            return [], EMPTY_COMMENT
        docs.append(doc)
    return docs, ""


def is_date(value: Any) -> bool:
    """A yyyy-MM-dd date (a due date set by an edit or on a transition's screen)."""
    try:
        datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        return False
    return True
