"""The outbox: every triage action is committed here before it is sent.

Each call is its own committed transaction, so after a kill -9 the outbox holds every entry
whose call returned. Leaving DONE is refused (that could apply an action twice); FAILED may
only go back to PENDING (a user retry).

Several processes may send from one file: an entry is claimed (`outbox_claim`, a lease with
owner and expiry, taken by a compare-and-set UPDATE whose row count says who won) before it
is sent, and released after. A lease whose owner is gone or whose time ran out is free; an
entry its dead owner left SENDING becomes UNKNOWN on the way, so it is verified before any
resend. An update naming an owner is refused while another live owner holds the lease.

The user may cancel a PENDING entry (never sent, or each try failed in a way known not to
have applied): it is deleted, with the steps chained after it, in one transaction that
takes it only while it is still PENDING and no live sender holds its lease. A sender marks
an entry SENDING, under its lease, before it sends: so a cancel and a send never both win.

An UNKNOWN entry (or a SENDING one whose sender is gone) may already have reached the
server: a cancel of it, under the same rule, marks it `cancel_asked` (the steps chained
after it, never sent, are deleted). It is then never marked SENDING again (outbox_update
refuses), so never resent: its sender's check still runs, and it ends DONE if the action
had landed (its reason saying it landed before the cancel), else it is dropped
(outbox_drop, under the sender's lease: kept in `outbox_dropped` to say so), or FAILED when
the check cannot tell. outbox_cancels_ended lists the first two ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from msgspec.structs import replace

from zen_tui import action_states
from zen_tui.models import Action, ActionState
from zen_tui.store.base import StoreBase
from zen_tui.store.codec import account_of, decode_action, encode_action
from zen_tui.store.health_reads import not_done, outbox_tally
from zen_tui.store.links import add_link
from zen_tui.store.logins import WAITS_REASON, is_session
from zen_tui.store.outbox_listing import CANCELLED_UNTOLD as CANCELLED_UNTOLD
from zen_tui.store.outbox_listing import CANCELS_ENDED, by_state
from zen_tui.store.outbox_listing import COLUMNS as _COLUMNS
from zen_tui.store.outbox_listing import held_reasons as held_reasons
from zen_tui.store.rows import (
    CancelEnded,
    EntryGone,
    IdempotencyConflict,
    InvalidTransition,
    LeaseHeld,
    OutboxEntry,
    StoreError,
)

# What a creating step reports (through outbox_merge_params) for the steps chained after it.
CREATED_KEY, CREATED_URL = "created_key", "created_url"
# The login recorded for the action's account (logins.py), stamped on each entry queued.
_LOGIN = "(SELECT fingerprint FROM logins WHERE account = ?)"
# ...unless the queuing process gives its own (a session-only login's stamp, logins.py).
_STAMP = f"COALESCE(?, {_LOGIN})"
# action_states' (not sent yet; not done), as the typed store takes states.
HOLDS_LATER = tuple(map(ActionState, action_states.HOLDS_LATER))
NOT_DONE = tuple(map(ActionState, action_states.NOT_DONE))
# States a sender may claim: SENDING only when its sender is gone (then it becomes UNKNOWN).
_CLAIMABLE = HOLDS_LATER
# States a cancelled entry is dropped from once its sender knows it is not on the server.
_WAITS = (ActionState.PENDING, ActionState.UNKNOWN)
INTERRUPTED = "interrupted while sending; will verify before any resend"
# Added to the reason of a cancelled entry that the check found had landed (it ends DONE).
LANDED_BEFORE_CANCEL = "it had already landed when it was cancelled: undo it there if unwanted"
# How a cancelled entry ends when the check says it had not landed (dropped, never resent);
# when it cannot tell: CANCELLED_UNTOLD (FAILED, its sender says).
DROPPED = "not sent again: cancelled, and the check found it had not landed"
_ALLOWED_FROM: dict[ActionState, frozenset[ActionState]] = {
    ActionState.DONE: frozenset({ActionState.DONE}),
    ActionState.FAILED: frozenset({ActionState.FAILED, ActionState.PENDING}),
}


class OutboxFigures(NamedTuple):
    """One account's outbox as `zen-tui health` and the dashboard's gateway cards count it."""

    pending: int  # not sent yet: pending, unknown (verified before any resend), being sent
    failed: int  # failed, until retried or cleared


NO_FIGURES = OutboxFigures(0, 0)


class Cancel(NamedTuple):
    """What `outbox_cancel` did: the entries it deleted (the one asked for, then the steps
    chained after it), or the entry that stopped it (that one or a step after it: not
    PENDING, or leased to a live sender), then nothing was deleted. Both empty, and no
    `checking`: no such entry. `checking`: the entry asked for, which may have reached the
    server, marked to be dropped after the check there instead of resent (`cancelled` then
    holds only the steps chained after it)."""

    cancelled: list[OutboxEntry]
    stopped_by: OutboxEntry | None = None
    checking: OutboxEntry | None = None


class OutboxMixin(StoreBase):
    def outbox_add(
        self,
        action: Action,
        *,
        idempotency_key: str | None = None,
        batch_id: str | None = None,
        login: str | None = None,
    ) -> OutboxEntry:
        """Queue `action` as PENDING. The same key with the same action returns the existing
        entry (adding twice is harmless); the same key with another action is an error.
        `login`: the queuing process's session-only login stamp (logins.session_stamp);
        else the entry is stamped with the account's recorded login."""
        import uuid  # here: it loads `platform` (nine regexes), which reading the outbox skips

        entry_id = uuid.uuid4().hex
        key = idempotency_key or entry_id
        now = self._clock()
        with self._write() as db:
            existing = _fetch(db, "idempotency_key = ?", key)
            if existing is not None:
                if existing.action != action:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} is already used by a different action "
                        f"({existing.action.kind} on {existing.action.item_id}); use a new key"
                    )
                return existing
            return _insert_pending(
                db, entry_id, action, key=key, batch_id=batch_id, login=login, now=now
            )

    def outbox_add_chain(
        self,
        steps: list[tuple[Action, str | None]],
        *,
        batch_id: str | None = None,
        login: str | None = None,
    ) -> list[OutboxEntry]:
        """Queue `steps` ((action, link_from) pairs) in one transaction, each after the one
        before it: a crash never leaves the first step queued without the rest. `login`: as
        in outbox_add."""
        import uuid  # here, as in outbox_add: reading the outbox does not load it

        now = self._clock()
        added: list[OutboxEntry] = []
        with self._write() as db:
            after: str | None = None
            for action, link_from in steps:
                entry_id = uuid.uuid4().hex
                key = str(uuid.uuid4())
                entry = _insert_pending(
                    db,
                    entry_id,
                    action,
                    key=key,
                    batch_id=batch_id,
                    login=login,
                    now=now,
                    after=after,
                    link_from=link_from,
                )
                added.append(entry)
                after = entry_id
        return added

    def outbox_get(self, entry_id: str) -> OutboxEntry | None:
        with self._lock:
            return _fetch(self._connection(), "id = ?", entry_id)

    def outbox_by_state(self, *states: ActionState) -> list[OutboxEntry]:
        """Entries in any of `states` (all entries if none given), in insertion order."""
        with self._lock:
            rows = self._connection().execute(*by_state(states))
            return [_entry(r) for r in rows.fetchall()]

    def outbox_claim(
        self, entry_id: str, owner: str, *, lease: float, alive: Callable[[str], bool]
    ) -> OutboxEntry | None:
        """Take the lease on a PENDING/UNKNOWN entry for `lease` seconds, or on a SENDING one
        whose sender is gone (it becomes UNKNOWN: verify before resending). None when it is
        not there to send (done, failed, pruned) or another live owner holds it; `alive`
        says whether a holder still runs (leases.alive)."""
        now = self._clock()
        with self._write() as db:
            current = _fetch(db, "id = ?", entry_id)
            if current is None or current.state not in _CLAIMABLE:
                return None
            if not _free(current, owner, now, alive):
                return None
            state, reason = current.state, current.reason
            if state is ActionState.SENDING:
                state, reason = ActionState.UNKNOWN, INTERRUPTED
            won = db.execute(  # compare-and-set: only if nobody changed the row meanwhile
                "UPDATE outbox SET lease_owner = ?, lease_until = ?, state = ?, reason = ?,"
                " updated_at = ? WHERE id = ? AND state = ? AND lease_owner IS ?",
                (
                    owner,
                    now + lease,
                    str(state),
                    reason,
                    now,
                    entry_id,
                    str(current.state),
                    current.lease_owner,
                ),
            ).rowcount
            return _fetch(db, "id = ?", entry_id) if won == 1 else None

    def outbox_release(self, entry_id: str, owner: str) -> None:
        """Give the lease back (a no-op if `owner` does not hold it)."""
        with self._write() as db:
            db.execute(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL"
                " WHERE id = ? AND lease_owner = ?",
                (entry_id, owner),
            )

    def outbox_update(
        self,
        entry_id: str,
        *,
        state: ActionState,
        reason: str | None = None,
        attempt: bool = False,
        owner: str | None = None,
        only_from: ActionState | None = None,
    ) -> OutboxEntry:
        """Move an entry to `state`; `reason` replaces the old one (None clears it);
        `attempt=True` counts one more send attempt. With `owner`, LeaseHeld is raised unless
        `owner` holds the entry's lease (else another process may be deciding its state).
        With `only_from`, InvalidTransition unless the entry is in that state now (a user's
        retry of a failed entry, which another process may have retried meanwhile)."""
        with self._write() as db:
            current = _fetch(db, "id = ?", entry_id)
            if current is None:
                raise EntryGone(
                    f"no outbox entry {entry_id!r}; it was cancelled or cleared, or pruned"
                )
            if owner is not None and current.lease_owner != owner:
                raise LeaseHeld(
                    f"outbox entry {entry_id} is no longer leased to this process (its lease "
                    "ran out or was released); it was left to whoever holds it now"
                )
            if only_from is not None and current.state is not only_from:
                raise InvalidTransition(f"outbox entry {entry_id} is {current.state} now")
            if state is ActionState.SENDING and current.cancel_asked is not None:
                raise InvalidTransition(
                    f"outbox entry {entry_id} was cancelled: it is checked, never sent again"
                )
            landed = state is ActionState.DONE and current.state is not ActionState.DONE
            if landed and current.cancel_asked is not None:  # told once, with what it said
                reason = f"{reason}; {LANDED_BEFORE_CANCEL}" if reason else LANDED_BEFORE_CANCEL
            allowed = _ALLOWED_FROM.get(current.state)
            if allowed is not None and state not in allowed:
                raise InvalidTransition(
                    f"outbox entry {entry_id} is {current.state}; it cannot become {state}"
                )
            settled = state in (ActionState.DONE, ActionState.FAILED)  # nothing left to send
            # A user retry sends it as the account's current login (a held entry: by choice);
            # a session login's keeps its user: no other login may send it (logins.py).
            retried = current.state is ActionState.FAILED and state is ActionState.PENDING
            retry = retried and not is_session(current.login)
            # A retried entry is wanted again: a cancel asked before it failed no longer holds.
            db.execute(
                "UPDATE outbox SET state = ?, reason = ?, attempts = attempts + ?, updated_at = ?,"
                " lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,"
                " lease_until = CASE WHEN ? THEN NULL ELSE lease_until END,"
                " cancel_asked = CASE WHEN ? THEN NULL ELSE cancel_asked END,"
                f" login = CASE WHEN ? THEN {_LOGIN} ELSE login END WHERE id = ?",
                (
                    str(state),
                    reason,
                    int(attempt),
                    self._clock(),
                    settled,
                    settled,
                    retried,
                    retry,
                    current.action.account,
                    entry_id,
                ),
            )
            updated = _fetch(db, "id = ?", entry_id)
        assert updated is not None
        return updated

    def outbox_merge_params(
        self, idempotency_key: str, params: Mapping[str, str]
    ) -> OutboxEntry | None:
        """Add `params` to the action of the entry with this key: what its client resolved just
        before sending (a transition's target status), so that a check after a crash can still
        tell whether it was applied; or what it created (CREATED_KEY, CREATED_URL), for the
        steps chained after it and, with the entry's `link_from`, as a cross-link (links.py).
        None if no entry has the key (a write outside the outbox).
        """
        with self._write() as db:
            current = _fetch(db, "idempotency_key = ?", idempotency_key)
            if current is None:
                return None
            action = replace(current.action, params={**current.action.params, **params})
            db.execute(
                "UPDATE outbox SET action = ?, updated_at = ? WHERE id = ?",
                (encode_action(action), self._clock(), current.id),
            )
            created = action.params.get(CREATED_KEY)
            if current.link_from and created:  # in the same transaction: never one without
                add_link(
                    db,
                    current.link_from,
                    f"{action.account}:{created}",
                    action.params.get(CREATED_URL, ""),
                    action.kind,
                    self._clock(),
                )
            return _fetch(db, "id = ?", current.id)

    def outbox_prune(self, done_before: float) -> int:
        """Delete DONE entries last updated before this time, and the dropped ones
        (outbox_drop) dropped before it; FAILED ones stay until handled."""
        with self._write() as db:
            dropped = db.execute("DELETE FROM outbox_dropped WHERE dropped_at < ?", (done_before,))
            # Not one a step chained after it still needs: it holds what that step is filled
            # from. A failed step needs it too: `zen-tui outbox retry` queues it again, and
            # without the step before it, it would fail at once ("the step before it is gone").
            done = db.execute(
                "DELETE FROM outbox WHERE state = ? AND updated_at < ? AND id NOT IN"
                " (SELECT after_id FROM outbox WHERE after_id IS NOT NULL AND state != ?)",
                (str(ActionState.DONE), done_before, str(ActionState.DONE)),
            )
            return dropped.rowcount + done.rowcount

    def outbox_delete_failed(self, entry_id: str | None = None) -> int:
        """Forget FAILED entries (all, or just `entry_id`); returns how many went. Other states
        are never deleted here: they may still be sent, or are being verified."""
        where, params = "state = ?", [str(ActionState.FAILED)]
        if entry_id is not None:
            where, params = f"{where} AND id = ?", [*params, entry_id]
        with self._write() as db:
            return db.execute(f"DELETE FROM outbox WHERE {where}", params).rowcount

    def outbox_cancel(self, entry_id: str, *, alive: Callable[[str], bool]) -> Cancel:
        """Delete a PENDING entry and the steps chained after it (they wait for what it
        would create), all or none: each must still be PENDING and leased to no live
        sender (`alive`: leases.alive), checked and deleted in one write transaction, each
        row by a compare-and-set DELETE. The entries held behind it then go on.

        The entry asked for may instead be one that may have reached the server (UNKNOWN, or
        SENDING with its sender gone), leased to no live sender: it is marked cancel_asked
        by a compare-and-set UPDATE (Cancel.checking), the steps after it deleted as above;
        its next check decides how it ends (the module doc)."""
        now = self._clock()
        with self._write() as db:
            current = _fetch(db, "id = ?", entry_id)
            if current is None:
                return Cancel([])
            later = _chained_after(db, entry_id)
            for entry in (current, *later):
                takes = entry.state is ActionState.PENDING or (
                    entry is current and _may_have_landed(entry, alive)
                )
                if not takes or _leased(entry, now, alive):
                    return Cancel([], entry)
            checking = None if current.state is ActionState.PENDING else current
            going = later if checking else [current, *later]
            if checking is not None:
                checking = _ask_cancel(db, checking, now)
            for entry in going:
                gone = db.execute(
                    "DELETE FROM outbox WHERE id = ? AND state = ? AND lease_owner IS ?",
                    (entry.id, str(ActionState.PENDING), entry.lease_owner),
                ).rowcount
                if gone != 1:  # cannot happen under BEGIN IMMEDIATE: undo all, say so
                    raise StoreError(f"outbox entry {entry.id} changed while being cancelled")
            return Cancel(going, None, checking)

    def outbox_drop(self, entry_id: str, owner: str) -> OutboxEntry:
        """Delete an entry the user cancelled (cancel_asked) that its sender, `owner`, found
        had not landed (or never sent), keeping in `outbox_dropped` that it was (DROPPED),
        in the same transaction: the entry as it was. LeaseHeld unless `owner` holds its
        lease; InvalidTransition unless it is such an entry, still waiting to be sent."""
        with self._write() as db:
            current = _fetch(db, "id = ?", entry_id)
            if current is None:
                raise EntryGone(f"no outbox entry {entry_id!r}; it was cleared, or pruned")
            if current.lease_owner != owner:
                raise LeaseHeld(
                    f"outbox entry {entry_id} is no longer leased to this process; it was "
                    "left to whoever holds it now"
                )
            if current.cancel_asked is None or current.state not in _WAITS:
                raise InvalidTransition(
                    f"outbox entry {entry_id} is {current.state}, not cancelled while waiting"
                )
            db.execute(
                "INSERT INTO outbox_dropped (id, seq, action, attempts, reason, created_at,"
                " cancel_asked, dropped_at) SELECT id, seq, action, attempts, ?, created_at,"
                " cancel_asked, ? FROM outbox WHERE id = ?",
                (DROPPED, self._clock(), entry_id),
            )
            db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
            return current

    def outbox_cancels_ended(self) -> list[CancelEnded]:
        """How the cancels of entries that may have reached the server ended, once checked
        there: landed (DONE, cancel_asked) or dropped (outbox_drop), in queued order; until
        pruned (outbox_prune). One read of each, the done ones by the index of the entries a
        cancel was asked of (`+state`: not the state's index, every done entry of the last
        days)."""
        with self._lock:
            done = self._connection().execute(CANCELS_ENDED, (str(ActionState.DONE),))
            rows = done.fetchall()
        return [
            CancelEnded(i, seq, decode_action(a), n, why, made, ended, asked, bool(landed))
            for i, seq, a, n, why, made, ended, asked, landed in rows
        ]

    def outbox_figures(self) -> dict[str, OutboxFigures]:
        """Per account with any: its entries not sent yet and its failed ones. One indexed
        read of those rows alone (done ones are left out), each row's account alone decoded:
        cheap enough for a running engine to ask after every change of its outbox."""
        with self._lock:
            found = not_done(self._connection())
        tally = outbox_tally(found, account_of)
        return {account: OutboxFigures(*figures) for account, figures in tally.items()}

    def outbox_counts(self) -> dict[ActionState, int]:
        """Entries per state, every state present (zero when none)."""
        counts = dict.fromkeys(ActionState, 0)
        with self._lock:
            rows = self._connection().execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            for state, n in rows.fetchall():
                counts[ActionState(state)] = n
        return counts


def _insert_pending(
    db: sqlite3.Connection,
    entry_id: str,
    action: Action,
    *,
    key: str,
    batch_id: str | None,
    login: str | None,
    now: float,
    after: str | None = None,
    link_from: str | None = None,
) -> OutboxEntry:
    """Insert `action` as a PENDING entry (a chain step: after `after`, linked from
    `link_from`), stamped with `login` or else the account's recorded one; the row as stored."""
    db.execute(
        "INSERT INTO outbox (id, action, idempotency_key, batch_id, state, attempts,"
        " reason, created_at, updated_at, after_id, link_from, login)"
        f" VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, {_STAMP})",
        (
            entry_id,
            encode_action(action),
            key,
            batch_id,
            ActionState.PENDING,
            _waits(action, login),
            now,
            now,
            after,
            link_from,
            login,
            action.account,
        ),
    )
    entry = _fetch(db, "id = ?", entry_id)
    assert entry is not None
    return entry


def held_behind(entry: OutboxEntry, entries: Iterable[OutboxEntry]) -> str | None:
    """Why `entry`, never tried, still waits: an earlier entry of its account among `entries`
    (the outbox) is not sent yet, and an account's actions go in order (the sync's replay
    keeps the later ones waiting behind one that met a transient error). None when it was
    tried or nothing waits before it. Its stored reason (a session login's note) would not
    say why. For every entry of a listing at once: outbox_listing.held_reasons."""
    earlier = (e for e in entries if e.seq < entry.seq)
    return held_reasons([*earlier, entry]).get(entry.id)


def _waits(action: Action, login: str | None) -> str | None:
    """A session login's entry says, until it is sent, whose login it waits for: seen in
    `zen-tui outbox` and the outbox view even after the process holding it is gone."""
    return None if login is None else WAITS_REASON.format(account=action.account)


def _free(entry: OutboxEntry, owner: str, now: float, alive: Callable[[str], bool]) -> bool:
    """Whether `owner` may take this entry's lease now."""
    if entry.lease_owner == owner:  # ours: re-entrant, except a send of ours still in flight
        return entry.state is not ActionState.SENDING
    return not _leased(entry, now, alive)


def _leased(entry: OutboxEntry, now: float, alive: Callable[[str], bool]) -> bool:
    """Whether a live sender holds this entry's lease now (one whose process is gone, or
    whose time ran out, holds nothing)."""
    holder = entry.lease_owner
    if holder is None or entry.lease_until is None or entry.lease_until < now:
        return False
    return alive(holder)


def _may_have_landed(entry: OutboxEntry, alive: Callable[[str], bool]) -> bool:
    """Sent before, its outcome not known: UNKNOWN, or SENDING by a sender that is gone."""
    if entry.state is ActionState.UNKNOWN:
        return True
    holder = entry.lease_owner
    return entry.state is ActionState.SENDING and (holder is None or not alive(holder))


def _ask_cancel(db: sqlite3.Connection, entry: OutboxEntry, now: float) -> OutboxEntry:
    """Mark `entry` cancel_asked (the first time asked is kept), only while nobody changed
    its state or lease since it was read (compare-and-set)."""
    won = db.execute(
        "UPDATE outbox SET cancel_asked = COALESCE(cancel_asked, ?), updated_at = ?"
        " WHERE id = ? AND state = ? AND lease_owner IS ?",
        (now, now, entry.id, str(entry.state), entry.lease_owner),
    ).rowcount
    marked = _fetch(db, "id = ?", entry.id)
    if won != 1 or marked is None:  # cannot happen under BEGIN IMMEDIATE: undo all, say so
        raise StoreError(f"outbox entry {entry.id} changed while being cancelled")
    return marked


def _chained_after(db: sqlite3.Connection, entry_id: str) -> list[OutboxEntry]:
    """The chain steps waiting, directly or through others, for `entry_id`, in order."""
    rows = db.execute(
        "WITH RECURSIVE later(id) AS (SELECT id FROM outbox WHERE after_id = ?"
        " UNION SELECT outbox.id FROM outbox JOIN later ON outbox.after_id = later.id)"
        f" SELECT {_COLUMNS} FROM outbox WHERE id IN later ORDER BY seq",
        (entry_id,),
    )
    return [_entry(r) for r in rows.fetchall()]


def _fetch(db: sqlite3.Connection, where: str, value: str) -> OutboxEntry | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where}", (value,)).fetchone()
    return _entry(row) if row else None


def _entry(row: Any) -> OutboxEntry:
    entry_id, seq, action, key, batch_id, state, attempts, reason, created, updated, *lease = row
    return OutboxEntry(
        entry_id,
        seq,
        decode_action(action),
        key,
        batch_id,
        ActionState(state),
        attempts,
        reason,
        created,
        updated,
        *lease,
    )
