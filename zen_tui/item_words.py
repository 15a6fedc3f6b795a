"""How a person names an item and its state, over plain values: the models (models.item_label)
and `zen-tui list` say them through these, the latter also for items read as plain JSON
without the records, which load msgspec (cli._quick).

`kind` is the item's kind as the store tags it: "pr", "issue" or "message" (store/codec.py);
`fields` its fields by name, as msgspec.to_builtins gives them.
"""

from __future__ import annotations

from collections.abc import Mapping

from zen_tui.timefmt import local_time

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any


def channel_label(channel: str) -> str:
    """`#dev` for a channel, `@ada` for a DM (the client names DMs that way)."""
    return channel if channel[:1] in ("#", "@") or not channel else f"#{channel}"


def message_label(channel: str, channel_id: str, ts: str, now: float | None = None) -> str:
    """A Slack message by channel and time (`#dev 14:02:05 CET`), never its raw id
    (`C8FV85XYQRT:1795799262.568490`, which `--json` keeps as `key`)."""
    try:
        when = local_time(float(ts), now=now)
    except ValueError:
        when = ""
    return f"{channel_label(channel or channel_id)} {when}".strip()


def item_label(kind: str, fields: Mapping[str, Any], now: float | None = None) -> str:
    """How a person names an item: a PR or issue by its key (`acme/web#12`, `API-30`); a
    Slack message by channel and time (message_label)."""
    if kind != "message":
        return str(fields["key"])
    return message_label(fields["channel"], fields["channel_id"], fields["ts"], now)


def item_state(kind: str, fields: Mapping[str, Any]) -> str:
    """A PR's state (`draft` for an open draft), an issue's status, a message's `thread` or
    `message`."""
    if kind == "pr":
        return "draft" if fields["draft"] and fields["state"] == "open" else str(fields["state"])
    if kind == "issue":
        return str(fields["status"])
    return "thread" if fields["thread_ts"] or fields["reply_count"] else "message"
