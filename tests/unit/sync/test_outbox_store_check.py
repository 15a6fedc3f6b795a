"""A far-off retry on one account (an hour-long rate-limit reset) must not stop the running
engine's store check (a housekeeping chore, every STORE_CHECK_SECONDS): an entry another
process left for a different account is sent at the next check, not after that reset. Fake
clock, real SQLite (two connections to one file, as two processes have), no sleeps."""

from __future__ import annotations

import asyncio
from pathlib import Path

from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.errors import CircuitOpen, RateLimited
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.sync.housekeeping import Housekeeping
from zen_tui.sync.outbox import STORE_CHECK_SECONDS, Outbox

from .fakes import FakeClient


def act(account: str, item: str) -> Action:
    return Action(kind="comment", item_id=f"{account}:{item}", account=account, params={})


async def test_an_hour_long_reset_on_one_account_does_not_hold_up_another(tmp_path: Path):
    clock = FakeClock(1000.0)
    path = tmp_path / "zen.db"
    running, other = Store.open(path, clock=clock.time), Store.open(path, clock=clock.time)
    gh, work = FakeClient(account="gh"), FakeClient(account="work")
    gh.script = [RateLimited(service="github", account="gh", retry_at=1000.0 + 3600)] * 99
    outbox = Outbox(running, {"gh": gh, "work": work}, EventBus(), now=clock.time)
    elsewhere = Outbox(
        other, {"gh": FakeClient(), "work": FakeClient()}, EventBus(), now=clock.time
    )
    outbox.queue([act("gh", "o/r#1")])
    house = Housekeeping(clock)
    found: list[bool] = []

    async def store_check(house: Housekeeping) -> None:  # as the engine's chore does it
        found.append(await house.off_loop(outbox.left_elsewhere()))
        if found[-1]:
            outbox.check_store()

    house.add("outbox store check", STORE_CHECK_SECONDS, store_check)
    replayer = asyncio.create_task(outbox.run())
    house.start()
    try:
        await clock.sleep(1.0)
        assert outbox.retry_at == 1000.0 + 3600  # gh was tried: it waits an hour
        # `zen-tui act` in another process leaves an entry for `work`
        [entry_id] = [e.id for e in elsewhere.queue([act("work", "o/r#2")])]
        await clock.sleep(STORE_CHECK_SECONDS)
        await house.settled()
        await clock.sleep(1.0)  # the replay the check asked for
        assert found == [True]
        sent = running.outbox_get(entry_id)
        assert sent is not None and sent.state is ActionState.DONE
        assert work.applied == [("work:o/r#2", sent.idempotency_key)]
        assert clock.time() - 1000.0 < 3600  # sent before gh's reset
        await clock.sleep(STORE_CHECK_SECONDS)
        await house.settled()
        assert found == [True, False]  # gh's entry waits for its reset: nothing to do
        [waiting] = running.outbox_by_state(ActionState.PENDING)
        assert waiting.action.account == "gh"
        assert waiting.attempts == 1  # a store check leaves gh alone until its reset
    finally:
        await house.stop()
        replayer.cancel()
        await asyncio.gather(replayer, return_exceptions=True)
        outbox.close()
        elsewhere.close()
        running.close()
        other.close()


async def test_a_retry_that_fails_again_waits_for_its_new_time_not_a_busy_loop(
    tmp_path: Path,
) -> None:
    """Each try answers "breaker open for another 20 s": the replayer waits those 20 s every
    time. It kept the first (passed) retry time, so it woke every 50 ms until the service
    came back."""
    clock = [1000.0]
    now = lambda: clock[0]  # noqa: E731
    store = Store.open(tmp_path / "zen.db", clock=now)
    gh = FakeClient(account="gh")

    class Again:  # a fresh "open for 20 s more" at each try, from the clock of that try
        def pop(self, _index: int) -> CircuitOpen:
            return CircuitOpen(service="github", account="gh", retry_at=clock[0] + 20)

        def __bool__(self) -> bool:
            return True

    gh.script = Again()  # type: ignore[assignment]
    outbox = Outbox(store, {"gh": gh}, EventBus(), now=now)
    outbox.queue([act("gh", "o/r#1")])
    waits: list[float] = []

    async def fake_sleep(seconds: float | None) -> bool:
        assert seconds is not None
        waits.append(seconds)
        if len(waits) == 6:
            raise asyncio.CancelledError
        clock[0] += seconds
        return False

    outbox._sleep = fake_sleep  # type: ignore[method-assign]
    try:
        await asyncio.gather(outbox.run(), return_exceptions=True)
        assert waits == [20.0] * 6
        [entry] = store.outbox_by_state(ActionState.PENDING)
        assert entry.attempts == 6  # tried at each retry time, no more
    finally:
        outbox.close()
        store.close()


async def test_an_item_waiting_on_its_own_limit_holds_up_neither_check_nor_its_account(
    tmp_path: Path,
):
    """A wait on a narrower limit (one Jira issue's writes) holds only that item: the store
    check does not wake the replayer for its entries before their retry, but an entry for
    another item of the same account, left by another process, is found and sent."""
    clock = FakeClock(1000.0)
    path = tmp_path / "zen.db"
    running, other = Store.open(path, clock=clock.time), Store.open(path, clock=clock.time)
    work = FakeClient(service="jira", account="work")
    work.script = [
        RateLimited(service="jira", account="work", retry_at=1000.0 + 3600, scope="issue:ZEN-1")
    ]
    outbox = Outbox(running, {"work": work}, EventBus(), now=clock.time)
    elsewhere = Outbox(other, {"work": FakeClient()}, EventBus(), now=clock.time)
    first, second = outbox.queue([act("work", "ZEN-1"), act("work", "ZEN-1")])
    await outbox.replay()
    assert outbox.item_not_before == {("work", "work:ZEN-1"): 1000.0 + 3600}
    assert "work" not in outbox.not_before  # the account is not held
    assert not outbox.left_elsewhere()()  # only ZEN-1's, which wait for their retry
    [entry] = elsewhere.queue([act("work", "ZEN-2")])
    assert outbox.left_elsewhere()()
    await outbox.replay(due_only=True)  # the replay the check asks for
    assert [running.outbox_get(e.id).state for e in (first, second, entry)] == [
        ActionState.PENDING,
        ActionState.PENDING,  # behind ZEN-1's first, in the order made
        ActionState.DONE,
    ]
    assert work.applied == [("work:ZEN-2", entry.idempotency_key)]
    running.close()
    other.close()
