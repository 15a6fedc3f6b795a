"""Which action kinds each service takes, with which parameters, on which item ids.

Apart from zen_tui.actions (which re-exports it all) and free of msgspec and the models, so
`zen-tui act` can refuse a malformed action from its command line and the config's account
names alone, before the config is checked in full, the store opens or the log is set up.
"""

from __future__ import annotations

import re
from typing import Protocol


class Kind:
    """One action kind on one service: `required` holds alias groups (any one name of a group
    satisfies it); `choices` limits a parameter's values. A fixed table, not a record: a plain
    class, so checking an action needs no msgspec (`zen-tui act` refuses a typo before any)."""

    __slots__ = ("choices", "optional", "required")

    def __init__(
        self,
        required: tuple[tuple[str, ...], ...] = (),
        optional: tuple[str, ...] = (),
        choices: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.required = required
        self.optional = optional
        self.choices = choices or {}

    def names(self) -> list[str]:
        return [n for group in self.required for n in group] + list(self.optional)


# GitHub's merge methods, in its order (the merge button's, and the default pick: the first
# one a repository allows).
MERGE_METHODS = ("merge", "squash", "rebase")
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
            choices={"merge_method": MERGE_METHODS},
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
        # transition= / name= picks a transition by name; to= the one leading to a status;
        # resolution= (a name), resolution_id= (an id) and fields= (JSON) fill what its
        # screen requires
        "transition": Kind(
            required=(("transition", "name", "to"),),
            optional=("resolution", "resolution_id", "fields"),
        ),
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
        # url= (and title=): a link after the text (an issue made from the message)
        "reply": Kind(required=(("body", "text"),), optional=("thread_ts", "url", "title")),
        "post": Kind(required=(("body", "text"),), optional=("channel", "url", "title")),
        "react": Kind(required=(("name", "reaction"),)),
        "unreact": Kind(required=(("name", "reaction"),)),
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


class InvalidAction(ValueError):
    """An action that would be refused by its service; the one-line text says how to fix it."""


def kinds_for(service: str) -> list[str]:
    return list(KINDS.get(service, {}))


class Proposed(Protocol):
    """What checking needs of an action: a models.Action, or the fields `zen-tui act` was
    given, before anything that builds an Action (msgspec, the models) is loaded."""

    @property
    def kind(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def params(self) -> dict[str, str]: ...


def validate(action: Proposed, service: str) -> None:
    """Raise InvalidAction unless `action` (on an account of `service`) is well-formed."""
    kind = KINDS[service].get(action.kind)
    if kind is None:
        raise InvalidAction(
            f"{service} items do not take {action.kind}; "
            f"use one of: {', '.join(kinds_for(service))}"
        )
    _check_key(action, service)  # after the kind: the key's shape depends on it (create)
    _check_params(action, kind, service)


def _check_key(action: Proposed, service: str) -> None:
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


def _check_params(action: Proposed, kind: Kind, service: str) -> None:
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
    _check_values(action, service)


_DATE = r"\d{4}-\d{2}-\d{2}"


def _check_values(action: Proposed, service: str) -> None:
    """Values whose shape is known before the server sees them."""
    p = action.params
    if service == "github" and action.kind in ("comment", "create_issue") and not p.get("review"):
        _check_lengths(p)
    if service == "jira" and action.kind == "comment":
        _check_comment(p.get("body", ""))
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
    if "resolution_id" in p:
        _check_resolution_id(p)
    if p.get("duedate") and not re.fullmatch(_DATE, p["duedate"]):
        raise InvalidAction(
            f"duedate={p['duedate']!r} is not a date; use YYYY-MM-DD (empty clears it)"
        )
    if "fields" in p:
        from zen_tui.json_input import loads  # only here: a refused `act` need not load json

        try:
            fields = loads(p["fields"])
        except ValueError:  # NestedTooDeeply too
            fields = None
        if not isinstance(fields, dict):
            raise InvalidAction('fields must be a JSON object, e.g. fields=\'{"labels": ["x"]}\'')
        if service == "jira" and action.kind == "transition" and "comment" in fields:
            _check_comment(fields["comment"])


def _check_comment(comment: object) -> None:
    """A Jira comment, or a transition's (fields='{"comment": "..."}', which the client sends
    as `update`'s add of a document: services/jira_parse.py): text, as long as Jira takes.
    The client counts again as sent, with the hidden marker a comment carries."""
    from zen_tui.lengths import JIRA_TEXT_MAX, TooLong, within

    if not isinstance(comment, str):
        raise InvalidAction('a transition\'s comment is text: fields=\'{"comment": "..."}\'')
    try:
        within(comment, JIRA_TEXT_MAX, "comment too long for Jira")
    except TooLong as err:
        raise InvalidAction(str(err)) from None


def _check_resolution_id(p: dict[str, str]) -> None:
    """resolution_id=: a resolution by its id, as Jira takes {"resolution": {"id": ...}}. Its
    own parameter, not a resolution= that looks like a number: a resolution's name is any
    text (one may be all digits), and Jira tells the two apart by key, not by shape. Jira's
    ids are numbers; which ones the transition takes is checked against its screen."""
    given = p["resolution_id"].strip()
    if p.get("resolution"):
        raise InvalidAction(
            "give the resolution by name (resolution=Fixed) or by id (resolution_id=10002), "
            "not both"
        )
    if not re.fullmatch(r"[0-9]+", given):
        raise InvalidAction(
            f"resolution_id={p['resolution_id']!r} is not a resolution id; ids are numbers, "
            "e.g. resolution_id=10002 (a name goes in resolution=)"
        )


def _check_lengths(p: dict[str, str]) -> None:
    """An issue's title, an issue's or a comment's body longer than GitHub takes (422):
    refused before it is queued. The client counts again as sent, with the hidden marker it
    adds (services/github.py); a review's body is not known to have GitHub's limit."""
    from zen_tui.lengths import GITHUB_BODY_MAX, GITHUB_TITLE_MAX, TooLong, within

    try:
        within(p.get("title", ""), GITHUB_TITLE_MAX, "title too long for GitHub")
        within(p.get("body", ""), GITHUB_BODY_MAX, "body too long for GitHub")
    except TooLong as err:
        raise InvalidAction(str(err)) from None
