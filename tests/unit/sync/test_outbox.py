from zen_tui.gateway.errors import ApiError, CircuitOpen, RateLimited, Unavailable
from zen_tui.gateway.events import BreakerChanged, EventBus
from zen_tui.models import Action, ActionState
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.outbox import Outbox

from .fakes import FakeClient, FakeOutboxStore, Result, publish_service_down

S = ActionState


def make(now=lambda: 1000.0):
    store, bus, client = FakeOutboxStore(), EventBus(), FakeClient()
    events: list[ActionUpdated] = []
    bus.subscribe(lambda e: events.append(e) if isinstance(e, ActionUpdated) else None)
    return Outbox(store, {"gh": client}, bus, now=now), store, client, events


def act(kind="comment", item="gh:o/r#1", **params):
    return Action(kind=kind, item_id=item, account="gh", params=params)


async def test_written_pending_with_a_key_before_sending_then_done():
    outbox, store, client, events = make()
    [entry] = outbox.queue([act()])
    assert store.rows[entry.id].state is S.PENDING and entry.idempotency_key
    assert client.applied == []
    await outbox.replay()
    assert store.rows[entry.id].state is S.DONE
    assert client.applied == [("gh:o/r#1", entry.idempotency_key)]
    assert [e.state for e in events] == [S.PENDING, S.SENDING, S.DONE]


async def test_unknown_account_is_a_clear_error():
    outbox, *_ = make()
    try:
        outbox.queue([Action(kind="close", item_id="x", account="nope")])
    except ValueError as err:
        assert "nope" in str(err)
    else:
        raise AssertionError("expected ValueError")


async def test_breaker_open_keeps_pending_in_order_and_schedules_retry():
    outbox, store, client, _ = make()
    a, b = outbox.queue([act(item="gh:1"), act(item="gh:2")])
    client.script = [CircuitOpen(service="github", account="gh", retry_at=1030.0)]
    await outbox.replay()
    # the first failed transiently; the second must wait behind it (order)
    assert store.rows[a.id].state is S.PENDING and "breaker open" in store.rows[a.id].reason
    assert store.rows[b.id].state is S.PENDING and store.rows[b.id].attempts == 0
    assert outbox.retry_at == 1030.0
    await outbox.replay()
    assert [i for i, _ in client.applied] == ["gh:1", "gh:2"]
    assert outbox.retry_at is None


async def test_rate_limited_and_5xx_stay_pending():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act()])
    client.script = [RateLimited(service="github", account="gh", retry_at=1060.0)]
    await outbox.replay()
    assert store.rows[a.id].state is S.PENDING
    client.script = [Unavailable(service="github", account="gh", status=503)]
    await outbox.replay()
    assert store.rows[a.id].state is S.PENDING and store.rows[a.id].attempts == 2


async def test_timeout_after_send_becomes_unknown_and_is_verified_not_resent():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    client.script = [Unavailable(service="github", account="gh", message="ReadTimeout")]
    await outbox.replay()
    assert store.rows[a.id].state is S.UNKNOWN
    client.verify_script = [True]
    await outbox.replay()
    assert store.rows[a.id].state is S.DONE and client.applied == []
    assert client.verified == ["gh:o/r#1"]


async def test_unknown_verified_false_is_resent_once():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    store.outbox_update(a.id, state=S.SENDING)  # as if killed mid-send
    assert outbox.recover() == 1 and store.rows[a.id].state is S.UNKNOWN
    client.verify_script = [False]
    await outbox.replay()
    assert store.rows[a.id].state is S.DONE and len(client.applied) == 1


async def test_unverifiable_non_idempotent_fails_but_idempotent_is_resent():
    outbox, store, client, _ = make()
    c, lab = outbox.queue([act("comment", item="gh:1"), act("add_label", item="gh:2", label="x")])
    for e in (c, lab):
        store.outbox_update(e.id, state=S.SENDING)
    outbox.recover()
    client.verify_script = [None, None]
    await outbox.replay()
    assert store.rows[c.id].state is S.FAILED
    assert store.rows[c.id].reason == "outcome unknown, check manually"
    assert store.rows[lab.id].state is S.DONE and [i for i, _ in client.applied] == ["gh:2"]


async def test_conflict_and_4xx_fail_with_reason():
    outbox, store, client, _ = make()
    a, b = outbox.queue([act("merge", item="gh:1"), act("close", item="gh:2")])
    client.script = [
        Result(False, "pull request already merged", conflict=True),
        ApiError(service="github", account="gh", status=404, message="Not Found"),
    ]
    await outbox.replay()
    assert store.rows[a.id].state is S.FAILED
    assert store.rows[a.id].reason == "conflict: pull request already merged"
    assert store.rows[b.id].state is S.FAILED and "404" in store.rows[b.id].reason


async def test_breaker_closed_event_wakes_the_replayer():
    outbox, *_ = make()
    bus = outbox.bus
    assert not outbox._wake.is_set()
    bus.publish(
        BreakerChanged(service="github", account="gh", name="github", old="open", new="half-open")
    )
    assert not outbox._wake.is_set()
    bus.publish(
        BreakerChanged(service="github", account="gh", name="github", old="half-open", new="closed")
    )
    assert outbox._wake.is_set()


async def test_claimed_entries_are_left_to_their_owner():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act()])
    outbox.claimed.add(a.id)
    await outbox.replay()
    assert store.rows[a.id].state is S.PENDING and client.applied == []


async def test_verify_none_during_an_outage_stays_unknown_not_failed():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    store.outbox_update(a.id, state=S.SENDING)
    outbox.recover()

    async def verify_while_down(action, *, idempotency_key):
        publish_service_down(outbox.bus, "github", "gh")
        return None  # the client swallowed the error and "cannot tell"

    client.verify = verify_while_down
    await outbox.replay()
    assert store.rows[a.id].state is S.UNKNOWN and client.applied == []
    assert outbox.retry_at is not None


async def test_run_loop_replays_when_the_retry_time_comes():
    import asyncio

    outbox, store, client, _ = make(now=lambda: 0.0)
    [a] = outbox.queue([act()])
    client.script = [CircuitOpen(service="github", account="gh", retry_at=0.0)]
    task = asyncio.create_task(outbox.run())
    async with asyncio.timeout(2):
        while store.rows[a.id].state is not S.DONE:  # noqa: ASYNC110 (state lives in the store)
            await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert store.rows[a.id].attempts == 2


async def test_a_cancel_in_the_turn_a_wake_lands_still_stops_the_replayer():
    """asyncio.wait_for (Python 3.11) returns the inner result when the cancel and the inner
    result come in the same turn, swallowing the cancel: engine.stop() then waited forever
    for a replayer that went back to sleep. Every turn around a wake is tried."""
    import asyncio

    lost = []
    for turn in range(8):
        outbox, _store, client, _ = make()
        outbox.queue([act()])
        client.script = [CircuitOpen(service="github", account="gh", retry_at=1030.0)] * 99
        task = asyncio.create_task(outbox.run())
        for _ in range(50):  # the first replay fails for now; the replayer waits (30 s)
            await asyncio.sleep(0)
        outbox.wake()  # a breaker closed, say, just as the engine stops
        for _ in range(turn):
            await asyncio.sleep(0)
        task.cancel()
        for _ in range(50):
            await asyncio.sleep(0)
        if not task.done():
            lost.append(turn)
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
    assert lost == []
