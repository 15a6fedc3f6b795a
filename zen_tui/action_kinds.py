"""The triage action kinds, apart from the models: the command line lists them for `act` and
its `--help`, which should not wait for `zen_tui.models` (and msgspec) to load."""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

ActionKind = Literal[
    "approve",
    "request_changes",
    "comment",
    "merge",
    "add_label",
    "remove_label",
    "assign",
    "unassign",
    "close",
    "reopen",
    "transition",
    "mark_read",
    "mark_done",
    "reply",
    "react",
    "unreact",  # Slack: take back my reaction (reactions.remove)
    "post",
    "create_issue",  # GitHub, from an item of another service (a Slack message)
    "share",  # Slack: post an item of another service to a channel or DM
    "create",
    "edit",
    "link",
    "edit_comment",
    "delete_comment",
]
ACTION_KINDS: tuple[ActionKind, ...] = get_args(ActionKind)


def is_action_kind(name: str) -> TypeGuard[ActionKind]:
    return name in ACTION_KINDS
