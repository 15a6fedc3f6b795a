"""Several outboxes on one SQLite file (as several processes on one data folder would be):
every action is applied exactly once, whatever the interleaving, also when one of them dies
mid-send. Seeded random schedules over real SQLite; the "server" records what it applied."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.helpers import ManualClock, seeds
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.sync.outbox import LEASE_SECONDS, Outbox

from .fakes import Result

S = ActionState


class Server:
    def __init__(self) -> None:
        self.applied: list[str] = []  # idempotency keys, once per application


class RacyClient:
    """Each call yields to the loop a random number of times before and after it lands."""

    service = "github"

    def __init__(self, server: Server, rng: random.Random) -> None:
        self.server, self.rng = server, rng

    def keep_resolved(self, sink) -> None:
        """Resolves nothing before a write: nothing to keep."""

    async def _pause(self) -> None:
        for _ in range(self.rng.randint(0, 4)):
            await asyncio.sleep(0)

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        await self._pause()
        self.server.applied.append(idempotency_key)
        await self._pause()
        return Result(True)

    async def verify(self, action: Action, *, idempotency_key: str) -> bool:
        await self._pause()
        return idempotency_key in self.server.applied


def outbox(
    path: Path, server: Server, rng: random.Random, clock: ManualClock | None = None
) -> Outbox:
    store = Store.open(path) if clock is None else Store.open(path, clock=clock)
    return Outbox(store, {"gh": RacyClient(server, rng)}, EventBus())


def close(box: Outbox) -> None:
    box.close()  # its owner id is forgotten: as if the process were gone
    box.store.close()  # type: ignore[attr-defined]


async def one_round(path: Path, seed: int) -> None:
    rng, server = random.Random(seed), Server()
    first = outbox(path, server, rng)
    actions = [Action("comment", f"gh:o/r#{n}", "gh", {"body": f"n{n}"}) for n in range(6)]
    keys = [e.idempotency_key for e in first.queue(actions)]
    close(first)

    boxes = [outbox(path, server, rng) for _ in range(rng.randint(2, 3))]
    tasks = [asyncio.ensure_future(b.replay()) for b in boxes]
    if rng.random() < 0.5:  # one of them dies part-way (mid-send or between entries)
        for _ in range(rng.randint(0, 12)):
            await asyncio.sleep(0)
        victim = rng.randrange(len(boxes))
        tasks[victim].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for box in boxes:
        close(box)

    last = outbox(path, server, rng)  # the next start finishes whatever is left
    last.recover()
    await last.replay()
    states = {e.state for e in last.store.outbox_by_state()}  # type: ignore[attr-defined]
    close(last)
    assert states == {S.DONE}, f"seed {seed}: {states}"
    counts = {k: server.applied.count(k) for k in keys}
    assert set(counts.values()) == {1}, f"seed {seed}: applied {counts}"


# 50 seeds in every run, the other 150 of the 200 it ran with `make soak` (about 0.06 s
# each, 12 s of every suite in all).
@pytest.mark.parametrize("seed", seeds(every_run=range(50), soak=range(50, 200)))
async def test_outboxes_sharing_a_file_apply_each_action_exactly_once(
    tmp_path: Path, seed: int
) -> None:
    await one_round(tmp_path / "z.db", seed)


async def test_an_entry_held_by_a_live_outbox_is_left_to_it(tmp_path: Path) -> None:
    path, server, rng = tmp_path / "z.db", Server(), random.Random(0)
    holder, other = outbox(path, server, rng), outbox(path, server, rng)
    a, b = holder.queue([Action("comment", f"gh:o/r#{n}", "gh", {}) for n in (1, 2)])
    assert holder.claim(a) is not None
    tally = await other.replay()
    # a is held; b waits behind it (order per account); a retry is scheduled
    assert tally == {S.SENDING: 1} and server.applied == [] and other.retry_at is not None
    assert other.recover() == 0
    holder.release(a)
    await other.replay()
    assert server.applied == [a.idempotency_key, b.idempotency_key]
    close(holder)
    close(other)


async def test_a_lease_that_ran_out_during_a_verify_is_not_followed_by_a_send(
    tmp_path: Path,
) -> None:
    """A hung verify outlives the lease; another outbox takes the entry over and sends it.
    When the first one wakes up it must not send too (nor record anything)."""
    path, server, rng = tmp_path / "z.db", Server(), random.Random(0)
    clock = ManualClock(1000.0)
    slow, fast = outbox(path, server, rng, clock), outbox(path, server, rng, clock)
    [entry] = slow.queue([Action("comment", "gh:o/r#1", "gh", {})])
    slow.store.outbox_update(entry.id, state=S.UNKNOWN, reason="timeout")  # type: ignore[attr-defined]
    gate, started = asyncio.Event(), asyncio.Event()
    client = slow.clients["gh"]

    async def hung_verify(action: Action, *, idempotency_key: str) -> bool:
        started.set()
        await gate.wait()
        return False  # "not applied" as seen before the other outbox sent it

    client.verify = hung_verify  # type: ignore[method-assign]
    first = asyncio.ensure_future(slow.replay())
    await started.wait()
    clock.now += LEASE_SECONDS + 1
    await fast.replay()  # takes over, verifies (not there), sends once
    gate.set()
    assert await first == {S.DONE: 1}  # reported as the other outbox left it
    assert server.applied == [entry.idempotency_key]
    assert fast.store.outbox_get(entry.id).state is S.DONE  # type: ignore[attr-defined]
    close(slow)
    close(fast)


async def test_an_entry_recovered_at_start_is_free_for_any_outbox(tmp_path: Path) -> None:
    """Recovery takes an interrupted entry only to mark it UNKNOWN: another live process may
    verify and finish it at once (it is not left leased to the one that recovered it)."""
    path, server, rng = tmp_path / "z.db", Server(), random.Random(0)
    starting, other = outbox(path, server, rng), outbox(path, server, rng)
    [entry] = starting.queue([Action("comment", "gh:o/r#1", "gh", {})])
    starting.store.outbox_update(entry.id, state=S.SENDING)  # type: ignore[attr-defined]
    assert starting.recover() == 1
    assert await other.replay() == {S.DONE: 1}
    assert server.applied == [entry.idempotency_key]
    close(starting)
    close(other)


async def test_a_closed_outboxs_interrupted_send_is_free_at_once_in_the_same_process(
    tmp_path: Path,
) -> None:
    """An engine restarted in one process (a new login): the old outbox's lease on an entry
    it was sending is free as soon as it closes, not after LEASE_SECONDS."""
    path, server, rng = tmp_path / "z.db", Server(), random.Random(0)
    old = outbox(path, server, rng)
    [entry] = old.queue([Action("comment", "gh:o/r#1", "gh", {})])
    taken = old.claim(entry)
    old.mark(taken, S.SENDING, None, attempt=True)
    close(old)
    new = outbox(path, server, rng)
    assert new.recover() == 1
    assert await new.replay() == {S.DONE: 1} and server.applied == [entry.idempotency_key]
    close(new)
