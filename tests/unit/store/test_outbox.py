from __future__ import annotations

import random

import pytest

from tests.helpers import ManualClock
from zen_tui.models import Action, ActionState
from zen_tui.store import IdempotencyConflict, InvalidTransition, Store, StoreError

PENDING, SENDING, UNKNOWN, DONE, FAILED = (
    ActionState.PENDING,
    ActionState.SENDING,
    ActionState.UNKNOWN,
    ActionState.DONE,
    ActionState.FAILED,
)


def action(n: int = 1, kind: str = "add_label") -> Action:
    return Action(kind, f"gh:octo/app#{n}", "gh", {"label": "bug"})  # type: ignore[arg-type]


def test_add_writes_a_pending_entry(store: Store, clock: ManualClock) -> None:
    entry = store.outbox_add(action(), idempotency_key="k1", batch_id="b1")
    assert (entry.state, entry.attempts, entry.reason) == (PENDING, 0, None)
    assert (entry.idempotency_key, entry.batch_id) == ("k1", "b1")
    assert entry.created_at == entry.updated_at == clock.now
    assert store.outbox_get(entry.id) == entry


def test_without_a_key_the_entry_id_is_the_key(store: Store) -> None:
    entry = store.outbox_add(action())
    assert entry.idempotency_key == entry.id


def test_entries_come_back_in_insertion_order(store: Store) -> None:
    ids = [store.outbox_add(action(n)).id for n in range(20)]
    entries = store.outbox_by_state(PENDING)
    assert [e.id for e in entries] == ids
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


def test_by_state_filters_and_merges_states_in_seq_order(store: Store) -> None:
    a, b, c, d = (store.outbox_add(action(n)) for n in range(4))
    store.outbox_update(b.id, state=SENDING)
    store.outbox_update(c.id, state=SENDING)
    store.outbox_update(c.id, state=UNKNOWN)
    store.outbox_update(d.id, state=FAILED, reason="already merged")
    assert [e.id for e in store.outbox_by_state(PENDING, UNKNOWN)] == [a.id, c.id]
    assert [e.id for e in store.outbox_by_state(FAILED)] == [d.id]
    assert [e.id for e in store.outbox_by_state()] == [a.id, b.id, c.id, d.id]


def test_a_full_lifecycle(store: Store, clock: ManualClock) -> None:
    entry = store.outbox_add(action())
    clock.now += 5
    sending = store.outbox_update(entry.id, state=SENDING, attempt=True)
    assert (sending.state, sending.attempts, sending.updated_at) == (SENDING, 1, clock.now)
    assert sending.created_at == entry.created_at
    unknown = store.outbox_update(entry.id, state=UNKNOWN, reason="timeout after sending")
    assert (unknown.attempts, unknown.reason) == (1, "timeout after sending")
    pending = store.outbox_update(entry.id, state=PENDING, reason="offline")
    sending = store.outbox_update(entry.id, state=SENDING, attempt=True)
    assert sending.attempts == 2 and sending.reason is None  # a new state clears the reason
    done = store.outbox_update(entry.id, state=DONE)
    assert store.outbox_get(entry.id) == done
    assert pending.reason == "offline"


@pytest.mark.parametrize("target", [PENDING, SENDING, UNKNOWN, FAILED])
def test_done_is_final(store: Store, target: ActionState) -> None:
    entry = store.outbox_add(action())
    store.outbox_update(entry.id, state=DONE)
    with pytest.raises(InvalidTransition, match="is done"):
        store.outbox_update(entry.id, state=target)
    assert store.outbox_get(entry.id).state is DONE  # type: ignore[union-attr]


@pytest.mark.parametrize("target", [SENDING, UNKNOWN, DONE])
def test_failed_may_only_be_retried(store: Store, target: ActionState) -> None:
    entry = store.outbox_add(action())
    store.outbox_update(entry.id, state=FAILED, reason="transition no longer valid")
    with pytest.raises(InvalidTransition):
        store.outbox_update(entry.id, state=target)
    retried = store.outbox_update(entry.id, state=PENDING)
    assert retried.state is PENDING


@pytest.mark.parametrize("now", [PENDING, SENDING, UNKNOWN])
def test_a_user_retry_takes_only_an_entry_still_failed(store: Store, now: ActionState) -> None:
    """The outbox view's `r` on a line read before another process retried it (now being
    sent, say): set back to PENDING, a send in flight could be made again."""
    entry = store.outbox_add(action())
    store.outbox_update(entry.id, state=FAILED, reason="502")
    store.outbox_update(entry.id, state=PENDING)  # `zen-tui outbox retry` elsewhere
    if now is not PENDING:
        store.outbox_update(entry.id, state=now, reason="on its way")
    with pytest.raises(InvalidTransition, match=f"is {now} now"):
        store.outbox_update(entry.id, state=PENDING, only_from=FAILED)
    kept = store.outbox_get(entry.id)
    assert kept is not None and (kept.state, kept.reason) == (
        now,
        None if now is PENDING else "on its way",
    )


def test_updating_a_missing_entry_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="no outbox entry 'nope'"):
        store.outbox_update("nope", state=DONE)
    assert store.outbox_get("nope") is None


def test_counts_include_every_state(store: Store) -> None:
    assert store.outbox_counts() == dict.fromkeys(ActionState, 0)
    entries = [store.outbox_add(action(n)) for n in range(5)]
    store.outbox_update(entries[0].id, state=DONE)
    store.outbox_update(entries[1].id, state=FAILED)
    store.outbox_update(entries[2].id, state=FAILED)
    assert store.outbox_counts() == {PENDING: 2, SENDING: 0, UNKNOWN: 0, DONE: 1, FAILED: 2}


def test_figures_per_account_count_what_is_not_sent_yet_and_what_failed(store: Store) -> None:
    assert store.outbox_figures() == {}
    mine = [store.outbox_add(action(n)) for n in range(6)]
    theirs = store.outbox_add(Action("comment", "work:ZEN-1", "work", {"body": "x" * 500}))
    for entry, state in zip(mine, (SENDING, UNKNOWN, DONE, FAILED, FAILED), strict=False):
        store.outbox_update(entry.id, state=state)
    store.outbox_update(theirs.id, state=FAILED)
    # pending, sending and unknown are not sent yet; done ones are not counted
    assert store.outbox_figures() == {"gh": (3, 2), "work": (0, 1)}
    assert store.outbox_figures()["gh"].pending == 3


def test_same_key_same_action_returns_the_existing_entry(store: Store) -> None:
    first = store.outbox_add(action(), idempotency_key="k")
    again = store.outbox_add(action(), idempotency_key="k", batch_id="other")
    assert again == first
    assert len(store.outbox_by_state()) == 1


def test_same_key_different_action_is_refused(store: Store) -> None:
    store.outbox_add(action(1), idempotency_key="k")
    with pytest.raises(IdempotencyConflict, match="'k' is already used"):
        store.outbox_add(action(2), idempotency_key="k")
    assert len(store.outbox_by_state()) == 1


def test_keys_stay_unique_after_the_entry_is_done(store: Store) -> None:
    first = store.outbox_add(action(), idempotency_key="k")
    store.outbox_update(first.id, state=DONE)
    again = store.outbox_add(action(), idempotency_key="k")
    assert again.id == first.id and again.state is DONE  # never queued (and sent) twice


def test_batch_ids_and_params_persist(store: Store) -> None:
    a = Action("comment", "gh:o/r#1", "gh", {"body": "LGTM ✓\n<!-- zen:k -->"})
    entry = store.outbox_add(a, batch_id="batch-7")
    got = store.outbox_get(entry.id)
    assert got is not None and got.action == a and got.batch_id == "batch-7"


def test_params_resolved_before_sending_survive_a_reopen(store: Store, db_path) -> None:
    move = Action("transition", "jira:P-1", "jira", {"transition": "Start Progress"})
    entry = store.outbox_add(move, idempotency_key="k1")
    store.outbox_update(entry.id, state=SENDING, attempt=True)
    merged = store.outbox_merge_params("k1", {"to": "In Progress", "transition_id": "11"})
    assert merged is not None and merged.state is SENDING
    store.close()
    with Store.open(db_path) as again:  # as after a kill -9
        got = again.outbox_get(entry.id)
    assert got is not None and got.action.params == {
        "transition": "Start Progress",
        "to": "In Progress",
        "transition_id": "11",
    }
    assert got.idempotency_key == "k1"


def test_merging_params_for_an_unknown_key_changes_nothing(store: Store) -> None:
    entry = store.outbox_add(action(), idempotency_key="k1")
    assert store.outbox_merge_params("other", {"to": "Done"}) is None
    assert store.outbox_get(entry.id) == entry


def test_prune_deletes_only_old_done_entries(store: Store, clock: ManualClock) -> None:
    done_old, failed_old, pending_old = (store.outbox_add(action(n)) for n in range(3))
    store.outbox_update(done_old.id, state=DONE)
    store.outbox_update(failed_old.id, state=FAILED)
    clock.now += 100
    done_new = store.outbox_add(action(9))
    store.outbox_update(done_new.id, state=DONE)
    assert store.outbox_prune(done_before=clock.now - 50) == 1
    assert [e.id for e in store.outbox_by_state()] == [failed_old.id, pending_old.id, done_new.id]


def test_random_updates_follow_the_state_rules_seeded(store: Store, clock: ManualClock) -> None:
    """Random updates on a few entries, checked against a model: DONE never changes, FAILED
    only goes back to PENDING (a user retry), everything else may move anywhere; a refused
    update changes nothing; attempts count the accepted updates that said so; a settled
    entry (done, failed) holds no lease; updated_at is the time of the last accepted one."""
    rng = random.Random(3)
    ids = [store.outbox_add(action(n)).id for n in range(4)]
    model = {i: (ActionState.PENDING, 0, clock.now) for i in ids}  # state, attempts, updated
    for step in range(600):
        entry_id = rng.choice(ids)
        state, attempts, _ = model[entry_id]
        claim = rng.random() < 0.3  # a sender's lease; one left SENDING becomes UNKNOWN
        if claim and store.outbox_claim(entry_id, "me", lease=60, alive=lambda _owner: True):
            state = ActionState.UNKNOWN if state is ActionState.SENDING else state
            model[entry_id] = (state, attempts, clock.now)
        target = rng.choice(list(ActionState))
        attempt = rng.random() < 0.5
        clock.now += rng.choice([0.0, 1.0, 7.5])
        allowed = {
            ActionState.DONE: {ActionState.DONE},
            ActionState.FAILED: {ActionState.FAILED, ActionState.PENDING},
        }.get(state, set(ActionState))
        if target in allowed:
            entry = store.outbox_update(entry_id, state=target, reason=f"s{step}", attempt=attempt)
            model[entry_id] = (target, attempts + attempt, clock.now)
            assert entry.reason == f"s{step}"
        else:
            with pytest.raises(InvalidTransition):
                store.outbox_update(entry_id, state=target, attempt=attempt)
        entry = store.outbox_get(entry_id)
        assert entry is not None
        assert (entry.state, entry.attempts, entry.updated_at) == model[entry_id], step
        if entry.state in (ActionState.DONE, ActionState.FAILED):
            assert (entry.lease_owner, entry.lease_until) == (None, None), step


def test_the_listing_counts_one_attempt_in_the_singular(store: Store, clock: ManualClock) -> None:
    from zen_tui.store.outbox_words import lines

    entries = [store.outbox_add(action(n)) for n in (1, 2, 3)]
    store.outbox_update(entries[1].id, state=SENDING, attempt=True)
    for _ in range(2):
        store.outbox_update(entries[2].id, state=SENDING, attempt=True)
        store.outbox_update(entries[2].id, state=PENDING)
    listed = lines([store.outbox_get(e.id) for e in entries], clock.now)  # type: ignore[misc]
    assert [line.split(" (", 1)[1].split(",")[0] for line in listed] == [
        "0 attempts",
        "1 attempt",  # was "1 attempts" (zen-tui outbox, the outbox view)
        "2 attempts",
    ]
