"""The outbox: every triage action is written to the store before it is sent, then sent in
order, exactly once, across outages and crashes.

States: PENDING -> SENDING -> DONE | FAILED, or -> UNKNOWN when the request may have reached
the server (a timeout after sending, or a crash while SENDING). An UNKNOWN entry is checked
with `client.verify()` before any resend. Transient failures (breaker open, rate limited,
offline, login expired) leave the entry PENDING and schedule a replay.

Order: an entry left waiting holds back its account's later entries, so they land in the
order made. A wait on a limit narrower than the account (RateLimited.scope: one Jira
issue's writes, one endpoint, one Slack method) holds back only its item's later entries;
an item's actions keep their order, while other items need no order among themselves
(chains say so where one does, below). The gateway refuses, without a request, another
item's entry that meets the same paused limit. A replay and a bulk selection (sync/bulk.py)
hold back by this one rule (Holds).

Every writer is safe with the others: several processes (a dashboard, `zen-tui sync --once`,
`zen-tui act`) may send from one data folder. Each entry is claimed in the store (a lease
naming this process, store/leases.py) before it is verified or sent and released after, so
exactly one process handles it at a time; the others skip it and keep that account's later
entries waiting behind it. A lease whose process died is free at once (its SENDING entry
becomes UNKNOWN and is verified first); a live one expires after LEASE_SECONDS.

Chains (queue_chain): a step that needs what the step before it created (an issue's key and
URL for the reply that links it) is queued with it in one transaction and waits for it. The
creating step's client records what it created (in apply, or in verify when the answer was
lost to a crash) through keep_resolved, in the store; the waiting step then takes it in
place of its `{{created_key}}` / `{{created_url}}` placeholders, persisted before it is sent.
If the step before fails, the steps after it fail too, unsent. Each step is an ordinary
entry: verified before any resend, so a crash between the steps creates nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol

import msgspec

from zen_tui.events import Event, EventBus
from zen_tui.gateway.errors import (
    ApiError,
    AuthExpired,
    BadResponse,
    CircuitOpen,
    GatewayError,
    ItemGone,
    RateLimited,
    Unavailable,
)
from zen_tui.gateway.events import BreakerChanged, RequestDone
from zen_tui.gateway.writing import write_under_way
from zen_tui.models import Action, ActionResult, ActionState, Service
from zen_tui.store import leases
from zen_tui.store.logins import HELD_REASON, is_session, queued_as
from zen_tui.store.outbox import (
    CANCELLED_UNTOLD,
    CREATED_KEY,
    CREATED_URL,
    DROPPED,
    HOLDS_LATER,
)
from zen_tui.store.rows import EntryGone, InvalidTransition, LeaseHeld
from zen_tui.sync.backend import ActionUpdated, LinkAdded
from zen_tui.sync.freshness import reason_for

log = logging.getLogger("zen_tui.sync.outbox")

# Applying these twice leaves the same end state, so an unverifiable one may be re-sent.
IDEMPOTENT_KINDS = frozenset(
    {
        "add_label",
        "remove_label",
        "assign",
        "unassign",
        "close",
        "reopen",
        "transition",
        "edit",  # sets fields to given values
        "edit_comment",
        "delete_comment",
        "mark_read",
        "react",
        "unreact",
    }
)
RETRY_MIN, RETRY_MAX = 2.0, 60.0
_WAITS = (ActionState.PENDING, ActionState.UNKNOWN)  # states an entry waits in to be sent
# The refusal labels (services/base.refused) that may mean the action's item itself is gone.
GONE_REFUSALS = ("not found:", "gone:")
# How often a running engine looks in the store for outbox entries it was not told about: the
# ones another process left there (`zen-tui act` that could not send: offline, breaker open).
# Only this process's own submits, breakers and retries wake it otherwise. One indexed SELECT,
# a chore of the engine's housekeeping (sync/housekeeping.py), run off the event loop.
STORE_CHECK_SECONDS = 30.0
# A send is bounded by the gateway's timeouts, retries and queue deadline (well under this);
# another process takes a lease over earlier only when its holder is gone.
LEASE_SECONDS = 600.0
# Why an action a send here found gone from the outbox was not sent: another process took it
# out (`zen-tui outbox cancel`, or `clear` of a failed one). Its row rolls back (FAILED).
TAKEN_OUT = "not sent: taken out of the outbox (`zen-tui outbox cancel` or `clear`)"


class ActionClient(Protocol):
    """The part of a ServiceClient the outbox needs."""

    service: Service

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult: ...

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None: ...

    def keep_resolved(self, sink: Callable[[str, Mapping[str, str]], object]) -> None:
        """Where the client persists what a write resolved before it is sent (a client that
        resolves nothing never calls `sink`)."""


class OutboxStore(Protocol):
    def outbox_add(
        self,
        action: Action,
        *,
        idempotency_key: str | None = None,
        batch_id: str | None = None,
        login: str | None = None,
    ) -> Any: ...
    def outbox_get(self, entry_id: str) -> Any: ...
    def outbox_merge_params(self, idempotency_key: str, params: Mapping[str, str]) -> Any: ...
    def outbox_add_chain(
        self,
        steps: list[tuple[Action, str | None]],
        *,
        batch_id: str | None = None,
        login: str | None = None,
    ) -> list[Any]: ...
    def outbox_by_state(self, *states: ActionState) -> list[Any]: ...
    def outbox_update(
        self,
        entry_id: str,
        *,
        state: ActionState,
        reason: str | None = None,
        attempt: bool = False,
        owner: str | None = None,
    ) -> Any: ...
    def outbox_claim(
        self, entry_id: str, owner: str, *, lease: float, alive: Callable[[str], bool]
    ) -> Any: ...
    def outbox_release(self, entry_id: str, owner: str) -> None: ...
    def outbox_drop(self, entry_id: str, owner: str) -> Any: ...


class Outcome(msgspec.Struct, frozen=True):
    state: ActionState
    reason: str | None = None
    retry_at: float | None = None  # for PENDING: when to try again
    # For a wait: the narrower limit that holds it (RateLimited.scope: one Jira issue's
    # writes, one endpoint, one Slack method), so only its item waits; None: the account.
    scope: str | None = None


class Sent(msgspec.Struct, frozen=True):
    """What one send left an entry in: its state, and for a wait the narrower limit that
    holds it (Outcome.scope), None for the account's."""

    state: ActionState
    scope: str | None = None


def item_of(entry: Any) -> tuple[str, str]:
    return (entry.action.account, entry.action.item_id)


class Holds:
    """What the waits met in one run of sends (a replay, a bulk) hold back: the accounts
    whose later entries wait (an account-wide wait, or an entry being sent elsewhere), and
    the items whose later entries wait (a wait on a narrower limit: one Jira issue's writes,
    one endpoint, one Slack method). The same rule for every path that sends."""

    def __init__(self, accounts: Iterable[str] = (), items: Iterable[tuple[str, str]] = ()) -> None:
        self.accounts = set(accounts)
        self.items = set(items)

    def holds(self, entry: Any) -> bool:
        return entry.action.account in self.accounts or item_of(entry) in self.items

    def after(self, entry: Any, sent: Sent) -> None:
        """Hold back what `entry`'s send leaves waiting behind it (nothing once final)."""
        if sent.state not in (*_WAITS, ActionState.SENDING):
            return
        if sent.scope is not None:
            self.items.add(item_of(entry))
        else:
            self.accounts.add(entry.action.account)


class Outbox:
    def __init__(
        self,
        store: OutboxStore,
        clients: Mapping[str, ActionClient],
        bus: EventBus,
        *,
        now: Callable[[], float] = time.time,
        accounts: Collection[str] | None = None,
        login_of: Callable[[str], Awaitable[str | None]] | None = None,
        stamp_of: Callable[[str], str | None] | None = None,
        gone: Callable[[Action], Awaitable[str | None]] | None = None,
    ) -> None:
        """`accounts`: the names an action may name (default: the clients'), so actions can
        be queued before the clients are built (the dashboard's first moments)."""
        self.store = store
        self.clients = clients
        self.accounts = accounts
        # account -> the fingerprint of the login its client sends as (Gateway.login): an
        # entry queued under another login is held, never sent as this one (store/logins.py)
        self.login_of = login_of
        # account -> the login this process sends as, to stamp what it queues with (a session
        # one's prefixed, store/logins.py); None: the account's recorded login
        self.stamp_of = stamp_of
        # an action's item, asked about now: its key once the server says it is gone (the
        # engine's confirm_gone, which also removes it), else None (there, or cannot tell)
        self.gone = gone
        self.bus = bus
        self.now = now
        self.claimed: set[str] = set()  # entry ids being sent right now (by us or by bulk)
        # The entries whose rows this outbox last said are open (pending, unknown, being
        # sent): the store check tells those rows when another process ended one.
        self.shown: dict[str, Any] = {}
        self.owner = leases.new_owner()  # names this outbox in the leases it takes
        self.retry_at: float | None = None
        # Per account, when its last "not now" lets it be tried again: a store check skips an
        # account until then (an hour-long rate-limit reset is not re-tried every check).
        self.not_before: dict[str, float] = {}
        # The same per (account, item) whose entry waits on a narrower limit (Outcome.scope):
        # that item's later entries wait behind it, the account's others go on.
        self.item_not_before: dict[tuple[str, str], float] = {}
        self._backoff = RETRY_MIN
        self._wake = asyncio.Event()
        self._woken = False  # by a submit or a closed breaker: the next replay tries every account
        self._unsubscribe = bus.subscribe(self._on_event)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.attach(clients)

    def attach(self, clients: Mapping[str, ActionClient]) -> None:
        """Clients that resolve params before a send keep them in this outbox's store. The
        engine attaches the clients it builds after this outbox (the dashboard's start)."""
        for client in clients.values():
            client.keep_resolved(self._keep_resolved)

    # -- queueing -------------------------------------------------------------------------
    def queue(self, actions: Iterable[Action], *, batch_id: str | None = None) -> list[Any]:
        """Write actions as PENDING, each with its own idempotency key, before any send."""
        entries = []
        for action in actions:
            self._known(action)
            entry = self.store.outbox_add(
                action,
                idempotency_key=str(uuid.uuid4()),
                batch_id=batch_id,
                login=self._stamp(action.account),
            )
            self.publish(entry, ActionState.PENDING, None)
            entries.append(entry)
        return entries

    def queue_chain(self, steps: list[tuple[Action, str | None]]) -> list[Any]:
        """Write a chain of (action, link_from) steps as PENDING in one transaction, each step
        waiting for the one before it (see the module doc)."""
        for action, _ in steps:
            self._known(action)
        stamps = {self._stamp(action.account) for action, _ in steps}
        login = stamps.pop() if len(stamps) == 1 else None  # a chain is one account's
        entries = self.store.outbox_add_chain(steps, login=login)
        for entry in entries:
            self.publish(entry, ActionState.PENDING, None)
        return entries

    def _stamp(self, account: str) -> str | None:
        return None if self.stamp_of is None else self.stamp_of(account)

    def _known(self, action: Action) -> None:
        known = self.clients if self.accounts is None else self.accounts
        if action.account not in known:
            raise ValueError(f"no account named {action.account!r}; check the config")

    def _keep_resolved(self, idempotency_key: str, params: Mapping[str, str]) -> None:
        """Persist what a client resolved just before sending (a transition's target status):
        verify() reads it from the entry's params after a crash. Or what a step created: the
        store links it to the entry's `link_from` in the same transaction."""
        entry = self.store.outbox_merge_params(idempotency_key, params)
        created = params.get(CREATED_KEY)
        if entry is not None and created and getattr(entry, "link_from", None):
            account = entry.action.account
            service = str(getattr(self.clients.get(account), "service", ""))
            self.bus.publish(
                LinkAdded(
                    service=service,
                    account=account,
                    source=entry.link_from,
                    target=f"{account}:{created}",
                )
            )

    def recover(self) -> int:
        """At start: an entry left SENDING by a process that is gone was interrupted mid-send;
        its outcome is unknown. One another live process is sending is left to it."""
        recovered = 0
        for entry in self.store.outbox_by_state(ActionState.SENDING):
            if entry.id in self.claimed:
                continue
            taken = self.claim(entry)
            if taken is not None:
                self.release(taken)
                recovered += 1
        return recovered

    # -- leases ---------------------------------------------------------------------------
    def claim(self, entry: Any) -> Any:
        """The entry, leased to this outbox; None if it is not ours to send now (another
        process holds it, or it is already done or failed)."""
        taken = self.store.outbox_claim(
            entry.id, self.owner, lease=LEASE_SECONDS, alive=leases.alive
        )
        if taken is not None and taken.state is not entry.state:  # a dead sender's SENDING
            self.publish(taken, taken.state, taken.reason)
        return taken

    def release(self, entry: Any) -> None:
        self.store.outbox_release(entry.id, self.owner)

    def unclaimed_state(self, entry: Any) -> ActionState:
        """`entry` could not be claimed: its state now (FAILED when it was taken out of the
        outbox: a done one is pruned only days later), or SENDING while another process
        holds it (a retry is scheduled in case that process dies)."""
        current = self.store.outbox_get(entry.id)
        if current is None or current.state in (ActionState.DONE, ActionState.FAILED):
            return ActionState.FAILED if current is None else ActionState(current.state)
        log.info("outbox entry %s is being sent by another zen-tui process", entry.id)
        self.note(Outcome(ActionState.PENDING))
        return ActionState.SENDING

    # -- one entry's state machine -----------------------------------------------------------
    async def send(self, entry: Any) -> ActionState:
        """Claim one entry and drive it as far as it can go now. Returns its new state
        (SENDING: another process holds it)."""
        return (await self.send_scoped(entry)).state

    async def send_scoped(self, entry: Any) -> Sent:
        """`send`, also saying what a wait the entry is left in holds back (Holds.after)."""
        taken = self.claim(entry)
        if taken is None:
            return Sent(self.unclaimed_state(entry))
        try:
            return await self._send(self.clients[entry.action.account], taken)
        # Lost before sending (a verify that outlived the lease, a login switch held it, the
        # user cancelled it once the lease ran out): not sent.
        except (LeaseHeld, InvalidTransition, EntryGone):
            return Sent(self.unclaimed_state(entry))
        finally:
            self.release(taken)

    async def _send(self, client: ActionClient, entry: Any) -> Sent:
        if getattr(entry, "after_id", None) is not None:
            entry, waiting = self._chained(entry)
            if waiting is not None:
                return Sent(waiting)
        held = await self._held(entry)
        if held is not None:
            return Sent(held)
        # The account's client now, not the one when the entry was claimed: a login that
        # changed while _held read the login is sent as (its old gateway finishes only the
        # writes begun on it, Gateway.retire).
        client = self.clients.get(entry.action.account, client)
        unknown = entry.state is ActionState.UNKNOWN  # sent before: it may have landed
        if unknown:
            outcome = await self._verify(client, entry)
            if outcome is not None:
                self.mark(entry, outcome.state, outcome.reason)
                return self._noted(entry, outcome)
        if _cancel_asked(entry):  # the user cancelled it, and it is not on the server
            return self._drop(entry)
        self.mark(entry, ActionState.SENDING, None, attempt=True, strict=True)
        outcome = await self._apply(client, entry)
        if unknown and (outcome.reason or "").startswith(GONE_REFUSALS):
            outcome = await self._gone_since(entry) or outcome  # gone after the lost answer
        self.mark(entry, outcome.state, outcome.reason)
        return self._noted(entry, outcome)

    def _drop(self, entry: Any) -> Sent:
        """A cancelled entry found not on the server: deleted under its lease, never sent;
        its row is told so (rolled back, as for a cancel of a pending one)."""
        try:
            dropped = self.store.outbox_drop(entry.id, self.owner)
        except (LeaseHeld, EntryGone, InvalidTransition) as err:  # the new holder decides
            log.warning("%s", err)
            return Sent(self.unclaimed_state(entry))
        self.publish(dropped, ActionState.FAILED, DROPPED)
        return Sent(ActionState.FAILED)

    def _noted(self, entry: Any, outcome: Outcome) -> Sent:
        """Schedule the retry `outcome` asks for; say the narrower limit a wait is on."""
        self.note(outcome, entry.action.account, entry.action.item_id)
        return Sent(outcome.state, outcome.scope if outcome.state in _WAITS else None)

    async def _held(self, entry: Any) -> ActionState | None:
        """FAILED when the entry was queued under another login than the one its client
        sends as (learning that login may itself hold it, see store/logins.py), or was taken
        out of the outbox meanwhile; else None."""
        if self.login_of is None:
            return None
        sends_as = await self.login_of(entry.action.account)
        current = self.store.outbox_get(entry.id)
        if current is None or current.state is ActionState.FAILED:
            if current is not None:
                self.publish(current, current.state, current.reason)
            return ActionState.FAILED
        queued_by = getattr(current, "login", None)
        if self._theirs(current.action.account, queued_by, sends_as):
            return ActionState.PENDING  # left as it is, for the process logged in as its user
        if queued_by is None or sends_as is None or queued_as(queued_by) == sends_as:
            return None  # unknown (queued before logins were recorded), or not logged in
        reason = HELD_REASON.format(account=entry.action.account)
        self.mark(entry, ActionState.FAILED, reason)
        return ActionState.FAILED

    def _theirs(self, account: str, queued_by: str | None, sends_as: str | None) -> bool:
        """Another process's to send, not this one's to send nor to hold: queued under a
        session-only login of another user than this process sends as, or this process is
        on a session login and it was queued under the keyring's (whose processes send it,
        or hold it when that login is replaced: store/logins.py)."""
        if queued_by is None:
            return False
        if is_session(queued_by):
            return queued_as(queued_by) != sends_as
        return is_session(self._stamp(account)) and queued_by != sends_as

    async def _skipped(self, entry: Any) -> bool:
        """Whether replay leaves `entry` alone (_theirs), unclaimed and unblocking."""
        queued_by = getattr(entry, "login", None)
        if self.login_of is None or queued_by is None:
            return False
        if not is_session(queued_by) and not is_session(self._stamp(entry.action.account)):
            return False  # the keyring's, here on the keyring's: _held decides, under lease
        try:
            sends_as = await self.login_of(entry.action.account)
        except Exception:  # its login unreadable now: not sent as anyone here
            return True
        return self._theirs(entry.action.account, queued_by, sends_as)

    def _chained(self, entry: Any) -> tuple[Any, ActionState | None]:
        """A chain step, under its lease: with what the step before it created filled in
        (and persisted before any send), or the state it stays in without being sent."""
        before = self.store.outbox_get(entry.after_id)
        if before is None or before.state is ActionState.FAILED:
            why = (
                "the step before it is gone"
                if before is None
                else f"{before.action.kind} before it failed: {before.reason or 'no reason'}"
            )
            self.mark(entry, ActionState.FAILED, f"not sent: {why}")
            return entry, ActionState.FAILED
        if before.state is not ActionState.DONE:
            return entry, ActionState.PENDING  # waits; replay() does not block its account
        filled = fill(entry.action.params, before.action.params)
        if filled:
            merged = self.store.outbox_merge_params(entry.idempotency_key, filled)
            entry = (
                msgspec.structs.replace(entry, action=merged.action)
                if merged is not None
                else entry
            )
        if any(unfilled(value) for value in entry.action.params.values()):  # never sent so
            why = f"not sent: {before.action.kind} before it did not say what it created"
            self.mark(entry, ActionState.FAILED, why)
            return entry, ActionState.FAILED
        return entry, None

    async def _verify(self, client: ActionClient, entry: Any) -> Outcome | None:
        """None = go on and (re)send; else the outcome to record without sending."""
        with failures(self.bus, entry.action.account) as troubles:
            try:
                with write_under_way():  # see _apply
                    applied = await client.verify(
                        entry.action, idempotency_key=entry.idempotency_key
                    )
            except BadResponse as err:  # the check itself was garbled: stay unknown, re-check
                return Outcome(ActionState.UNKNOWN, f"could not verify yet: {reason_for(err)}")
            except GatewayError as err:
                transient = _transient(err, ActionState.UNKNOWN)
                if transient is None and _missing(err):
                    transient = await self._gone_since(entry)
                return transient or Outcome(
                    ActionState.FAILED, f"could not verify: {reason_for(err)}"
                )
        if applied is True:
            return Outcome(ActionState.DONE, "already applied (verified)")
        if applied is None and troubles:  # "cannot tell" only because the service is down now
            return Outcome(ActionState.UNKNOWN, f"could not verify yet: {troubles[-1].error}")
        if applied is None:  # cannot tell: is that because the item itself is gone?
            gone = await self._gone_since(entry)
            if gone is not None:
                return gone
        if applied is None and _cancel_asked(entry):  # neither resent nor said not landed
            return Outcome(ActionState.FAILED, CANCELLED_UNTOLD)
        if applied is None and entry.action.kind not in IDEMPOTENT_KINDS:
            return Outcome(ActionState.FAILED, "outcome unknown, check manually")
        return None

    async def _gone_since(self, entry: Any) -> Outcome | None:
        """The entry was sent and its answer lost, and now its item reads as not there: once
        the server confirms the item is gone, the entry ends FAILED saying so, never sent
        again (nothing left to send it to). None: the item is there, or cannot tell."""
        if self.gone is None:
            return None
        try:
            key = await self.gone(entry.action)
        except Exception:  # a bug in the check: the entry goes on as before
            log.exception("could not ask whether outbox entry %s's item is gone", entry.id)
            return None
        if key is None:
            return None
        return Outcome(ActionState.FAILED, gone_after_send(entry.action, key))

    async def _apply(self, client: ActionClient, entry: Any) -> Outcome:
        try:
            # One write: if a new login replaces its client's gateway meanwhile, the old one
            # still lets it finish, the reads it makes included (writing.py).
            with write_under_way():
                result = await client.apply(entry.action, idempotency_key=entry.idempotency_key)
        except GatewayError as err:
            return after_send_error(err)
        except Exception as err:  # a client bug must not kill the replayer
            log.exception("apply failed for outbox entry %s", entry.id)
            return Outcome(ActionState.UNKNOWN, reason_for(err))
        if result.ok:
            return Outcome(ActionState.DONE, result.message or None)
        message = result.message or "rejected"
        prefix = f"{result.label}: " if result.conflict else ""
        return Outcome(ActionState.FAILED, prefix + message)

    def mark(
        self,
        entry: Any,
        state: ActionState,
        reason: str | None,
        *,
        attempt: bool = False,
        progress: tuple[int, int] | None = None,
        strict: bool = False,
    ) -> Any:
        """Record a new state, only while this outbox holds the entry's lease: a lost lease
        (or an entry cancelled once it ran out) is logged (the new holder decides now), or
        raised with `strict` (before a send)."""
        try:
            updated = self.store.outbox_update(
                entry.id, state=state, reason=reason, attempt=attempt, owner=self.owner
            )
        except (LeaseHeld, EntryGone) as err:
            if strict:
                raise
            log.warning("%s", err)
            return self.store.outbox_get(entry.id) or entry
        entry_now = updated if updated is not None else entry
        # the store's reason: one that landed after a cancel says so (store/outbox.py)
        said = getattr(updated, "reason", reason)
        self.publish(entry_now, state, said, progress)
        return entry_now

    # -- replay ---------------------------------------------------------------------------
    async def replay(self, *, due_only: bool = False) -> dict[ActionState, int]:
        """Send everything PENDING/UNKNOWN in order; an account that hits a transient error
        keeps its later entries waiting so they stay in order. A wait on a narrower limit
        (Outcome.scope: one Jira issue's writes, one endpoint, one Slack method) keeps only
        that item's later entries waiting: the account's other items go on, and those that
        meet the same paused limit are refused by the gateway without a request. `due_only`
        (a store check): leave out the accounts and items whose retry time has not come.
        SENDING entries are listed too: one another process is sending keeps its account's
        later entries waiting (else they overtake it), and one whose sender died is verified
        and finished here."""
        now = self.now()
        later = {a: at for a, at in self.not_before.items() if at > now} if due_only else {}
        items_later = (
            {i: at for i, at in self.item_not_before.items() if at > now} if due_only else {}
        )
        # Due times are noted afresh by this replay's sends; a past one kept would spin the
        # run loop (wake, still blocked, wake at once) until the blocked account recovers.
        self.retry_at = min((*later.values(), *items_later.values()), default=None)
        holds = Holds(later, items_later)
        tried, tried_items = set(later), set(items_later)
        tally: dict[ActionState, int] = {}
        listed = self.store.outbox_by_state(*HOLDS_LATER)
        for entry in listed:
            account = entry.action.account
            if holds.holds(entry) or account not in self.clients:
                continue
            if entry.id in self.claimed:  # being sent here already (another replay, a bulk)
                holds.accounts.add(account)  # its account's later entries wait behind it
                continue
            if await self._skipped(entry):  # another login's: its later ones need not wait
                continue
            tried.add(account)
            tried_items.add(item_of(entry))
            if self._waiting(entry):  # its step before is not done: others need not wait
                self.note(Outcome(ActionState.PENDING))
                continue
            sent = await self._replay_one(entry)
            tally[sent.state] = tally.get(sent.state, 0) + 1
            # later entries wait behind it (also in another process): its item's alone when
            # it waits on a narrower limit, an item's actions staying in the order made
            holds.after(entry, sent)
        for account in tried - holds.accounts:
            self.not_before.pop(account, None)
        # A due time past holds nothing back (its item's entries may have finished in a bulk
        # or elsewhere, never tried here): forgotten, the memory stays as large as the waits.
        past = {item for item, at in self.item_not_before.items() if at <= now}
        for item in (tried_items - holds.items) | past:
            self.item_not_before.pop(item, None)
        if not holds.accounts and not holds.items:
            self.retry_at = None
            self._backoff = RETRY_MIN
        return tally

    async def earlier_waits(self, entries: Collection[Any]) -> set[tuple[str, str]]:
        """The items of `entries` (a bulk's) with an earlier entry, not among them, still
        waiting to be sent here: those items are held back so that entry goes first, an
        item's actions landing in the order made. As in replay, an entry another login's
        or waiting for its chain's step before holds nothing back."""
        ids = {e.id for e in entries}
        first: dict[tuple[str, str], int] = {}
        for entry in entries:
            first[item_of(entry)] = min(entry.seq, first.get(item_of(entry), entry.seq))
        found: set[tuple[str, str]] = set()
        for entry in self.store.outbox_by_state(*HOLDS_LATER):
            item = item_of(entry)
            if entry.id in ids or item in found or entry.seq > first.get(item, -1):
                continue
            if not self._waiting(entry) and not await self._skipped(entry):
                found.add(item)
        return found

    async def _replay_one(self, entry: Any) -> Sent:
        """Send one entry for replay, claimed here while it is sent."""
        self.claimed.add(entry.id)
        try:
            return await self.send_scoped(self.store.outbox_get(entry.id) or entry)
        finally:
            self.claimed.discard(entry.id)

    async def run(self) -> None:
        """Replay now, then whenever woken (submit, breaker closed), a retry is due, or a
        store check found entries another process left for an account not waiting for its
        retry (`left_elsewhere`: an hour-long rate-limit reset on one account must not keep
        another account's entry waiting for that hour)."""
        self._loop = asyncio.get_running_loop()
        self._woken = True  # the first replay: try every account
        while True:
            self._wake.clear()
            woken, self._woken = self._woken, False
            try:
                await self.replay(due_only=not woken)
            except Exception:  # keep the replayer alive; the entries stay in the store
                log.exception("outbox replay failed")
            await self._sleep(self._next_wake())

    def _next_wake(self) -> float | None:
        """Seconds until the earliest retry any account has due (None: none is)."""
        if self.retry_at is None:
            return None
        return max(0.05, self.retry_at - self.now())

    def left_elsewhere(self) -> Callable[[], bool]:
        """The store check, to run off the event loop: are there entries to send now that
        this outbox was not told about (left by another process)? Taken on the loop: which
        accounts wait for a retry, which entries are being sent here."""
        now = self.now()
        later = {a for a, at in self.not_before.items() if at > now}
        items_later = {i for i, at in self.item_not_before.items() if at > now}
        claimed, accounts = set(self.claimed), set(self.clients)

        def check() -> bool:
            return any(
                e.action.account in accounts
                and e.action.account not in later
                and (e.action.account, e.action.item_id) not in items_later
                and e.id not in claimed
                for e in self.store.outbox_by_state(*HOLDS_LATER)
            )

        return check

    def ended_elsewhere(self) -> Callable[[], list[tuple[Any, ActionState, str | None]]]:
        """The store check, to run off the event loop: the entries whose rows this outbox
        last said are open that the store holds as ended, by another process: sent (done),
        failed, or taken out of the outbox (`zen-tui outbox cancel`). Each as `latest`
        says it, for `tell`."""
        shown = list(self.shown.values())

        def check() -> list[tuple[Any, ActionState, str | None]]:
            ended = (self.latest(entry) for entry in shown)
            return [e for e in ended if e[1] in (ActionState.DONE, ActionState.FAILED)]

        return check

    def tell(self, ended: Iterable[tuple[Any, ActionState, str | None]]) -> None:
        """On the loop: what `ended_elsewhere` found, published for the rows still shown
        open (one this process ended meanwhile has said so itself)."""
        for entry, state, reason in ended:
            if entry.id in self.shown:
                self.publish(entry, state, reason)

    def check_store(self) -> None:
        """A replay of the accounts not waiting for a retry (what `left_elsewhere` found)."""
        self._wake.set()

    async def _sleep(self, seconds: float | None) -> bool:
        """Until woken (True), or until `seconds` pass (None: no limit).

        Not asyncio.wait_for: on Python 3.11 it returns the wake when a cancel comes in the
        turn the wake lands, swallowing the cancel; stop() then waited forever for a replayer
        that had gone back to sleep.
        """
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            done, _ = await asyncio.wait({woken}, timeout=seconds)
        finally:
            woken.cancel()
        return bool(done)

    def _waiting(self, entry: Any) -> bool:
        after = getattr(entry, "after_id", None)
        if after is None:
            return False
        before = self.store.outbox_get(after)
        return before is not None and before.state not in (ActionState.DONE, ActionState.FAILED)

    def wake(self) -> None:
        """Replay every account now (a submit, a client built, a breaker closed)."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._wake_all)
        else:
            self._wake_all()

    def _wake_all(self) -> None:
        self._woken = True
        self._wake.set()

    def close(self) -> None:
        self._unsubscribe()
        leases.forget(self.owner)  # leases left behind are free for the next outbox

    # -- helpers ----------------------------------------------------------------------------
    def note(self, outcome: Outcome, account: str | None = None, item: str | None = None) -> None:
        """Schedule a retry for a wait: the account's, or `item`'s alone when the wait is on
        a narrower limit (Outcome.scope)."""
        if outcome.state not in _WAITS:
            return
        at = outcome.retry_at if outcome.retry_at is not None else self.now() + self._backoff
        self._backoff = min(RETRY_MAX, self._backoff * 2)
        self.retry_at = at if self.retry_at is None else min(self.retry_at, at)
        if account is not None and item is not None and outcome.scope is not None:
            self.item_not_before[(account, item)] = at
        elif account is not None:
            self.not_before[account] = at

    def _on_event(self, event: Event) -> None:
        if isinstance(event, BreakerChanged) and event.new == "closed":
            self.wake()

    def latest(self, entry: Any) -> tuple[Any, ActionState, str | None]:
        """The entry as the store holds it now, its state and reason: FAILED (TAKEN_OUT)
        when it is no longer there."""
        current = self.store.outbox_get(entry.id)
        if current is None:
            return entry, ActionState.FAILED, TAKEN_OUT
        return current, ActionState(current.state), current.reason

    def publish(
        self,
        entry: Any,
        state: ActionState,
        reason: str | None,
        progress: tuple[int, int] | None = None,
    ) -> None:
        if state in (*_WAITS, ActionState.SENDING):
            self.shown[entry.id] = entry
        else:
            self.shown.pop(entry.id, None)
        client = self.clients.get(entry.action.account)
        self.bus.publish(
            ActionUpdated(
                service=client.service if client is not None else "",
                account=entry.action.account,
                action_id=entry.id,
                item_id=entry.action.item_id,
                kind=entry.action.kind,
                state=state,
                reason=reason,
                progress=progress,
            )
        )


def _cancel_asked(entry: Any) -> bool:
    """The user cancelled it while it may have reached the server (store/outbox.py)."""
    return getattr(entry, "cancel_asked", None) is not None


def gone_after_send(action: Action, key: str) -> str:
    """The one line an action ends with when its item went while its outcome was unknown."""
    kind = action.kind.replace("_", " ")
    return (
        f"gone: {key} is gone, or no longer visible to {action.account}; "
        f"whether the {kind} took effect before it went cannot be known"
    )


def fill(params: Mapping[str, str], created: Mapping[str, str]) -> dict[str, str]:
    """The params whose `{{created_key}}` / `{{created_url}}` placeholders the step before
    has answered, filled in (plain replacement: user text is never a format string)."""
    out = {}
    for name, value in params.items():
        new = value
        for field in (CREATED_KEY, CREATED_URL):
            if field in created:
                new = new.replace("{{" + field + "}}", created[field])
        if new != value:
            out[name] = new
    return out


def unfilled(value: str) -> bool:
    return any("{{" + field + "}}" in value for field in (CREATED_KEY, CREATED_URL))


@contextlib.contextmanager
def failures(bus: EventBus, account: str) -> Iterator[list[RequestDone]]:
    """Collect this account's failed calls while the block runs. Clients that turn a
    transient error into "cannot tell" / ok=False are told apart from a real answer so."""
    seen: list[RequestDone] = []

    def watch(event: Event) -> None:
        if isinstance(event, RequestDone) and event.account == account and _failed(event):
            seen.append(event)

    unsubscribe = bus.subscribe(watch)
    try:
        yield seen
    finally:
        unsubscribe()


def _failed(event: RequestDone) -> bool:
    """A call that got no usable answer: network error, breaker open, 5xx or 429."""
    status = event.status
    return status is None or status >= 500 or status == 429


def _missing(err: GatewayError) -> bool:
    """A read answered that the thing is not there (services/base.says_missing's rule, kept
    here so the outbox loads no service code)."""
    return isinstance(err, ItemGone) or (isinstance(err, ApiError) and err.status in (404, 410))


def _transient(err: GatewayError, state: ActionState) -> Outcome | None:
    """Errors that mean "not now": the entry keeps `state` and is retried later."""
    if isinstance(err, RateLimited):
        return Outcome(state, reason_for(err), err.retry_at, err.scope)
    if isinstance(err, CircuitOpen | AuthExpired | Unavailable):
        return Outcome(state, reason_for(err), err.retry_at)
    return None


def _may_have_applied(err: Unavailable) -> bool:
    """No status: the request may have reached the server (timeout, dropped connection),
    unless every attempt failed to connect (offline): then it is plainly still to send. A 2xx
    saying the server failed (Slack's HTTP 200 `internal_error`, whose reference says part of
    it may have been done) is as unknown as no answer."""
    if err.status is None:
        return not err.nothing_sent
    return 200 <= err.status < 300


def after_send_error(err: GatewayError) -> Outcome:
    """What a failed send means for its entry: unknown, pending or failed."""
    if isinstance(err, Unavailable) and _may_have_applied(err):
        return Outcome(ActionState.UNKNOWN, f"{reason_for(err)}; will verify before resending")
    if isinstance(err, BadResponse):
        return Outcome(ActionState.UNKNOWN, f"{reason_for(err)}; will verify before resending")
    transient = _transient(err, ActionState.PENDING)
    if transient is not None:
        return transient
    return Outcome(ActionState.FAILED, reason_for(err))
