"""Cancelling an outbox entry (`zen-tui outbox cancel`): a PENDING entry no live sender holds
goes, with the steps chained after it, in one compare-and-set; anything that may have
reached the server, or that a live sender holds, stays. The randomised interleavings with
real senders are in tests/unit/sync/test_outbox_cancel.py."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.helpers import ManualClock, seeds
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.store.outbox import DROPPED, LANDED_BEFORE_CANCEL, Cancel, held_behind
from zen_tui.store.rows import EntryGone, InvalidTransition, LeaseHeld

from .test_outbox_leases import LEASE, comment, everyone_alive, nobody_alive

S = ActionState


def label(n: int, account: str = "gh") -> Action:
    return Action("add_label", f"{account}:o/r#{n}", account, {"label": "x"})


def test_a_pending_entry_is_cancelled_and_is_gone(store: Store) -> None:
    entry = store.outbox_add(label(1))
    done = store.outbox_cancel(entry.id, alive=everyone_alive)
    assert done == Cancel([entry])
    assert store.outbox_get(entry.id) is None
    assert store.outbox_figures() == {}
    assert store.outbox_cancel(entry.id, alive=everyone_alive) == Cancel([])  # gone: nothing


@pytest.mark.parametrize("state", [S.DONE, S.FAILED])
def test_an_entry_that_is_done_or_failed_stays(store: Store, state: ActionState) -> None:
    entry = store.outbox_add(label(1))
    store.outbox_update(entry.id, state=state, reason="left so")
    done = store.outbox_cancel(entry.id, alive=nobody_alive)
    assert done.cancelled == [] and done.stopped_by is not None and done.checking is None
    assert done.stopped_by.id == entry.id and done.stopped_by.state is state
    assert store.outbox_get(entry.id) is not None


@pytest.mark.parametrize("state", [S.UNKNOWN, S.SENDING])
def test_an_entry_that_may_have_landed_is_marked_never_to_be_sent_again(
    store: Store, clock: ManualClock, state: ActionState
) -> None:
    """Unknown, or sending by a sender that is gone: marked cancel_asked, kept for its
    check; never SENDING again, whoever holds it; DONE says it landed before the cancel."""
    entry = store.outbox_add(label(1))
    store.outbox_claim(entry.id, "gone", lease=LEASE, alive=everyone_alive)
    store.outbox_update(entry.id, state=state, reason="timeout", owner="gone")
    done = store.outbox_cancel(entry.id, alive=nobody_alive)
    assert done.cancelled == [] and done.stopped_by is None and done.checking is not None
    assert done.checking.cancel_asked == clock.now and done.checking.state is state
    clock.now += 5
    again = store.outbox_cancel(entry.id, alive=nobody_alive).checking
    assert again is not None and again.cancel_asked == clock.now - 5  # the first ask kept
    taken = store.outbox_claim(entry.id, "next", lease=LEASE, alive=nobody_alive)
    assert taken is not None and taken.state is S.UNKNOWN
    with pytest.raises(InvalidTransition, match="was cancelled"):
        store.outbox_update(entry.id, state=S.SENDING, attempt=True, owner="next")
    landed = store.outbox_update(entry.id, state=S.DONE, reason="already applied", owner="next")
    assert landed.reason == f"already applied; {LANDED_BEFORE_CANCEL}"


def test_a_cancelled_entry_found_not_landed_is_dropped_by_its_sender_alone(store: Store) -> None:
    entry, other = store.outbox_add(label(1)), store.outbox_add(label(2))
    store.outbox_update(entry.id, state=S.UNKNOWN, reason="timeout")
    store.outbox_claim(entry.id, "s", lease=LEASE, alive=everyone_alive)
    with pytest.raises(InvalidTransition, match="not cancelled"):  # no cancel asked
        store.outbox_drop(entry.id, "s")
    store.outbox_release(entry.id, "s")
    assert store.outbox_cancel(entry.id, alive=everyone_alive).checking is not None
    with pytest.raises(LeaseHeld):  # only under its sender's lease
        store.outbox_drop(entry.id, "s")
    store.outbox_claim(entry.id, "s", lease=LEASE, alive=everyone_alive)
    assert store.outbox_drop(entry.id, "s").id == entry.id
    assert [e.id for e in store.outbox_by_state()] == [other.id]


def test_how_a_cancel_ended_is_kept_until_pruned_with_the_done_entries(
    store: Store, clock: ManualClock
) -> None:
    """A cancelled entry that landed (done) and one dropped are listed as ended, in queued
    order, the dropped one saying why; the prune of done entries takes both when their end
    is older than its time, not before."""
    landed, waiting, dropped = (store.outbox_add(label(n)) for n in (1, 2, 3))
    for entry in (landed, waiting, dropped):
        store.outbox_update(entry.id, state=S.UNKNOWN, reason="timeout", attempt=True)
        store.outbox_cancel(entry.id, alive=nobody_alive)
    asked = clock.now
    clock.now += 10
    for entry in (dropped, landed):
        store.outbox_claim(entry.id, "s", lease=LEASE, alive=everyone_alive)
    store.outbox_drop(dropped.id, "s")
    clock.now += 10
    store.outbox_update(landed.id, state=S.DONE, reason="already applied", owner="s")
    ended = store.outbox_cancels_ended()
    assert [(c.id, c.landed, c.ended_at, c.cancel_asked, c.attempts) for c in ended] == [
        (landed.id, True, clock.now, asked, 1),
        (dropped.id, False, clock.now - 10, asked, 1),
    ]
    assert [c.reason for c in ended] == [f"already applied; {LANDED_BEFORE_CANCEL}", DROPPED]
    assert ended[1].action == dropped.action
    assert store.outbox_prune(clock.now - 10) == 0  # dropped at clock.now - 10: not before
    assert store.outbox_prune(clock.now - 5) == 1
    assert [c.id for c in store.outbox_cancels_ended()] == [landed.id]
    assert store.outbox_prune(clock.now + 1) == 1
    assert store.outbox_cancels_ended() == []
    assert [e.id for e in store.outbox_by_state()] == [waiting.id]


def test_a_retry_of_a_cancelled_entry_that_failed_wants_it_sent_again(store: Store) -> None:
    entry = store.outbox_add(label(1))
    store.outbox_update(entry.id, state=S.UNKNOWN, reason="timeout")
    store.outbox_cancel(entry.id, alive=everyone_alive)
    store.outbox_update(entry.id, state=S.FAILED, reason="cannot tell")
    again = store.outbox_update(entry.id, state=S.PENDING, only_from=S.FAILED)
    assert again.cancel_asked is None
    assert store.outbox_update(entry.id, state=S.SENDING).state is S.SENDING


def test_an_unknown_entry_a_live_sender_checks_stays_unmarked(store: Store) -> None:
    entry = store.outbox_add(label(1))
    store.outbox_update(entry.id, state=S.UNKNOWN, reason="timeout")
    store.outbox_claim(entry.id, "sender", lease=LEASE, alive=everyone_alive)
    done = store.outbox_cancel(entry.id, alive=everyone_alive)
    assert done.checking is None and done.stopped_by is not None
    assert store.outbox_get(entry.id).cancel_asked is None  # type: ignore[union-attr]


def test_a_cancel_of_an_unknown_chain_step_takes_the_steps_after_it_at_once(
    store: Store,
) -> None:
    first, second = store.outbox_add_chain([(comment(1), None), (comment(2), "gh:o/r#1")])
    store.outbox_update(first.id, state=S.UNKNOWN, reason="timeout")
    done = store.outbox_cancel(first.id, alive=everyone_alive)
    assert done.checking is not None and done.checking.id == first.id
    assert [e.id for e in done.cancelled] == [second.id]
    assert [e.id for e in store.outbox_by_state()] == [first.id]


def test_a_pending_entry_a_live_sender_holds_stays_until_its_lease_is_free(
    store: Store, clock: ManualClock
) -> None:
    """Between its claim and marking it SENDING a sender still sees PENDING: the lease is
    what says it is about to send it."""
    entry = store.outbox_add(label(1))
    store.outbox_claim(entry.id, "sender", lease=LEASE, alive=everyone_alive)
    done = store.outbox_cancel(entry.id, alive=everyone_alive)
    assert done.cancelled == [] and done.stopped_by is not None
    assert done.stopped_by.lease_owner == "sender"
    store.outbox_release(entry.id, "sender")  # the send met an open breaker: still pending
    assert [e.id for e in store.outbox_cancel(entry.id, alive=everyone_alive).cancelled] == [
        entry.id
    ]
    assert store.outbox_get(entry.id) is None


def test_a_lease_whose_sender_is_gone_or_whose_time_ran_out_holds_nothing(
    store: Store, clock: ManualClock
) -> None:
    dead, late = store.outbox_add(label(1)), store.outbox_add(label(2))
    store.outbox_claim(dead.id, "gone", lease=LEASE, alive=everyone_alive)
    assert len(store.outbox_cancel(dead.id, alive=nobody_alive).cancelled) == 1
    store.outbox_claim(late.id, "slow", lease=LEASE, alive=everyone_alive)
    clock.now += LEASE + 1
    assert len(store.outbox_cancel(late.id, alive=everyone_alive).cancelled) == 1
    # the sender that outlived its lease can no longer write a state: never SENDING
    with pytest.raises(EntryGone, match="cancelled or cleared"):
        store.outbox_update(late.id, state=S.SENDING, attempt=True, owner="slow")


def test_a_chain_is_cancelled_with_the_steps_after_it_all_or_none(store: Store) -> None:
    first, second, third = store.outbox_add_chain(
        [(comment(1), None), (comment(2), "gh:o/r#1"), (comment(3), None)]
    )
    store.outbox_claim(third.id, "sender", lease=LEASE, alive=everyone_alive)
    done = store.outbox_cancel(first.id, alive=everyone_alive)
    assert done.cancelled == [] and done.stopped_by is not None
    assert done.stopped_by.id == third.id  # one step held: none of them goes
    assert len(store.outbox_by_state(S.PENDING)) == 3
    store.outbox_release(third.id, "sender")
    assert [e.id for e in store.outbox_cancel(second.id, alive=everyone_alive).cancelled] == [
        second.id,
        third.id,
    ]  # a later step: it and those after it, the step before stays
    assert [e.id for e in store.outbox_by_state()] == [first.id]


def test_the_later_entries_held_behind_a_cancelled_one_are_free(store: Store) -> None:
    first, later = store.outbox_add(label(1)), store.outbox_add(label(2))
    other = store.outbox_add(label(3, "gh2"))
    assert held_behind(later, store.outbox_by_state()) is not None
    store.outbox_cancel(first.id, alive=everyone_alive)
    left = store.outbox_by_state()
    assert [e.id for e in left] == [later.id, other.id]
    assert held_behind(later, left) is None


@pytest.mark.parametrize("block", seeds(every_run=(0,), soak=range(1, 8)))
def test_claims_and_cancels_over_two_connections_follow_the_rule_seeded(
    db_path: Path, clock: ManualClock, block: int
) -> None:
    """Random claims, sends, settles, releases, time and cancels over two connections (a
    sending process, the user's `zen-tui outbox cancel`), against a model: a cancel wins
    exactly when the entry is PENDING and no live lease holds it; a send (SENDING under
    the lease) never follows a cancel that won, and a cancel never follows a send."""
    for seed in range(block * 15, block * 15 + 15):
        rng = random.Random(seed)
        path = db_path.with_name(f"c{seed}.db")
        sender, user = Store.open(path, clock=clock), Store.open(path, clock=clock)
        ids = [sender.outbox_add(label(n)).id for n in range(4)]
        model: dict[str, ActionState | None] = dict.fromkeys(ids, S.PENDING)  # None: cancelled
        held: dict[str, float] = {}  # entry -> lease until, the sender's
        asked: set[str] = set()  # cancelled while they may have landed: never SENDING again
        dropped: set[str] = set()  # asked, then found not landed: listed so, never as done
        for step in range(200):
            entry_id, move = rng.choice(ids), rng.random()
            where = f"seed {seed} step {step}"
            if move < 0.3:
                state, live = model[entry_id], entry_id in held and held[entry_id] >= clock.now
                free = state is S.PENDING and not live
                # unknown, or sending with no holder (everyone is alive here): checked
                marks = not live and (
                    state is S.UNKNOWN or (state is S.SENDING and entry_id not in held)
                )
                done = user.outbox_cancel(entry_id, alive=everyone_alive)
                assert bool(done.cancelled) == free, f"{where}: cancel {done}, model {model}"
                assert (done.checking is not None) == marks, f"{where}: {done}, model {model}"
                if free:
                    model[entry_id] = None
                if marks:
                    asked.add(entry_id)
            elif move < 0.55:
                state = model[entry_id]
                taken = sender.outbox_claim(entry_id, "s", lease=30, alive=everyone_alive)
                # not there, settled, or our own send in flight: not claimed
                in_flight = state is S.SENDING and entry_id in held
                assert (taken is None) == (state in (None, S.DONE, S.FAILED) or in_flight), where
                if taken is not None:
                    held[entry_id] = clock.now + 30
                    model[entry_id] = taken.state  # a SENDING let go: UNKNOWN, verified first
                    assert state is not S.SENDING or taken.state is S.UNKNOWN, where
            elif move < 0.75 and entry_id in held:  # the gate before a send
                try:
                    now = sender.outbox_update(entry_id, state=S.SENDING, owner="s")
                except EntryGone:
                    assert model[entry_id] is None, f"{where}: gone but not cancelled"
                    continue
                except (InvalidTransition, LeaseHeld):  # settled: its lease went with it
                    continue
                assert model[entry_id] is not None, f"{where}: sent after a cancel"
                assert entry_id not in asked, f"{where}: sent after a cancel asked"
                model[entry_id] = now.state
            elif move < 0.85 and entry_id in held:
                settle = rng.choice((S.DONE, S.FAILED, S.PENDING, S.UNKNOWN))
                try:
                    now = sender.outbox_update(entry_id, state=settle, owner="s")
                except (InvalidTransition, LeaseHeld, EntryGone):
                    continue
                landed = entry_id in asked and settle is S.DONE and model[entry_id] is not S.DONE
                assert landed == (LANDED_BEFORE_CANCEL in (now.reason or "")), where
                model[entry_id] = settle
                if settle in (S.DONE, S.FAILED):  # settled: the store let its lease go
                    held.pop(entry_id)
            elif move < 0.88 and entry_id in held:  # the check found it had not landed
                try:
                    sender.outbox_drop(entry_id, "s")
                except (InvalidTransition, LeaseHeld, EntryGone):
                    assert entry_id not in asked or model[entry_id] not in (S.PENDING, S.UNKNOWN)
                    continue
                assert entry_id in asked, f"{where}: dropped with no cancel asked"
                model[entry_id] = None
                held.pop(entry_id)
                dropped.add(entry_id)
            elif move < 0.95:
                sender.outbox_release(entry_id, "s")
                held.pop(entry_id, None)
            else:
                clock.now += rng.choice([1, 29, 31])
            stored = {e.id: e.state for e in user.outbox_by_state()}
            assert stored == {k: v for k, v in model.items() if v is not None}, where
            # how each cancel of one that may have landed ended, as `zen-tui outbox` lists it
            ended = {c.id: c.landed for c in user.outbox_cancels_ended()}
            landed = {i: True for i in asked if model[i] is S.DONE}
            assert ended == landed | dict.fromkeys(dropped, False), where
        sender.close()
        user.close()
