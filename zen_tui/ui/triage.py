"""Which triage action applies to which item, the Actions it becomes, and its optimistic look.

The rules themselves live in zen_tui.actions (shared with `zen-tui act`); this module turns
a dashboard command into outbox Actions and the row's optimistic look.
"""

from __future__ import annotations

import math
from typing import Any

from msgspec.structs import replace

from zen_tui.actions import CHECKS, MERGE_METHODS, SINGLE, NotApplicable, check, split_labels
from zen_tui.models import (
    Action,
    ActionKind,
    Issue,
    Item,
    ItemDetail,
    Message,
    PullRequest,
    Reaction,
    ScreenField,
    is_action_kind,
)

__all__ = [
    "CHECKS",
    "DIALOGS",
    "REACTIONS",
    "TYPED_KINDS",
    "NotApplicable",
    "as_number",
    "build",
    "check",
    "optimistic",
    "screen_params",
]

ME = "@me"  # shown on the row until the refresh brings the account's real login


# Commands whose Actions come from a Jira dialog (zen_tui.ui.screens.jira_flows, which checks
# them with the same rules as `zen-tui act`), not from one value.
DIALOGS = frozenset({"edit", "assign_to", "link", "edit_comment", "history"})


def build(command: str, items: list[Item], value: str = "") -> list[Action]:
    """The outbox Actions for `command` on `items` (one per item); `value` is the argument."""
    if command in DIALOGS:
        raise ValueError(f"{command} is built by its dialog (jira_flows), not from one value")
    check(command, items)
    if command in SINGLE:  # a form across services: zen_tui.crosslink builds its steps
        raise NotApplicable(f"{command} is sent from its form, as outbox steps")
    if command == "react" and items and all(_mine(item, value) for item in items):
        command = "unreact"  # as in Slack, choosing my own reaction again takes it back
    return [_action(command, item, value) for item in items]


def _mine(item: Item, name: str) -> bool:
    """The message already shows my reaction `name` (a mixed selection adds it instead)."""
    return isinstance(item, Message) and any(r.name == name and r.me for r in item.reactions)


def _action(command: str, item: Item, value: str) -> Action:
    kind: ActionKind
    params: dict[str, str] = {}
    if command == "close":
        closed = _state(item) in ("closed", "merged")
        kind = "reopen" if closed else "close"
    elif command == "label":
        kind, params = "add_label", {"label": value}
    elif command == "assign":
        kind = "assign"  # no assignee: the service assigns the account's own user
    elif command == "comment":
        kind, params = "comment", {"body": value}
    elif command == "reply":
        kind, params = "reply", {"body": value}
    elif command == "transition":
        kind, params = "transition", {"transition": value}
    elif command == "react":
        kind, params = "react", {"name": value}
    elif command == "unreact":
        kind, params = "unreact", {"name": value}
    elif command == "merge":  # by the method the repository allows (ui/screens/merge_flow)
        if value not in MERGE_METHODS:
            raise NotApplicable(f"merge by one of {', '.join(MERGE_METHODS)}, not {value!r}")
        kind, params = "merge", {"merge_method": value}
    elif command == "mark_read":
        kind, params = "mark_read", {"thread_id": item.thread_id or ""}
    elif command == "mark_done":
        kind, params = "mark_done", {"thread_id": item.thread_id or ""}
    elif is_action_kind(command):
        kind = command
    else:
        raise NotApplicable(f"{command!r} is not a triage action")
    return Action(kind, item.id, item.account, params)


def _state(item: Item) -> str:
    if isinstance(item, PullRequest):
        return item.state
    if isinstance(item, Issue):
        return item.status.lower()
    return ""


def optimistic(item: Item, action: Action) -> Item:
    """How the row looks right after submitting `action`, before the outbox confirms it."""
    p = action.params
    if action.kind == "mark_read":  # done (z) leaves the list at the next listing
        read = replace(item, unread=False)
        return replace(read, status="read") if isinstance(read, Issue) else read
    if isinstance(item, PullRequest | Issue) and action.kind == "add_label":
        if p["label"] in item.labels:
            return item
        return replace(item, labels=(*item.labels, p["label"]))
    if isinstance(item, PullRequest):
        return _optimistic_pr(item, action)
    if isinstance(item, Issue):
        return _optimistic_issue(item, action)
    return _optimistic_message(item, action)


def _optimistic_message(item: Message, action: Action) -> Message:
    """A reply counts on the row (`↳3`), a reaction shows with its count (`:eyes:2`)."""
    if action.kind == "reply":
        return replace(item, reply_count=item.reply_count + 1)
    name = action.params.get("name")
    if action.kind not in ("react", "unreact") or not name:
        return item
    old = next((r for r in item.reactions if r.name == name), None)
    if action.kind == "unreact":
        return _unreacted(item, old)
    if old is not None and old.me:
        return item  # already mine: reacting again changes nothing
    mine = Reaction(name, (old.count if old else 0) + 1, me=True)
    others = tuple(r for r in item.reactions if r.name != name)
    return replace(item, reactions=(*others, mine) if old is None else _swap(item, old, mine))


def _unreacted(item: Message, old: Reaction | None) -> Message:
    """My reaction taken back: one fewer, gone at none; not mine, nothing changes."""
    if old is None or not old.me:
        return item
    if old.count <= 1:
        return replace(item, reactions=tuple(r for r in item.reactions if r is not old))
    return replace(item, reactions=_swap(item, old, Reaction(old.name, old.count - 1, me=False)))


def _swap(item: Message, old: Reaction, new: Reaction) -> tuple[Reaction, ...]:
    return tuple(new if r is old else r for r in item.reactions)


def _optimistic_pr(item: PullRequest, action: Action) -> PullRequest:
    table: dict[str, dict[str, Any]] = {
        "approve": {"review_decision": "approved"},
        "merge": {"state": "merged"},
        "close": {"state": "closed"},
        "reopen": {"state": "open"},
        "assign": {"assignees": (*item.assignees, ME)},
    }
    return replace(item, **table.get(action.kind, {}))


def _optimistic_issue(item: Issue, action: Action) -> Issue:
    p = action.params
    if action.kind == "transition":
        return replace(item, status=p.get("to") or p.get("transition") or item.status)
    if action.kind == "edit":
        return _edited(item, p)
    table: dict[str, dict[str, Any]] = {
        "close": {"status": "closed"},
        "reopen": {"status": "open"},
        "assign": {"assignee": p.get("display_name") or ME},
    }
    return replace(item, **table.get(action.kind, {}))


def _edited(item: Issue, p: dict[str, str]) -> Issue:
    """The row after an edit: the fields a row shows (due date is not on it)."""
    changes: dict[str, Any] = {}
    if p.get("summary"):
        changes["title"] = p["summary"]
    if p.get("priority"):
        changes["priority"] = p["priority"]
    if "labels" in p:
        changes["labels"] = tuple(split_labels(p["labels"]))
    return replace(item, **changes)


def mine_in_preview(action: Action, body: str) -> tuple[str, str, str] | None:
    """What an action adds to the item's preview, shown from the moment it is sent until
    the fetched detail has it: (`comments` or `reviews`, author, text)."""
    if action.kind in ("comment", "reply"):
        return ("comments", "you", body)
    if action.kind == "approve":
        return ("reviews", "you", "APPROVED")
    return None


def with_mine(detail: ItemDetail, mine: list[tuple[str, str, str]]) -> ItemDetail:
    """`detail` plus what I sent that it does not show yet (its cache may be 30 s old)."""
    comments, reviews = list(detail.comments), list(detail.reviews)
    for where, author, text in mine:
        into = comments if where == "comments" else reviews
        if where == "reviews" or all(t.strip() != text.strip() for _, t in into):
            into.append((author, text))
    return replace(detail, comments=tuple(comments), reviews=tuple(reviews))


REACTIONS = ("eyes", "+1", "white_check_mark", "tada", "heart", "rocket")


# The screen fields with no list of values the dashboard asks for as typed text (a form,
# forms.problem checking each by its kind; the comment in a text area, sent as a document
# through `update` by the client); any other (a user, an array, a document) is left to
# `zen-tui act ... fields=JSON`.
TYPED_KINDS = frozenset({"string", "number", "date", "comment"})


def as_number(text: str) -> int | float | None:
    """A number field's value as Jira's JSON takes it (3, 2.5), or None if `text` is none."""
    try:
        return int(text)  # whole, however long (through a float it would be rounded)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # nan, inf: no JSON number


def screen_params(needs: tuple[ScreenField, ...], chosen: dict[str, str]) -> dict[str, str]:
    """The transition params for the values given for its screen's fields: resolution=NAME,
    any other field in fields= (JSON, as `zen-tui act ... fields=JSON` takes it), a picked
    value named as its allowedValues name it (in a list for a field holding many: fix
    versions, a multi-select), a number as a JSON number; an optional field (the comment
    box) left empty is not sent."""
    import json

    params: dict[str, str] = {}
    others: dict[str, object] = {}
    for need in needs:
        value = chosen.get(need.key)
        if value is None or not (value or need.required):  # an optional box left empty
            continue
        if need.key == "resolution":
            params["resolution"] = value
        elif need.allowed:
            one: object = {need.ref: value} if need.ref else value
            others[need.key] = [one] if need.many else one  # a list field takes a list
        elif need.kind == "number":
            others[need.key] = as_number(value)
        else:
            others[need.key] = value
    if others:
        params["fields"] = json.dumps(others)
    return params
