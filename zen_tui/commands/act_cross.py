"""`zen-tui act issue-from-message MESSAGE_ID to=ACCOUNT:REPO|PROJECT [title=] [body=]` and
`zen-tui act share ITEM_ID channel=#NAME|ID [via=SLACK_ACCOUNT] [body=NOTE]`: the dashboard's
`N` and `S` from the command line, through the same outbox steps (zen_tui.crosslink).

The item must be in the local store (listed by a sync or the dashboard): its text, author and
link are what is carried over. Exit status as `act`: 0 every step applied, 3 pending, 1 a step
failed, 2 bad input (nothing queued).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from zen_tui import crosslink
from zen_tui.actions import InvalidAction, NotApplicable, validate
from zen_tui.commands.act import PENDING, send_within_deadline
from zen_tui.config import Settings
from zen_tui.models import ActionState, Item, Message, Service, url_of
from zen_tui.store.outbox_words import kept
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

if TYPE_CHECKING:
    from zen_tui.store import OutboxEntry

TAKES = {
    "issue-from-message": ("to", "title", "body", "issuetype"),
    "share": ("channel", "via", "body"),
}


class BadInput(ValueError):
    """Refused before anything is queued (exit 2)."""


def run(args: argparse.Namespace, settings: Settings, one_shot: Settings) -> int:
    params: dict[str, str] = dict(args.params)
    unknown = sorted(set(params) - set(TAKES[args.kind]))
    if unknown:
        print(
            f"zen-tui: {args.kind} does not take {unknown[0]!r}; it takes: "
            f"{', '.join(TAKES[args.kind])}",
            file=sys.stderr,
        )
        return 2
    try:
        return asyncio.run(_run(args.kind, args.item, params, settings, one_shot))
    except (BadInput, NotApplicable, InvalidAction) as exc:
        print(f"zen-tui: {exc}", file=sys.stderr)
        return 2


async def _run(
    kind: str, item_id: str, params: dict[str, str], settings: Settings, one_shot: Settings
) -> int:
    services: dict[str, Service] = {a.name: a.service for a in settings.accounts}
    engine = SyncEngine(build(one_shot))
    try:
        # the copy its account's login fetched (a token in this environment: its own rows)
        item = engine.rows.of(item_id.partition(":")[0]).find_item(item_id)
        if item is None:
            raise BadInput(
                f"{item_id!r} is not in the local store; run `zen-tui sync --once` (or open "
                "the dashboard) first, then take its id from `zen-tui list --json`"
            )
        if kind == "share":
            steps = [_share(item, params, services)]
        else:
            steps = await _issue(engine, item, params, services)
        for action, _ in steps:
            validate(action, services[action.account])
        entries = engine.outbox.queue_chain(steps)  # in the store before anything is sent
        await send_within_deadline(engine, entries[0])  # bounded as `act`'s send
        await engine.relist_landed(entries)
        done = [engine.store.outbox_get(e.id) or e for e in entries]
    finally:
        await engine.stop()
    return _report(done)


def _share(item: Item, params: dict[str, str], services: dict[str, Service]) -> crosslink.Step:
    slack = [name for name, service in services.items() if service == "slack"]
    via = params.get("via") or (slack[0] if len(slack) == 1 else "")
    if via not in slack:
        raise BadInput(
            f"via={via!r} is not a Slack account; use via= with one of: {', '.join(slack)}"
            if slack
            else "no Slack account in the config: add one to share to Slack"
        )
    if not params.get("channel"):
        raise BadInput("share needs channel=#NAME (or a channel or DM id, e.g. channel=D024BE7)")
    return crosslink.share(item, via, params["channel"], params.get("body", ""))


async def _issue(
    engine: SyncEngine, item: Item, params: dict[str, str], services: dict[str, Service]
) -> list[crosslink.Step]:
    if not isinstance(item, Message):
        raise BadInput(f"{item.id!r} is not a Slack message; issue-from-message takes one")
    if not params.get("to"):
        raise BadInput("issue-from-message needs to=ACCOUNT:OWNER/REPO or to=ACCOUNT:PROJECT")
    target = crosslink.parse_target(params["to"], services)
    link = await _permalink(engine, item)
    body = crosslink.default_body(item, link, params.get("body"))
    title = params.get("title") or crosslink.default_title(item)
    issuetype = params.get("issuetype") or crosslink.JIRA_TYPE
    if target.service != "jira" and "issuetype" in params:
        raise BadInput("issuetype= is for a Jira project; GitHub issues have none")
    return crosslink.issue_from_message(item, target, title, body, issuetype)


async def _permalink(engine: SyncEngine, message: Message) -> str:
    """Slack's permalink; the link built from the team URL when Slack cannot say now."""
    try:
        return await asyncio.wait_for(engine.permalink(message), 10.0)
    except Exception as exc:  # offline, breaker open, timed out: the row's own link will do
        link = url_of(message)  # read from the store: whole
        print(f"note: no permalink from Slack ({exc}); using {link}", file=sys.stderr)
        return link


def _report(entries: list[OutboxEntry]) -> int:
    worst = 0
    for entry in entries:
        state, action = entry.state, entry.action
        reason = f": {entry.reason}" if entry.reason else ""
        created = action.params.get("created_key")
        made = f" -> {action.account}:{created}" if created else ""
        if state is ActionState.DONE:
            print(f"applied {action.kind} from {action.item_id}{made}{reason}")
        elif state is ActionState.FAILED:
            print(f"failed {action.kind} from {action.item_id}{reason}", file=sys.stderr)
            worst = 1
        else:
            print(kept(entry, f"{action.kind} from {action.item_id}", reason))
            worst = worst or PENDING
    return worst
