"""Which triage action fits which item, and which parameters each action kind takes.

Pure Python (no Textual, no I/O): the dashboard's key bindings (via zen_tui.ui.triage) and
`zen-tui act` both check actions here, so a bad action is refused before it is queued.
"""

from __future__ import annotations

import json
import re
from typing import Any

from zen_tui.action_rules import (
    CONTAINER_SHAPES,
    KEY_SHAPES,
    KINDS,
    MERGE_METHODS,
    SOURCE_ITEM_KINDS,
    InvalidAction,
    Kind,
    Proposed,
    kinds_for,
    validate,
)
from zen_tui.models import Action, Issue, Item, Message, PullRequest

# The per-service rules live in zen_tui.action_rules (no msgspec, no models); their names
# stay importable from here, where the rest of zen-tui looks for them.
__all__ = [
    "CHECKS",
    "CONTAINER_SHAPES",
    "KEY_SHAPES",
    "KINDS",
    "MERGE_METHODS",
    "ONE_AT_A_TIME",
    "SINGLE",
    "SOURCE_ITEM_KINDS",
    "VIEWS",
    "InvalidAction",
    "Kind",
    "NotApplicable",
    "Proposed",
    "check",
    "create_action",
    "kinds_for",
    "split_labels",
    "validate",
]


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
