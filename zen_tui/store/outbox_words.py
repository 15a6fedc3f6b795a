"""What `zen-tui outbox` and the dashboard's outbox view both show and do: the entries not
done, each on one line with why it waits or failed, and the retry, clear and cancel of one
entry with the one line each says. Written once, here, so the two cannot drift apart; the
command prints the lines, the view shows them (as data, never markup) and its notices.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import NamedTuple

from zen_tui.models import ActionState
from zen_tui.store.outbox import HOLDS_LATER, NOT_DONE, OutboxMixin, held_reasons
from zen_tui.store.rows import EntryGone, InvalidTransition, OutboxEntry
from zen_tui.text_safety import clean

EMPTY = "outbox empty: nothing pending or failed"
RETRY_REASON = "retry asked by the user"
# Why an entry cancelled while it may have reached the server (unknown) is still listed.
CHECKED = "cancel asked: checked at the server, never resent: dropped if it had not landed"
# How the refusals name the server an action goes to.
SERVICE_NAMES = {"github": "GitHub", "jira": "Jira", "slack": "Slack"}


def servers(services: Mapping[str, str]) -> dict[str, str]:
    """account -> its server's name as the refusals say it, from account -> service."""
    return {account: SERVICE_NAMES.get(service, service) for account, service in services.items()}


class Said(NamedTuple):
    """What a retry, clear or cancel did, in one line: `code` 0 done, 1 refused (the entry
    stays), 2 no such entry in a state it acts on (the command's exit status)."""

    code: int
    line: str


class Where(NamedTuple):
    """How a refusal names the listing and the way to forget a failed entry: the command's
    (`zen-tui outbox`, `zen-tui outbox clear ID`) or the view's (its key)."""

    listing: str
    clear: str  # `{id}` in it stands for the entry's short id

    @staticmethod
    def cli() -> Where:
        return Where("`zen-tui outbox`", "`zen-tui outbox clear {id}`")


def short_id(entry: OutboxEntry) -> str:
    """Ids are shown cut to 12 characters (a unique prefix is enough to name one)."""
    return entry.id[:12]


def what(entry: OutboxEntry) -> str:
    return f"{entry.action.kind} on {entry.action.item_id}"


def listed(store: OutboxMixin) -> list[OutboxEntry]:
    """The entries not done (done ones are pruned in time), in the order they were queued."""
    return store.outbox_by_state(*NOT_DONE)


def lines(entries: list[OutboxEntry], now: float | None = None) -> list[str]:
    """One line per entry: id, state, what, attempts, age and why it waits or failed (an
    entry held behind an earlier one of its account says so, not its stored reason; one
    cancelled while it may have reached the server says what happens to it)."""
    now = time.time() if now is None else now
    held = held_reasons(entries)
    found = []
    for e in entries:
        asked = e.cancel_asked is not None and e.state in HOLDS_LATER
        why = CHECKED if asked else held.get(e.id) or e.reason
        reason = f": {why}" if why else ""
        age = int(now - e.updated_at)
        tries = "1 attempt" if e.attempts == 1 else f"{e.attempts} attempts"
        # cleaned as one line: a newline in a server's message cannot start a forged entry
        found.append(
            clean(f"{short_id(e)}  {e.state:<8} {what(e)} ({tries}, {age}s ago)") + clean(reason)
        )
    return found


def retry(store: OutboxMixin, entry_id: str) -> Said:
    """Queue a failed entry again (sent as the account's current login; logins.py)."""
    try:
        entry = store.outbox_update(
            entry_id, state=ActionState.PENDING, reason=RETRY_REASON, only_from=ActionState.FAILED
        )
    except EntryGone:
        return Said(2, "that entry is no longer in the outbox")
    except InvalidTransition:  # retried, or cleared, meanwhile; or never failed
        now = store.outbox_get(entry_id)
        if now is None:
            return Said(2, "that entry is no longer in the outbox")
        return Said(2, f"{what(now)} is {now.state}, not failed: only a failed entry is retried")
    return Said(0, f"queued again: {what(entry)}")


def clear(store: OutboxMixin, entry: OutboxEntry) -> Said:
    """Forget a failed entry."""
    if store.outbox_delete_failed(entry.id):
        return Said(0, f"cleared: {what(entry)}")
    return Said(2, f"{what(entry)} is not failed now: only a failed entry is cleared")


def cancel(store: OutboxMixin, entry: OutboxEntry, services: dict[str, str], where: Where) -> Said:
    """Take back a pending entry before it is sent, with the steps chained after it, or
    say why not (`services`: account -> the server's name). A failed one is forgotten, as
    `clear` does: nothing will send it. One that may have reached the server (unknown) is
    never resent: checked there, it ends sent if it had landed, else it is dropped."""
    from zen_tui.store import leases  # here: it loads uuid (and platform), a listing does not

    if entry.state is ActionState.FAILED:
        if store.outbox_delete_failed(entry.id):
            return Said(0, f"cleared: {what(entry)} had failed, so it was not going to be sent")
        entry = store.outbox_get(entry.id) or entry  # retried meanwhile: cancelled below
    done = store.outbox_cancel(entry.id, alive=leases.alive)
    if done.stopped_by is not None:
        return Said(1, refusal(entry, done.stopped_by, services, where))
    if done.checking is not None:
        server = services.get(entry.action.account, "the server")
        return Said(0, checking(done.checking, done.cancelled, server))
    if not done.cancelled:
        return Said(2, f"{what(entry)} is no longer in the outbox")
    return Said(0, cancelled(done.cancelled))


def cancelled(entries: list[OutboxEntry]) -> str:
    first, *chained = entries
    also = f" and {_steps(chained)}" if chained else ""
    return f"cancelled: {what(first)}{also}; never sent"


def checking(entry: OutboxEntry, chained: list[OutboxEntry], server: str) -> str:
    """One line: the cancel of an entry that may have reached `server` was taken (with the
    steps chained after it, cancelled outright), and how it ends."""
    also = f"; {_steps(chained)} cancelled, never sent" if chained else ""
    return (
        f"cancel asked: {what(entry)} may already have reached {server} (no clear answer "
        f"came back), so it is checked there and never resent: dropped if it had not "
        f"landed, else it stays sent (then undo it on {server}){also}"
    )


def _steps(chained: list[OutboxEntry]) -> str:
    steps = "the step" if len(chained) == 1 else f"the {len(chained)} steps"
    return f"{steps} chained after it ({', '.join(map(what, chained))})"


def refusal(entry: OutboxEntry, stop: OutboxEntry, services: dict[str, str], where: Where) -> str:
    """One line: why `entry` cannot be cancelled (`stop`: it, or a step chained after it,
    says why) and what to do instead."""
    from zen_tui.store import leases

    server = services.get(stop.action.account, "the server")
    said = what(stop)
    if stop.id != entry.id:
        said = f"{said}, chained after {what(entry)} and cancelled with it,"
    undo = f"if you do not want it, undo it on {server} once {where.listing} no longer lists it"
    if stop.state is ActionState.DONE:
        return f"{said} cannot be cancelled: it was already sent; undo it on {server}"
    if stop.state is ActionState.FAILED:
        forget = where.clear.replace("{id}", short_id(stop))
        return f"{said} failed meanwhile, so nothing will send it; {forget} forgets it"
    holder = stop.lease_owner
    sender_gone = holder is None or not leases.alive(holder)
    # a step chained after it (the entry asked for is checked instead: see `checking`)
    if stop.state in (ActionState.UNKNOWN, ActionState.SENDING) and sender_gone:
        return (
            f"{said} cannot be cancelled: it may already have reached {server} (no clear "
            f"answer came back), so it is checked there and resent only if it did not land; "
            f"{undo}"
        )
    by = leases.describe(holder) if holder else "a zen-tui"
    doing = "checked on" if stop.state is ActionState.UNKNOWN else "sent to"
    return (
        f"{said} cannot be cancelled: it is being {doing} {server} right now (by {by}); "
        f"try again in a moment if it is still {stop.state}, else {undo}"
    )
