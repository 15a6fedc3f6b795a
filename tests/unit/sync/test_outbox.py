import pytest

from tests.helpers import ManualClock
from zen_tui.gateway.errors import ApiError, CircuitOpen, RateLimited, Unavailable
from zen_tui.gateway.events import BreakerChanged, EventBus, RequestDone
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


async def test_a_200_saying_the_server_failed_partway_is_verified_not_resent():
    """Slack's HTTP 200 `internal_error` (the gateway's Unavailable, status 200): its
    reference says part of the call may have been done, so, as after a timeout, the entry
    is checked before anything is sent again; a 5xx stays pending (above)."""
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    failed = Unavailable(service="slack", account="gh", status=200, message="internal_error")
    client.script = [failed]
    await outbox.replay()
    assert store.rows[a.id].state is S.UNKNOWN and "verify" in store.rows[a.id].reason
    client.verify_script = [True]
    await outbox.replay()
    assert store.rows[a.id].state is S.DONE and client.applied == []


async def test_offline_send_stays_pending_and_is_resent_without_a_check():
    """Every attempt refused at connect: nothing reached the server, so the entry is still
    plainly to send (pending, which a user may still cancel), not 'unknown'."""
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    offline = Unavailable(service="github", account="gh", message="offline: cannot connect")
    offline.nothing_sent = True
    client.script = [offline]
    await outbox.replay()
    entry = store.rows[a.id]
    assert entry.state is S.PENDING and entry.attempts == 1
    assert "cannot connect" in entry.reason and "verify" not in entry.reason
    await outbox.replay()
    assert store.rows[a.id].state is S.DONE and client.verified == []
    assert client.applied == [("gh:o/r#1", a.idempotency_key)]


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


@pytest.mark.parametrize("kind", ["react", "unreact"])
async def test_an_unverifiable_reaction_or_its_removal_is_resent(kind: str):
    """Adding a reaction twice, or taking it back twice, ends the same (Slack answers
    already_reacted / no_reaction): an entry whose outcome cannot be told is sent again."""
    outbox, store, client, _ = make()
    [entry] = outbox.queue([act(kind, item="sl:C1:1.5", name="eyes")])
    store.outbox_update(entry.id, state=S.SENDING)
    outbox.recover()
    client.verify_script = [None]
    await outbox.replay()
    assert store.rows[entry.id].state is S.DONE and [i for i, _ in client.applied] == ["sl:C1:1.5"]


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


async def test_retries_back_off_while_the_service_stays_down_and_start_over_after():
    """Each failed replay waits twice as long as the one before (2 s up to 60 s), counted
    from when it failed; a retry time already passed is not kept (the replayer then retried
    every 50 ms). With several accounts failing, the earliest retry wins."""
    clock = ManualClock(1000.0)
    outbox, store, client, _ = make(now=clock)
    [a] = outbox.queue([act()])
    client.script = [Unavailable(service="github", account="gh", status=503)] * 8
    gaps = []
    for _ in range(8):
        await outbox.replay()
        assert outbox.retry_at is not None
        gaps.append(outbox.retry_at - clock.now)
        clock.now = outbox.retry_at + 0.5
    assert gaps == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    await outbox.replay()  # the service is back
    assert store.rows[a.id].state is S.DONE and outbox.retry_at is None

    other = FakeClient(account="gh2")
    outbox.clients = {"gh": client, "gh2": other}
    outbox.queue([Action(kind="close", item_id="gh:3", account="gh2"), act(item="gh:2")])
    client.script = [CircuitOpen(service="github", account="gh", retry_at=clock.now + 30)]
    other.script = [Unavailable(service="github", account="gh2", status=503)]
    await outbox.replay()
    assert outbox.retry_at == clock.now + 2.0  # back to the shortest wait; the earliest wins


async def test_a_chain_naming_an_unknown_account_is_refused_before_anything_is_queued():
    outbox, store, _, events = make()
    store.outbox_add_chain = lambda steps, login=None: [store.outbox_add(a) for a, _ in steps]
    bad = [(act(), None), (Action(kind="comment", item_id="x", account="nope"), None)]
    with pytest.raises(ValueError, match="nope"):
        outbox.queue_chain(bad)
    assert store.rows == {} and events == []


async def test_a_chain_shows_every_step_pending_at_once():
    outbox, store, _, events = make()
    store.outbox_add_chain = lambda steps, login=None: [store.outbox_add(a) for a, _ in steps]
    entries = outbox.queue_chain([(act(item="gh:1"), None), (act(item="gh:2"), None)])
    assert [(e.action_id, e.state) for e in events] == [(x.id, S.PENDING) for x in entries]
    assert {e.service for e in events} == {"github"}  # the pane it belongs to


async def test_an_interrupted_send_shows_as_unknown_when_recovered():
    outbox, store, _, events = make()
    [a] = outbox.queue([act()])
    store.outbox_update(a.id, state=S.SENDING)  # its sender died mid-send
    events.clear()
    assert outbox.recover() == 1
    assert [(e.action_id, e.state) for e in events] == [(a.id, S.UNKNOWN)]


@pytest.mark.parametrize("final", [S.DONE, S.FAILED, None])
async def test_an_entry_another_process_finished_is_reported_as_it_ended_and_not_sent(final):
    outbox, store, client, _ = make()
    [a] = outbox.queue([act()])
    if final is None:
        del store.rows[a.id]  # taken out: `zen-tui outbox cancel` (a done one is kept days)
    else:
        store.outbox_update(a.id, state=final)
    assert await outbox.send(a) is (final or S.FAILED)
    assert client.applied == [] and client.verified == [] and outbox.retry_at is None


def request_done(bus, status, account="gh"):
    bus.publish(
        RequestDone(
            service="github",
            account=account,
            method="GET",
            endpoint="/x",
            status=status,
            latency=0.1,
            cache="bypass",
            attempts=1,
            error=str(status),
        )
    )


@pytest.mark.parametrize(
    ("status", "account", "left"),
    [
        (None, "gh", S.UNKNOWN),  # no answer at all: the service may be down
        (500, "gh", S.UNKNOWN),
        (429, "gh", S.UNKNOWN),
        (404, "gh", S.FAILED),  # a real answer: "cannot tell" stands
        (428, "gh", S.FAILED),
        (430, "gh", S.FAILED),
        (499, "gh", S.FAILED),
        (503, "other", S.FAILED),  # another account's outage says nothing about this one
    ],
)
async def test_cannot_tell_during_a_failed_call_stays_unknown_else_fails(status, account, left):
    outbox, store, client, _ = make()
    [a] = outbox.queue([act("comment")])
    store.outbox_update(a.id, state=S.SENDING)
    outbox.recover()

    async def cannot_tell(action, *, idempotency_key):
        request_done(outbox.bus, status, account)
        return None

    client.verify = cannot_tell
    await outbox.replay()
    assert store.rows[a.id].state is left and client.applied == []


async def test_a_wake_while_the_replayer_waits_sends_at_once_then_it_waits_again():
    """A submit (or a breaker closing) wakes the waiting replayer: what was queued goes now,
    not at the next store check (30 s); after it the replayer waits again, not spinning."""
    import asyncio

    outbox, store, _, _ = make()
    replays = 0
    replay = outbox.replay

    async def counted(**kwargs):
        nonlocal replays
        replays += 1
        return await replay(**kwargs)

    outbox.replay = counted
    task = asyncio.create_task(outbox.run())
    for _ in range(50):
        await asyncio.sleep(0)
    assert replays == 1  # the first replay, then a 30 s wait
    [a] = outbox.queue([act()])
    outbox.wake()
    for _ in range(200):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert store.rows[a.id].state is S.DONE and replays == 2


async def test_a_closed_outbox_and_its_verifies_leave_no_listeners_on_the_bus():
    """Each verify listens for failed calls only while it runs; a closed outbox stops
    listening (a long-lived dashboard would otherwise collect one listener per verify)."""
    outbox, store, client, _ = make()
    listening = len(outbox.bus._subscribers)
    entries = outbox.queue([act(item=f"gh:{n}") for n in range(3)])
    for e in entries:
        store.outbox_update(e.id, state=S.SENDING)
    outbox.recover()
    client.verify_script = [False, True, False]
    await outbox.replay()
    assert len(outbox.bus._subscribers) == listening
    outbox.close()
    outbox.bus.publish(
        BreakerChanged(service="github", account="gh", name="github", old="half-open", new="closed")
    )
    assert not outbox._wake.is_set() and len(outbox.bus._subscribers) == listening - 1


async def test_a_success_keeps_its_message_and_a_refused_check_fails_unsent():
    outbox, store, client, _ = make()
    a, b = outbox.queue([act(item="gh:1"), act(item="gh:2")])
    client.script = [Result(True, "merged as abc123")]
    await outbox.send(a)
    assert store.rows[a.id].state is S.DONE and store.rows[a.id].reason == "merged as abc123"
    store.outbox_update(b.id, state=S.UNKNOWN)  # its answer was lost
    client.verify_script = [ApiError(service="github", account="gh", status=403)]
    assert await outbox.send(b) is S.FAILED
    assert store.rows[b.id].reason.startswith("could not verify: ")
    assert [i for i, _ in client.applied] == ["gh:1"]  # b was not sent again


async def test_a_client_bug_leaves_the_entry_unknown_and_the_replayer_alive():
    outbox, store, client, _ = make()
    [a] = outbox.queue([act()])
    client.script = [RuntimeError("boom")]
    assert await outbox.replay() == {S.UNKNOWN: 1}
    assert store.rows[a.id].state is S.UNKNOWN and "boom" in store.rows[a.id].reason
