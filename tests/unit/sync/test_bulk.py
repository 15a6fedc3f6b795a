import asyncio

import pytest

from zen_tui.gateway.errors import CircuitOpen, RateLimited
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.bulk import BulkProcessor, BulkSettings, Pacer, batches
from zen_tui.sync.outbox import Outbox

from .fakes import FakeClient, FakeOutboxStore

S = ActionState


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


def setup(settings: BulkSettings | None = None):
    store, bus, clock = FakeOutboxStore(), EventBus(), Clock()
    clients = {"jira": FakeClient("jira", "jira"), "gh": FakeClient("github", "gh")}
    events: list[ActionUpdated] = []
    bus.subscribe(lambda e: events.append(e) if isinstance(e, ActionUpdated) else None)
    outbox = Outbox(store, clients, bus, now=clock.now)
    bulk = BulkProcessor(outbox, settings, now=clock.now, sleep=clock.sleep)
    return bulk, clients, store, events, clock


def transitions(n, name="Done"):
    return [Action("transition", f"jira:P-{i}", "jira", {"transition": name}) for i in range(n)]


def test_batches_group_by_transition_and_cut_to_size():
    store = FakeOutboxStore()
    entries = [store.outbox_add(a) for a in transitions(5, "Done") + transitions(3, "Open")]
    got = batches(entries, 2)
    assert [len(b) for b in got] == [2, 2, 1, 2, 1]
    assert all(len({e.action.params["transition"] for e in b}) == 1 for b in got)


async def test_200_jira_transitions_take_one_bulk_call_with_progress():
    bulk, clients, store, events, _ = setup()
    entries = bulk.outbox.queue(transitions(200))
    await bulk.process(entries)
    assert len(clients["jira"].bulk_calls) == 1 and len(clients["jira"].bulk_calls[0]) == 200
    assert all(e.state is ActionState.DONE for e in store.rows.values())
    progress = [e.progress for e in events if e.progress]
    assert progress[-1] == (200, 200) and len(progress) == 200
    assert clients["jira"].applied == []  # nothing went one by one


async def test_bulk_transient_failure_leaves_batch_pending():
    bulk, clients, store, _, _ = setup()

    async def down(*a, **k):
        raise CircuitOpen(service="jira", account="jira", retry_at=50.0)

    clients["jira"].bulk_apply = down
    await bulk.process(bulk.outbox.queue(transitions(3)))
    assert all(e.state is ActionState.PENDING for e in store.rows.values())
    assert bulk.outbox.retry_at == 50.0 and not bulk.outbox.claimed


async def test_github_comments_are_spaced_under_80_per_minute():
    bulk, clients, _, events, clock = setup(BulkSettings(concurrency=4))
    acts = [Action("comment", f"gh:o/r#{i}", "gh", {"body": "x"}) for i in range(10)]
    await bulk.process(bulk.outbox.queue(acts))
    assert len(clients["gh"].applied) == 10
    assert clock.t >= 9 * 60 / 80 - 1e-9  # ten sends, at least 0.75 s apart
    assert [e.progress for e in events if e.progress][-1] == (10, 10)


async def test_labels_are_not_paced():
    bulk, clients, _, _, clock = setup()
    acts = [Action("add_label", f"gh:o/r#{i}", "gh", {"label": "x"}) for i in range(10)]
    await bulk.process(bulk.outbox.queue(acts))
    assert len(clients["gh"].applied) == 10 and clock.t == 0


async def test_pacer_spaces_concurrent_callers():
    clock = Clock()
    pacer = Pacer(1.0, clock.now, clock.sleep)
    for _ in range(3):
        await pacer.wait()
    assert clock.t == 2.0


async def test_add_flushes_after_interval_and_drain_waits():
    bulk, clients, _, _, clock = setup(BulkSettings(batch_size=500, flush_interval=0.5))
    bulk.add(bulk.outbox.queue(transitions(3)))
    bulk.add(bulk.outbox.queue(transitions(2)))
    await bulk.drain()
    assert len(clients["jira"].bulk_calls) == 1 and len(clients["jira"].bulk_calls[0]) == 5
    assert 0.5 in clock.sleeps


async def test_bulk_result_failed_while_service_down_stays_pending():
    from .fakes import Result, publish_service_down

    bulk, clients, store, _, _ = setup()

    async def swallowed(actions, keys, progress):  # the client turned a 503 into ok=False
        publish_service_down(bulk.outbox.bus, "jira", "jira")
        return [Result(False, "jira: server error") for _ in actions]

    clients["jira"].bulk_apply = swallowed
    await bulk.process(bulk.outbox.queue(transitions(2)))
    assert all(e.state is ActionState.PENDING for e in store.rows.values())
    assert bulk.outbox.retry_at is not None


async def test_bulk_refusal_without_outage_fails_with_reason():
    from .fakes import Result

    bulk, clients, store, _, _ = setup()

    async def refused(actions, keys, progress):
        return [Result(False, "transition 'Done' not available", conflict=True) for _ in actions]

    clients["jira"].bulk_apply = refused
    await bulk.process(bulk.outbox.queue(transitions(2)))
    assert {e.reason for e in store.rows.values()} == {"conflict: transition 'Done' not available"}
    assert all(e.state is ActionState.FAILED for e in store.rows.values())


async def test_cancel_at_shutdown_leaves_unsent_entries_pending():
    bulk, clients, store, _, _ = setup(BulkSettings(batch_size=500, flush_interval=0.5))
    bulk.add(bulk.outbox.queue(transitions(3)))
    bulk.cancel()
    await bulk.drain()
    assert clients["jira"].bulk_calls == []
    assert all(e.state is ActionState.PENDING for e in store.rows.values())


async def test_a_bulk_item_whose_lease_was_taken_over_leaves_the_others_reported():
    """Mid-call, another process took one item over (its lease ran out): that item is left
    to it, and every other item of the batch is still recorded with its own progress."""
    from msgspec.structs import replace

    bulk, clients, store, events, _ = setup()
    entries = bulk.outbox.queue(transitions(3))
    jira = clients["jira"]
    plain = jira.bulk_apply

    async def taken_over_midway(actions, keys, progress):
        store.rows[entries[0].id] = replace(store.rows[entries[0].id], lease_owner="another")
        return await plain(actions, keys, progress)

    jira.bulk_apply = taken_over_midway
    await bulk.process(entries)
    assert [store.rows[e.id].state for e in entries[1:]] == [ActionState.DONE] * 2
    done = [(e.action_id, e.progress) for e in events if e.state is ActionState.DONE]
    assert done == [(entries[1].id, (2, 3)), (entries[2].id, (3, 3))]


async def test_a_jira_bulk_item_it_cannot_claim_still_gets_its_row_event():
    """Of a selection's transitions, one was cancelled (taken out of the outbox) and one is
    another process's to send: the bulk call goes without them, and each still gets its
    event with the selection's progress, as one sent one by one does (the dashboard's batch
    summary waits for an outcome per item: with only a step of the count it never came)."""
    from msgspec.structs import replace

    bulk, clients, store, events, _ = setup()
    entries = bulk.outbox.queue(transitions(4))
    del store.rows[entries[1].id]  # `zen-tui outbox cancel` from another terminal
    store.rows[entries[2].id] = replace(store.rows[entries[2].id], lease_owner="another")
    await bulk.process(entries)
    assert [len(call) for call in clients["jira"].bulk_calls] == [2]
    said = {e.action_id: (e.state, e.reason, e.progress) for e in events if e.progress}
    assert set(said) == {e.id for e in entries}
    assert said[entries[1].id][0] is S.FAILED and "taken out" in str(said[entries[1].id][1])
    assert said[entries[2].id][0] is S.SENDING  # the other process's to finish
    assert sorted(p for _, _, p in said.values()) == [(n, 4) for n in range(1, 5)]


def comments(*items: str) -> list[Action]:
    return [Action("comment", f"jira:{item}", "jira", {"body": "x"}) for item in items]


@pytest.mark.parametrize("scope", [None, "issue:P-1"])
async def test_a_wait_in_a_selection_holds_its_account_or_its_item_as_a_replay_does(scope):
    """One send at a time: P-1's first comment meets a 429. On the whole account (no scope)
    the account's later comments stay pending, unsent; on P-1's writes alone, only P-1's
    second waits and P-2's goes. The other account's label goes either way."""
    bulk, clients, store, events, _ = setup(BulkSettings(concurrency=1))
    limited = RateLimited(service="jira", account="jira", retry_at=500.0, scope=scope)
    clients["jira"].script = [limited]
    label = Action("add_label", "gh:o/r#1", "gh", {"label": "x"})
    entries = bulk.outbox.queue([*comments("P-1", "P-2", "P-1"), label])
    await bulk.process(entries)
    got = [store.rows[e.id].state for e in entries]
    if scope is None:
        assert got == [S.PENDING, S.PENDING, S.PENDING, S.DONE]
        assert clients["jira"].applied == []  # nothing after the account's 429 was sent
    else:
        assert got == [S.PENDING, S.DONE, S.PENDING, S.DONE]
        assert [item for item, _ in clients["jira"].applied] == ["jira:P-2"]
    assert [e.progress for e in events if e.progress][-1] == (4, 4)
    assert not bulk.outbox.claimed


async def test_an_item_s_comments_in_a_selection_go_one_after_another():
    """Four sends at once, but never two of one item: P-1's second goes after its first
    answered, and not at all when that one waits on P-1's own limit."""
    bulk, clients, store, _, _ = setup(BulkSettings(concurrency=4))
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    plain = clients["jira"].apply

    async def apply(action, *, idempotency_key):
        in_flight[action.item_id] = in_flight.get(action.item_id, 0) + 1
        most[action.item_id] = max(most.get(action.item_id, 0), in_flight[action.item_id])
        await asyncio.sleep(0)
        try:
            return await plain(action, idempotency_key=idempotency_key)
        finally:
            in_flight[action.item_id] -= 1

    clients["jira"].apply = apply
    entries = bulk.outbox.queue(comments("P-1", "P-1", "P-2", "P-1", "P-2"))
    await bulk.process(entries)
    assert {store.rows[e.id].state for e in entries} == {S.DONE}
    assert most == {"jira:P-1": 1, "jira:P-2": 1}
    for item in ("jira:P-1", "jira:P-2"):  # each item's in the order made
        made = [e.idempotency_key for e in entries if e.action.item_id == item]
        assert [k for i, k in clients["jira"].applied if i == item] == made


async def test_a_selection_leaves_an_item_waiting_behind_its_earlier_action():
    """P-1's comment queued before the selection still waits (a 429 on P-1's writes): the
    selection's P-1 action stays pending for the replayer, which sends them in order."""
    bulk, clients, store, _, clock = setup()
    outbox = bulk.outbox
    clients["jira"].script = [
        RateLimited(service="jira", account="jira", retry_at=60.0, scope="issue:P-1")
    ]
    [earlier] = outbox.queue(comments("P-1"))
    await outbox.replay()
    assert store.rows[earlier.id].state is S.PENDING
    later = outbox.queue(comments("P-1", "P-2"))
    await bulk.process(later)
    assert [store.rows[e.id].state for e in later] == [S.PENDING, S.DONE]
    clock.t = 61.0
    await outbox.replay(due_only=True)
    assert [item for item, _ in clients["jira"].applied] == ["jira:P-2", "jira:P-1", "jira:P-1"]
    assert [k for _, k in clients["jira"].applied][1:] == [
        earlier.idempotency_key,
        later[0].idempotency_key,
    ]
