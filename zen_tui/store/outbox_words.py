"""What `zen-tui outbox` and the dashboard's outbox view both show and do: the entries not
done, each on one line with why it waits or failed (said in outbox_listing, without msgspec,
and re-exported here), and the retry, clear and cancel of one entry with the one line each
says. Written once, so the two cannot drift apart; the command prints the lines, the view
shows them (as data, never markup) and its notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from zen_tui.models import ActionState
from zen_tui.store.outbox import HOLDS_LATER, NOT_DONE, Cancel, OutboxMixin
from zen_tui.store.outbox_listing import CHECKED as CHECKED
from zen_tui.store.outbox_listing import EMPTY as EMPTY
from zen_tui.store.outbox_listing import lines as lines
from zen_tui.store.outbox_listing import short_id, state_word
from zen_tui.store.outbox_listing import what as what
from zen_tui.store.rows import EntryGone, InvalidTransition, OutboxEntry

RETRY_REASON = "retry asked by the user"
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


def kept(entry: OutboxEntry, did: str, reason: str) -> str:
    """How `act` answers for an entry it leaves in the outbox, in its listed state: e.g.
    `unknown add_label on ...: no answer ... (kept in the outbox)`; `did` is what the
    entry is said of, as `what` says it (`act` across services says `from`, not `on`)."""
    return f"{state_word(entry)} {did}{reason} (kept in the outbox)"


def listed(store: OutboxMixin) -> list[OutboxEntry]:
    """The entries not done (done ones are pruned in time), in the order they were queued."""
    return store.outbox_by_state(*NOT_DONE)


def cancel_all(store: OutboxMixin) -> list[tuple[OutboxEntry, Cancel]]:
    """`zen-tui outbox cancel --all-pending`: cancel every entry not sent yet, each with the
    steps chained after it; one that may have reached the server (unknown, or left sending
    by a zen-tui that is gone) is asked to cancel (Cancel.checking: checked there, dropped
    if it had not landed). One a zen-tui is sending or checking right now is left
    (Cancel.stopped_by), as is one already asked. Each entry tried, with what its cancel
    did, in queued order."""
    from zen_tui.store import leases  # as in `cancel`

    gone: set[str] = set()
    tried = []
    for entry in store.outbox_by_state(*HOLDS_LATER):
        if entry.id in gone or entry.cancel_asked is not None:  # with a step before, or asked
            continue
        done = store.outbox_cancel(entry.id, alive=leases.alive)
        gone.update(e.id for e in done.cancelled)
        tried.append((entry, done))
    return tried


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
    return told(entry, store.outbox_cancel(entry.id, alive=leases.alive), services, where)


def told(entry: OutboxEntry, done: Cancel, services: dict[str, str], where: Where) -> Said:
    """What the cancel of `entry` did (`done`), in one line: taken back, asked (it may have
    reached the server), refused (1), or no longer there (2)."""
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
