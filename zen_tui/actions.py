"""Which triage action fits which item, and which parameters each action kind takes.

Pure Python (no Textual, no I/O): the dashboard's key bindings (via zen_tui.ui.triage) and
`zen-tui act` both check actions here, so a bad action is refused before it is queued.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from zen_tui.models import Action, Issue, Item, Message, PullRequest


class NotApplicable(ValueError):
    """The action does not apply to (some of) the chosen items; the text says why."""


# ---- the dashboard's commands on loaded items ---------------------------------------------


def _is_pr(item: Item) -> bool:
    return isinstance(item, PullRequest)


def _is_github_issue_or_pr(item: Item) -> bool:
    return isinstance(item, PullRequest) or (isinstance(item, Issue) and item.service == "github")


def _is_issue_or_pr(item: Item) -> bool:
    return isinstance(item, PullRequest | Issue)


def _is_jira(item: Item) -> bool:
    return isinstance(item, Issue) and item.service == "jira"


def _is_message(item: Item) -> bool:
    return isinstance(item, Message)


def _is_notification(item: Item) -> bool:
    return item.service == "github" and item.thread_id is not None


CHECKS = {
    "approve": (_is_pr, "pull requests"),
    "merge": (_is_pr, "open pull requests"),
    "close": (_is_github_issue_or_pr, "GitHub pull requests and issues (Jira: use t, transition)"),
    "assign": (_is_issue_or_pr, "pull requests and issues"),
    "label": (_is_github_issue_or_pr, "GitHub pull requests and issues"),
    "comment": (_is_issue_or_pr, "pull requests and issues (messages: use r, reply)"),
    "transition": (_is_jira, "Jira issues"),
    "reply": (_is_message, "Slack messages"),
    "react": (_is_message, "Slack messages"),
    "issue": (_is_message, "Slack messages (make an issue from a message)"),
    "share": (_is_issue_or_pr, "pull requests and issues (messages: use r, reply)"),
    "mark_read": (_is_notification, "GitHub notifications (a notifications section's rows)"),
    "mark_done": (_is_notification, "GitHub notifications (a notifications section's rows)"),
    "edit": (_is_jira, "Jira issues"),
    "assign_to": (_is_jira, "Jira issues (GitHub: use a, assign me)"),
    "link": (_is_jira, "Jira issues"),
    "edit_comment": (_is_jira, "Jira issues"),
    "history": (_is_jira, "Jira issues"),
}
SINGLE = frozenset({"issue", "share"})  # across services: each opens its own form
# a form or a view of one item
ONE_AT_A_TIME = {"edit", "edit_comment", "history", *SINGLE}


def _is_placeholder(item: Item) -> bool:
    """A created issue's row before its real one arrives: its id names only the project
    (ACCOUNT:PROJ, the create action's item id), never an issue."""
    project = CONTAINER_SHAPES[("jira", "create")][0]
    return _is_jira(item) and bool(re.fullmatch(project, item.id.partition(":")[2]))


# Keys that only read (the preview's diff view), checked the same way.
VIEWS = {"diff": (_is_pr, "pull requests")}


def check(command: str, items: list[Item]) -> None:
    """Raise NotApplicable with a one-line reason unless `command` fits every item."""
    if not items:
        raise NotApplicable("nothing selected: move to an item first")
    if command in ONE_AT_A_TIME and len(items) > 1:
        raise NotApplicable(
            f"{command.replace('_', ' ')} works on one item at a time; "
            "clear the selection (escape) first"
        )
    early = next((i for i in items if _is_placeholder(i)), None)
    if early is not None:
        raise NotApplicable(f"{early.key} is still being created; wait for the refresh")
    test, what = CHECKS[command] if command in CHECKS else VIEWS[command]
    bad = [i for i in items if not test(i)]
    if command == "merge":
        bad += [i for i in items if isinstance(i, PullRequest) and i.state != "open"]
    if bad:
        which = bad[0].key if len(items) == 1 else f"{len(bad)} of {len(items)} selected items"
        raise NotApplicable(f"{command} applies to {what}; not to {which}")


# ---- action kinds per service, and their parameters -----------------------------------------


class Kind(msgspec.Struct, frozen=True):
    """One action kind on one service: `required` holds alias groups (any one name of a group
    satisfies it); `choices` limits a parameter's values."""

    required: tuple[tuple[str, ...], ...] = ()
    optional: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)

    def names(self) -> list[str]:
        return [n for group in self.required for n in group] + list(self.optional)


_BODY = Kind(required=(("body",),))
_OPT_BODY = Kind(optional=("body",))
_LABEL = Kind(required=(("label",),))
_PLAIN = Kind()

KINDS: dict[str, dict[str, Kind]] = {
    "github": {
        "approve": _OPT_BODY,
        "request_changes": _OPT_BODY,
        "comment": Kind(required=(("body",),), optional=("review",)),
        "merge": Kind(
            optional=("merge_method", "sha"),
            choices={"merge_method": ("merge", "squash", "rebase")},
        ),
        "add_label": _LABEL,
        "remove_label": _LABEL,
        "assign": Kind(optional=("assignee",)),
        "unassign": Kind(optional=("assignee",)),
        "close": _PLAIN,
        "reopen": _PLAIN,
        "mark_read": Kind(optional=("thread_id",)),
        "create_issue": Kind(required=(("repo",), ("title",)), optional=("body",)),
        "mark_done": Kind(optional=("thread_id",)),
    },
    "jira": {
        # transition= / name= picks a transition by name; to= the one leading to a status
        "transition": Kind(required=(("transition", "name", "to"),)),
        "assign": Kind(optional=("account_id", "display_name")),
        "unassign": _PLAIN,
        "comment": _BODY,
        # item id ACCOUNT:PROJECT (the issue does not exist yet); see create_action()
        "create": Kind(
            required=(("summary",), ("issuetype",)),
            optional=(
                "project",
                "description",
                "priority",
                "labels",
                "duedate",
                "parent",
                "fields",
                "created",  # the new key, written by the client once known
                "created_key",  # the same and its page, for a chained step (crosslink.py)
                "created_url",
            ),
        ),
        "edit": Kind(optional=("summary", "priority", "labels", "duedate", "fields")),
        "link": Kind(required=(("type",), ("target",))),
        "edit_comment": Kind(required=(("comment_id",), ("body",))),
        "delete_comment": Kind(required=(("comment_id",),)),
    },
    "slack": {
        "reply": Kind(required=(("body", "text"),), optional=("thread_ts",)),
        "post": Kind(required=(("body", "text"),), optional=("channel",)),
        "react": Kind(required=(("name", "reaction"),)),
        "share": Kind(required=(("channel",), ("url",)), optional=("title", "body")),
    },
}
# Kinds whose item is another service's item (the message an issue is made from, the issue
# shared): the action's account is the one doing the work, the item only says what from.
SOURCE_ITEM_KINDS = frozenset({"create_issue", "share"})
# The shapes below are patterns for re.fullmatch, which compiles (and keeps) one the first time
# it is used: `zen-tui act` checks one item's key, and need not compile the other five first.
_ANY_ITEM = r"[^:\s]+:\S+"

# The item key shape per service, with an example for the error message.
KEY_SHAPES: dict[str, tuple[str, str]] = {
    "github": (r"[\w.-]+/[\w.-]+#[1-9]\d*", "OWNER/REPO#NUMBER, e.g. acme/api#12"),
    "jira": (r"[A-Z][A-Z0-9_]*-[1-9]\d*", "PROJECT-NUMBER, e.g. OPS-42"),
    "slack": (r"[A-Z0-9]+:\d+\.\d+", "CHANNEL:TS, e.g. C024BE91L:1700000000.000100"),
}

# Kinds that act on a container, not an item: (service, kind) -> shape and example.
CONTAINER_SHAPES: dict[tuple[str, str], tuple[str, str]] = {
    ("jira", "create"): (r"[A-Z][A-Z0-9_]*", "PROJECT, e.g. OPS"),
}


def create_action(
    account: str,
    project: str,
    issuetype: str,
    summary: str,
    description: str = "",
    fields: dict[str, Any] | None = None,
) -> Action:
    """The outbox action that creates a Jira issue (JiraClient.create_issue): the issue type
    by name or id, `description` as plain text (sent as ADF), `fields` any other fields as
    Jira takes them, e.g. {"labels": ["from-slack"]}."""
    params = {"project": project, "issuetype": issuetype, "summary": summary}
    if description:
        params["description"] = description
    if fields:
        params["fields"] = json.dumps(fields)
    return Action("create", f"{account}:{project}", account, params)


def split_labels(text: str) -> list[str]:
    """'a, b c' -> ['a', 'b', 'c']: Jira labels hold no spaces."""
    return [label for label in text.replace(",", " ").split() if label]


class InvalidAction(ValueError):
    """An action that would be refused by its service; the one-line text says how to fix it."""


def kinds_for(service: str) -> list[str]:
    return list(KINDS.get(service, {}))


def validate(action: Action, service: str) -> None:
    """Raise InvalidAction unless `action` (on an account of `service`) is well-formed."""
    kind = KINDS[service].get(action.kind)
    if kind is None:
        raise InvalidAction(
            f"{service} items do not take {action.kind}; "
            f"use one of: {', '.join(kinds_for(service))}"
        )
    _check_key(action, service)  # after the kind: the key's shape depends on it (create)
    _check_params(action, kind)


def _check_key(action: Action, service: str) -> None:
    if action.kind in SOURCE_ITEM_KINDS:
        if not re.fullmatch(_ANY_ITEM, action.item_id):
            raise InvalidAction(
                f"{action.item_id!r} is not an item id; use ACCOUNT:KEY "
                "(see `zen-tui list ... --json`)"
            )
        return
    prefix = f"{action.account}:"
    key = action.item_id[len(prefix) :] if action.item_id.startswith(prefix) else ""
    shape, example = CONTAINER_SHAPES.get((service, action.kind)) or KEY_SHAPES[service]
    if not re.fullmatch(shape, key):
        raise InvalidAction(
            f"{action.item_id!r} is not a {service} item id; "
            f"use {action.account}:{example} (see `zen-tui list ... --json`)"
        )


def _check_params(action: Action, kind: Kind) -> None:
    p = action.params
    unknown = sorted(set(p) - set(kind.names()))
    if unknown:
        takes = ", ".join(kind.names()) or "no parameters"
        raise InvalidAction(f"{action.kind} does not take {unknown[0]!r}; it takes: {takes}")
    for group in kind.required:
        if not any(p.get(name) for name in group):
            raise InvalidAction(
                f"{action.kind} needs {group[0]}=VALUE, e.g. "
                f"`zen-tui act {action.kind} ITEM_ID {group[0]}=...`"
            )
    for name, allowed in kind.choices.items():
        if name in p and p[name] not in allowed:
            raise InvalidAction(
                f"{name}={p[name]!r} is not valid for {action.kind}; use one of: "
                f"{', '.join(allowed)}"
            )
    _check_values(action)


_DATE = r"\d{4}-\d{2}-\d{2}"


def _check_values(action: Action) -> None:
    """Values whose shape is known before the server sees them."""
    p = action.params
    if action.kind == "edit" and not p:
        raise InvalidAction(
            "edit needs at least one of summary=, priority=, labels=, duedate=, fields= "
            "(duedate= with no value clears it)"
        )
    if (
        action.kind == "link"
        and p.get("target")
        and not re.fullmatch(KEY_SHAPES["jira"][0], p["target"])
    ):
        raise InvalidAction(f"target={p['target']!r} is not an issue key; use e.g. OPS-42")
    if p.get("duedate") and not re.fullmatch(_DATE, p["duedate"]):
        raise InvalidAction(
            f"duedate={p['duedate']!r} is not a date; use YYYY-MM-DD (empty clears it)"
        )
    if "fields" in p:
        try:
            ok = isinstance(json.loads(p["fields"]), dict)
        except ValueError:
            ok = False
        if not ok:
            raise InvalidAction('fields must be a JSON object, e.g. fields=\'{"labels": ["x"]}\'')
