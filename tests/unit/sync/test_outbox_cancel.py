"""The user's cancel (`zen-tui outbox cancel`, its own Store connection) against outboxes
sending from the same real SQLite file (as other processes: one connection each, the real
claim path and leases), whatever the interleaving. tests/unit/store/test_outbox_cancel.py
pins the store's rule; here the senders are real Outboxes over a flaky service (answers
lost, garbled, the service down, rate-limited), some of them dying mid-send, and the user
cancels at random moments, also in the window between a sender's claim and its send, and
also entries whose answer was lost (unknown: cancelled as "drop instead of resend"), one
entry at a time or all at once (`cancel --all-pending`: pending ones taken back, unknown
ones asked), and queues more actions as it goes (another terminal's `zen-tui act`).

After every schedule:
- the server never saw an entry after a cancel of it won (pending: taken out; unknown:
  marked), nor one twice; a cancel never took out an entry that had reached the server; a
  PENDING entry never had (what a cancel trusts);
- every entry is exactly one of: cancelled (and gone from the store), marked and then
  dropped (gone: it had not landed, told so), or in the store; a marked one that is done
  had landed before the cancel, and says so (in the store and on its row);
- `zen-tui outbox` says how each such cancel ended: `done` (landed) exactly for those that
  had landed, `dropped` exactly for those that had not, never one for the other;
- with the service healthy again, every entry not cancelled nor dropped is sent exactly
  once, in order per account: nothing waits forever behind a cancelled one.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ManualClock, seeds
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, leases, outbox_words
from zen_tui.store.outbox import LANDED_BEFORE_CANCEL, Cancel
from zen_tui.store.outbox_listing import ended_state
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.bulk import BulkProcessor
from zen_tui.sync.outbox import DROPPED, LEASE_SECONDS, TAKEN_OUT, Outbox

from .fakes import FakeClient, Result
from .test_outbox_invariants import ACCOUNTS, FlakyClient, Server, Watch, close

S = ActionState


class Cancels(Server):
    """The flaky service, also told what the user cancelled: one landing after is a bug."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.cancelled: set[str] = set()  # idempotency keys, taken out
        self.asked: dict[str, str] = {}  # key -> id, cancelled while unknown: checked
        self.asked_by: dict[str, str] = {}  # key -> "one" (cancel ID) or "all" (--all-pending)

    def land(self, key: str) -> None:
        if key in self.cancelled or key in self.asked:
            self.violations.append(f"{key} sent after its cancel")
        super().land(key)


def sender(path: Path, server: Cancels, rng: random.Random, watch: Watch) -> Outbox:
    """A sending process: its own connection, flaky clients, and a pause between its claim
    and its send (reading the login it sends as), where a cancel meets its lease."""
    bus = EventBus()
    bus.subscribe(watch)

    async def login_of(_account: str) -> str | None:
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)
        return None  # not logged in as anyone in particular: nothing held

    clients = {a: FlakyClient(server, rng, a, bus) for a in ACCOUNTS}
    store = Store.open(path, clock=server.clock)
    return Outbox(store, clients, bus, now=server.clock, login_of=login_of)


async def user(
    path: Path, server: Cancels, rng: random.Random, keys: dict[str, str], ids: list[str]
) -> None:
    """`zen-tui outbox cancel ID` now and then, on any entry (often an unknown one), or
    `cancel --all-pending`, or `zen-tui act` queueing one more (into `keys`, key ->
    account, and `ids`), until cancelled."""
    store = Store.open(path, clock=server.clock)
    try:
        while True:
            for _ in range(rng.randint(0, 8)):
                await asyncio.sleep(0)
            move = rng.random()
            if move < 0.1 and len(ids) < 12:
                entry = store.outbox_add(action(rng, len(ids)), idempotency_key=uuid.uuid4().hex)
                keys[entry.idempotency_key] = entry.action.account
                ids.append(entry.id)
                continue
            # the listing shows an entry unknown (its answer was lost): cancelled as often
            unknown = [e.id for e in store.outbox_by_state(S.UNKNOWN)]
            if move < 0.3 and (unknown or rng.random() < 0.2):  # else: little left to ask
                for _, done in outbox_words.cancel_all(store):
                    took(server, done, "all")
                continue
            pick = rng.choice(unknown if unknown and rng.random() < 0.5 else ids)
            took(server, store.outbox_cancel(pick, alive=leases.alive), "one")
    finally:
        store.close()


def took(server: Cancels, done: Cancel, how: str) -> None:
    """What a cancel (`how`: of one entry, or of all) took: an entry asked to cancel is
    never to land after; one taken back must not have reached the server."""
    if done.checking is not None:
        server.asked[done.checking.idempotency_key] = done.checking.id
        server.asked_by[done.checking.idempotency_key] = how
    for entry in done.cancelled:
        key = entry.idempotency_key
        if key in server.applied or key in server.uncertain:
            server.violations.append(f"{key} cancelled after it reached the server")
        server.cancelled.add(key)


def action(rng: random.Random, n: int) -> Action:
    return Action(
        rng.choice(("comment", "add_label")),
        f"gh:o/r#{n}",
        rng.choice(ACCOUNTS),
        {"label": "x", "body": f"n{n}"},
    )


async def chaos(path: Path, server: Cancels, rng: random.Random, watch: Watch) -> None:
    """Two or three senders replay at once, one may die part-way, while the user cancels."""
    boxes = [sender(path, server, rng, watch) for _ in range(rng.randint(2, 3))]
    for box in boxes:
        box.recover()
    runs = [asyncio.ensure_future(b.replay()) for b in boxes for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.3:
        for _ in range(rng.randint(0, 15)):
            await asyncio.sleep(0)
        runs[rng.randrange(len(runs))].cancel()
    await asyncio.gather(*runs, return_exceptions=True)
    for box in boxes:
        close(box)
    server.clock.now += rng.choice((1.0, 10.0, 100.0))


def check(store: Store, server: Cancels, keys: dict[str, str], watch: Watch, where: str) -> None:
    """The promises that hold at any moment between schedules."""
    assert not server.violations, f"{where}: {server.violations}"
    left = {e.idempotency_key: e for e in store.outbox_by_state()}
    cancelled, asked = server.cancelled, set(server.asked)
    assert not (set(left) & cancelled), f"{where}: cancelled yet in the store"
    dropped = asked - set(left)
    assert set(left) | cancelled | dropped == set(keys), f"{where}: went without a cancel"
    assert not (dropped & set(server.applied)), f"{where}: dropped, yet it had landed"
    for key in dropped:
        row = watch.last[server.asked[key]]
        assert (row.state, row.reason) == (S.FAILED, DROPPED), f"{where}: {key} said {row}"
    pending = {k for k, e in left.items() if e.state is S.PENDING}
    assert not (pending & set(server.applied)), f"{where}: PENDING but it reached the server"
    # how the listing says each cancel ended (nothing is pruned here): exactly the landed
    # ones done, exactly the dropped ones dropped
    key_of = {i: k for k, i in server.asked.items()}
    ended = {key_of.get(c.id, c.id): ended_state(c) for c in store.outbox_cancels_ended()}
    done_asked = {k for k in asked & set(left) if left[k].state is S.DONE}
    assert ended == dict.fromkeys(done_asked, "done") | dict.fromkeys(dropped, "dropped"), where
    assert all(k in server.applied for k, said in ended.items() if said == "done"), where
    for key in asked & set(left):
        entry = left[key]
        assert entry.cancel_asked is not None, f"{where}: {key} lost its cancel"
        if entry.state is S.DONE:  # the check found it had landed: it says so
            assert key in server.applied, f"{where}: {key} done yet not landed"
            assert LANDED_BEFORE_CANCEL in (entry.reason or ""), f"{where}: {entry.reason}"
            said = watch.last[entry.id]
            assert said.reason is not None and LANDED_BEFORE_CANCEL in said.reason, where


async def one_round(path: Path, seed: int) -> set[tuple[str, str]]:
    """One seeded round; how the cancels of unknown entries in it ended (landed, dropped),
    each with how it was asked (of one entry, or of all)."""
    rng = random.Random(seed)
    server, watch = Cancels(ManualClock(1000.0)), Watch()
    first = sender(path, server, rng, watch)
    entries = first.queue(action(rng, n) for n in range(6))
    if rng.random() < 0.5:  # a chain: a cancel of its first step takes the second too
        steps = [(Action("comment", f"gh:o/r#{n}", "gh", {"body": "c"}), None) for n in (7, 8)]
        entries += first.queue_chain(steps)
    close(first)
    keys = {e.idempotency_key: e.action.account for e in entries}
    ids = [e.id for e in entries]
    canceller = asyncio.ensure_future(user(path, server, rng, keys, ids))
    try:
        for n in range(rng.randint(1, 4)):
            await chaos(path, server, rng, watch)
            with Store.open(path, clock=server.clock) as store:
                check(store, server, keys, watch, f"seed {seed} schedule {n}")
    finally:
        canceller.cancel()
        await asyncio.gather(canceller, return_exceptions=True)

    server.calm = True
    last = sender(path, server, rng, watch)
    last.recover()
    for _ in range(len(keys) + 1):  # each replay gets at least one entry per account further
        await last.replay()
    check(last.store, server, keys, watch, f"seed {seed} at the end")  # type: ignore[arg-type]
    states = {e.idempotency_key: e.state for e in last.store.outbox_by_state()}
    close(last)
    assert set(states.values()) <= {S.DONE}, f"seed {seed}: left {states}"
    assert sorted(server.applied) == sorted(states), f"seed {seed}: not exactly once"
    for account in ACCOUNTS:
        queued = [k for k, a in keys.items() if a == account and k in states]
        landed = [k for k in server.applied if keys[k] == account]
        assert landed == queued, f"seed {seed}: {account} applied out of order"
    return {(server.asked_by[k], "landed" if k in states else "dropped") for k in server.asked}


@pytest.mark.parametrize("block", seeds(every_run=(0,), soak=range(1, 10)))
async def test_a_cancel_and_a_send_never_both_win_whatever_the_interleaving(
    tmp_path: Path, block: int
) -> None:
    ended: set[tuple[str, str]] = set()
    for seed in range(block * 25, block * 25 + 25):
        ended |= await one_round(tmp_path / f"z{seed}.db", seed)
    # the schedules met both ends of such a cancel, and such cancels asked of one entry
    # and of all (`--all-pending`)
    assert {end for _, end in ended} == {"landed", "dropped"}
    assert {how for how, _ in ended} == {"one", "all"}


class Down(FlakyClient):
    """The service's breaker is open until told otherwise; what it applies is recorded."""

    down = True

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        if self.down:
            raise CircuitOpen(service="github", account=self.account, retry_at=1e12)
        self.server.land(idempotency_key)
        return Result(True)


async def test_the_entries_held_behind_a_cancelled_one_are_sent(tmp_path: Path) -> None:
    path, server, rng = tmp_path / "z.db", Cancels(ManualClock(1000.0)), random.Random(0)
    bus = EventBus()
    client = Down(server, rng, "gh", bus)
    box = Outbox(Store.open(path, clock=server.clock), {"gh": client}, bus, now=server.clock)
    wrong, later = box.queue([Action("add_label", f"gh:o/r#{n}", "gh", {}) for n in (1, 2)])
    assert await box.replay() == {S.PENDING: 1}  # the first waits; the later one behind it
    assert box.retry_at is not None and server.applied == []
    with Store.open(path, clock=server.clock) as other:  # `zen-tui outbox cancel` elsewhere
        assert [e.id for e in other.outbox_cancel(wrong.id, alive=leases.alive).cancelled] == [
            wrong.id
        ]
    client.down = False
    await box.replay()
    assert server.applied == [later.idempotency_key]
    assert [e.state for e in box.store.outbox_by_state()] == [S.DONE]  # type: ignore[attr-defined]
    close(box)


@pytest.mark.parametrize("when", ["reading its login", "marking it sending"])
async def test_a_cancel_once_the_senders_lease_ran_out_stops_its_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """A sender that outlived its lease between its claim and its send (a login read that
    hung) finds the entry cancelled meanwhile by another process (there, or in the moment
    before its SENDING write): it is not sent, and the replay ends well."""
    path, server, rng = tmp_path / "z.db", Cancels(ManualClock(1000.0)), random.Random(0)
    other = Store.open(path, clock=server.clock)
    cancelled: list[str] = []

    def cancel_elsewhere() -> None:
        server.clock.now += LEASE_SECONDS + 1  # the sender still runs: only its time ran out
        cancelled.extend(e.id for e in other.outbox_cancel(entry.id, alive=leases.alive)[0])

    async def login_of(_account: str) -> str | None:
        if when == "reading its login":
            cancel_elsewhere()
        return None

    bus = EventBus()
    clients = {"gh": FlakyClient(server, rng, "gh", bus)}
    store = Store.open(path, clock=server.clock)
    box = Outbox(store, clients, bus, now=server.clock, login_of=login_of)
    server.calm = True
    [entry] = box.queue([Action("add_label", "gh:o/r#1", "gh", {})])
    update = store.outbox_update

    def just_before(entry_id: str, **change: Any) -> Any:
        if when == "marking it sending" and change["state"] is S.SENDING:
            cancel_elsewhere()  # the other process's write lands first
        return update(entry_id, **change)

    monkeypatch.setattr(store, "outbox_update", just_before)
    await box.replay()
    assert cancelled == [entry.id]
    assert server.applied == [] and store.outbox_by_state() == []
    close(box)
    other.close()


async def test_a_bulk_says_an_item_cancelled_midway_was_not_sent(tmp_path: Path) -> None:
    """A selection being sent, one item at a time; the user cancels one not sent yet (the
    wrong selection): its row is told FAILED, not sent, never "done" (before: DONE, as if
    a missing entry had been sent and pruned), and the others go on."""
    path = tmp_path / "z.db"
    other = Store.open(path)
    client, bus = FakeClient(), EventBus()
    plain = client.apply

    async def apply(action: Action, *, idempotency_key: str) -> Result:
        if action.item_id == "gh:o/r#1":  # while the first is sent
            assert other.outbox_cancel(entries[2].id, alive=leases.alive).cancelled
        return await plain(action, idempotency_key=idempotency_key)

    client.apply = apply  # type: ignore[method-assign]
    said: list[ActionUpdated] = []
    bus.subscribe(lambda e: said.append(e) if isinstance(e, ActionUpdated) else None)
    box = Outbox(Store.open(path), {"gh": client}, bus)
    entries = box.queue([Action("add_label", f"gh:o/r#{n}", "gh", {}) for n in (1, 2, 3)])
    await BulkProcessor(box).process(entries)
    assert [item for item, _ in client.applied] == ["gh:o/r#1", "gh:o/r#2"]
    last = [(e.state, e.reason) for e in said if e.action_id == entries[2].id][-1]
    assert last == (S.FAILED, TAKEN_OUT)
    assert S.DONE not in {e.state for e in said if e.action_id == entries[2].id}
    close(box)
    other.close()
