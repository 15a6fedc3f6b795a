"""Which triage action applies to which item, the Actions it becomes, and its optimistic look.

Pure Python (no Textual) so the rules are unit-tested directly and shared by the key
bindings and the command palette.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from zen_tui.models import Action, ActionKind, Issue, Item, Message, PullRequest

ME = "@me"  # shown on the row until the refresh brings the account's real login


class NotApplicable(ValueError):
    """The action does not apply to (some of) the chosen items; the text says why."""


@dataclass(frozen=True)
class Rule:
    label: str  # used in messages: "merge applies to pull requests"
    applies_to: str  # human description of the valid items


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


CHECKS = {
    "approve": (_is_pr, "pull requests"),
    "merge": (_is_pr, "open pull requests"),
    "close": (_is_github_issue_or_pr, "GitHub pull requests and issues (Jira: use t, transition)"),
    "assign": (_is_issue_or_pr, "pull requests and issues"),
    "label": (_is_issue_or_pr, "pull requests and issues"),
    "comment": (_is_issue_or_pr, "pull requests and issues (messages: use r, reply)"),
    "transition": (_is_jira, "Jira issues"),
    "reply": (_is_message, "Slack messages"),
    "react": (_is_message, "Slack messages"),
}


def check(command: str, items: list[Item]) -> None:
    """Raise NotApplicable with a one-line reason unless `command` fits every item."""
    if not items:
        raise NotApplicable("nothing selected: move to an item first")
    test, what = CHECKS[command]
    bad = [i for i in items if not test(i)]
    if command == "merge":
        bad += [i for i in items if isinstance(i, PullRequest) and i.state != "open"]
    if bad:
        which = bad[0].key if len(items) == 1 else f"{len(bad)} of {len(items)} selected items"
        raise NotApplicable(f"{command} applies to {what}; not to {which}")


def build(command: str, items: list[Item], value: str = "") -> list[Action]:
    """The outbox Actions for `command` on `items` (one per item); `value` is the argument."""
    check(command, items)
    return [_action(command, item, value) for item in items]


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
    elif command in ("comment", "reply"):
        kind, params = command, {"body": value}  # type: ignore[assignment]
    elif command == "transition":
        kind, params = "transition", {"transition": value}
    elif command == "react":
        kind, params = "react", {"name": value}
    elif command == "merge":
        kind, params = "merge", {"merge_method": "merge"}
    else:
        kind = command  # type: ignore[assignment]
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
    if isinstance(item, PullRequest | Issue) and action.kind == "add_label":
        if p["label"] in item.labels:
            return item
        return replace(item, labels=(*item.labels, p["label"]))
    if isinstance(item, PullRequest):
        return _optimistic_pr(item, action)
    if isinstance(item, Issue):
        return _optimistic_issue(item, action)
    return item


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
    if action.kind == "transition":
        return replace(item, status=action.params["transition"])
    table: dict[str, dict[str, Any]] = {
        "close": {"status": "closed"},
        "reopen": {"status": "open"},
        "assign": {"assignee": ME},
    }
    return replace(item, **table.get(action.kind, {}))


REACTIONS = ("eyes", "+1", "white_check_mark", "tada", "heart", "rocket")
