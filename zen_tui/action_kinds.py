"""The triage action kinds, apart from the models: the command line lists them for `act` and
its `--help`, which should not wait for the dataclasses in `zen_tui.models` to be built."""

from __future__ import annotations

from typing import Literal, get_args

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
    "reply",
    "react",
    "post",
]
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)
