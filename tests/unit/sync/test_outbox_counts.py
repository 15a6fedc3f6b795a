"""The gateway cards' outbox figures are the store's, whatever happens to the outbox and
whoever does it: seeded random sequences on a running engine over a real SQLite file, with
a second connection to the file as the other processes (`zen-tui act`, `zen-tui outbox
retry`, `clear` and `cancel`). After each step the card, drawn from the health model the
dashboard keeps (seeded from engine.health() at the start, then fed the bus), says what the
store holds, for each service. Virtual time; the engine's store check (a housekeeping chore
every 30 s) is run at once after another process's step.

The card once counted ActionUpdated events on top of the start-up figures: entries queued
before the start were counted twice and taken off once (`out 4` over an empty outbox), and
another process's retry or clear was never seen.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.helpers import seeds
from zen_tui.events import Event
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, leases
from zen_tui.store.outbox import OutboxFigures
from zen_tui.sync.backend import ActionUpdated, OutboxCounted
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.outbox import TAKEN_OUT, Outbox
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.widgets.gateway import render_status

from .fakes import FakeClient, Result
from .outbox_engine import (
    ACCOUNTS,
    NOT_SENT,
    account_figures,
    action,
    card_figures,
    outbox_engine,
    store_figures,
)

S = ActionState
FATES = ("ok", "fail", "down")  # how a client's sends end: done, failed, not now (breaker)
OWN = ("queue", "batch", "send")  # this engine's own changes
ELSEWHERE = ("act", "act_sent", "retry", "clear", "clear_all", "cancel")  # another process's
STEPS = 30


class Fated(FakeClient):
    """Each send ends as the account's fate says: done, failed (422), or breaker open for an
    hour (the entry stays PENDING until a wake)."""

    def __init__(self, service: str, account: str, clock: FakeClock) -> None:
        super().__init__(service=service, account=account)
        self.fate = "ok"
        self.clock = clock

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        if self.fate == "down":
            raise CircuitOpen(
                service=self.service, account=self.account, retry_at=self.clock.time() + 3600
            )
        return await super().apply(action, idempotency_key=idempotency_key)

    @property
    def script(self) -> list[Result]:  # FakeClient.apply pops it: one answer, the fate's
        return [Result(self.fate == "ok", "" if self.fate == "ok" else "422 no such label")]

    @script.setter
    def script(self, _value: list[Result]) -> None:
        """FakeClient's constructor sets it; the fate decides."""


class World:
    """The engine, the dashboard's health model, and the other processes on the file."""

    def __init__(self, path: Path, rng: random.Random) -> None:
        self.rng = rng
        self.clock = FakeClock()
        self.other = Store.open(path, clock=self.clock.time)
        self.leave_entries()
        self.engine: SyncEngine = outbox_engine(path, self.clock)
        self.engine.store_check = 1e9  # run at once after another process's step, below
        self.clients = {
            name: Fated(service, name, self.clock) for name, service in ACCOUNTS.items()
        }
        self.engine.wired.clients.update(self.clients)  # type: ignore[arg-type]
        self.elsewhere_clients = {
            name: Fated(service, name, self.clock) for name, service in ACCOUNTS.items()
        }
        self.elsewhere = Outbox(self.other, self.elsewhere_clients, EventBus(), now=self.clock.time)
        self.model = HealthModel()  # as the app: seeded, then fed the bus
        self.model.seed(self.engine.health())
        self.engine.bus.subscribe(self.model.apply)
        self.n = 1000

    def leave_entries(self) -> None:
        """What earlier runs left: waiting, failed, done, unknown entries of each account."""
        for n in range(self.rng.randint(0, 8)):
            entry = self.other.outbox_add(action(self.rng.choice(list(ACCOUNTS)), n))
            state = self.rng.choice((S.PENDING, S.PENDING, S.FAILED, S.DONE, S.UNKNOWN))
            if state is not S.PENDING:
                self.other.outbox_update(entry.id, state=state, reason="left")

    def next_action(self) -> Action:
        self.n += 1
        return action(self.rng.choice(list(ACCOUNTS)), self.n)

    def fates(self, clients: dict[str, Fated]) -> None:
        for client in clients.values():
            client.fate = self.rng.choice(FATES)

    async def step(self, kind: str) -> None:
        rng, failed = self.rng, self.other.outbox_by_state(S.FAILED)
        if kind in OWN:
            self.fates(self.clients)
        if kind == "queue":
            await self.engine.submit([self.next_action()])
        elif kind == "batch":  # a selection: the bulk sender
            await self.engine.submit([self.next_action() for _ in range(rng.randint(2, 5))])
        elif kind == "send":  # a breaker closed: every account's waiting entries go
            self.engine.outbox.wake()
        elif kind == "act":  # `zen-tui act` offline: left waiting
            self.other.outbox_add(self.next_action())
        elif kind == "act_sent":  # `zen-tui act` sends it, and what waits before it
            self.fates(self.elsewhere_clients)
            self.elsewhere.queue([self.next_action()])
            await self.elsewhere.replay()
        elif kind == "retry" and failed:  # `zen-tui outbox retry ID`
            entry = rng.choice(failed)
            self.other.outbox_update(entry.id, state=S.PENDING, reason="retry asked by the user")
        elif kind == "clear" and failed:  # `zen-tui outbox clear ID`
            self.other.outbox_delete_failed(rng.choice(failed).id)
        elif kind == "clear_all":  # `zen-tui outbox clear --failed`
            self.other.outbox_delete_failed()
        elif kind == "cancel" and (waiting := self.other.outbox_by_state(*NOT_SENT)):
            # `zen-tui outbox cancel ID` (refused, and nothing changes, unless PENDING)
            self.other.outbox_cancel(rng.choice(waiting).id, alive=leases.alive)
        await self.settle()
        if kind in ELSEWHERE:  # the engine's store check finds it
            await self.engine._check_outbox_store(self.engine.housekeeping)
            await self.settle()

    async def settle(self) -> None:
        """Virtual time passes until what the step began is over (sends, a bulk's flush)."""
        for _ in range(100):
            await self.clock.sleep(1.0)
            if not self.engine.outbox.claimed:  # a bulk claims its entries as it takes them
                return
        raise AssertionError("the sends never ended")

    def check(self, after: str) -> None:
        for service in ("github", "jira"):
            drawn = render_status(self.model.status(service), self.clock.time())
            card = card_figures(str(drawn))
            truth = store_figures(self.engine.store, service)
            assert card == truth, f"{service} card {card} but the store {truth}, after {after}"


@pytest.mark.parametrize("seed", seeds(every_run=range(1, 5), soak=range(5, 25)))
async def test_the_cards_outbox_figures_are_the_stores_after_every_step(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    world = World(tmp_path / "zen.db", rng)
    world.check("the start-up figures")
    await world.engine.start()
    try:
        await world.settle()  # what waited is sent at the start
        world.check("the start")
        done: list[str] = []
        for _ in range(STEPS):
            kind = rng.choice(OWN + ELSEWHERE)
            await world.step(kind)
            done.append(kind)
            world.check(" -> ".join(done))
    finally:
        await world.engine.stop()
        world.elsewhere.close()
        world.other.close()
        await asyncio.sleep(0)


async def test_a_store_checks_older_read_is_read_again_never_published(tmp_path: Path) -> None:
    """The store check reads off the loop: a change published meanwhile may be newer than
    its read. Figures other than those published only make the engine read again, on the
    loop, where reads are published in the order made."""
    world = World(tmp_path / "zen.db", random.Random(0))
    said: list[tuple[str, int, int]] = []

    def hear(e: Event) -> None:
        if isinstance(e, OutboxCounted):
            said.append((e.account, e.pending, e.failed))

    world.engine.bus.subscribe(hear)
    await world.engine.start()
    try:
        await world.settle()
        said.clear()
        world.engine.tally.check({"gh": OutboxFigures(7, 7)})  # a stale read of the file
        await world.settle()
        assert said == []  # read again: the same as said, so nothing to say
        world.check("a stale store check")
        world.other.outbox_add(action("gh", 1))  # another process's, then a check that saw it
        world.engine.tally.check(world.other.outbox_figures())
        await world.settle()
        assert said == [("gh", *account_figures(world.engine.store, "gh"))]
    finally:
        await world.engine.stop()
        world.elsewhere.close()
        world.other.close()


async def test_a_cancel_in_another_process_reaches_the_card_at_the_store_check(
    tmp_path: Path,
) -> None:
    world = World(tmp_path / "zen.db", random.Random(0))
    await world.engine.start()
    try:
        await world.settle()
        world.clients["gh"].fate = "down"  # queued while the service is out of reach
        await world.engine.submit([action("gh", 1), action("gh", 2)])
        await world.settle()
        before = store_figures(world.engine.store, "github")
        world.check("two actions waiting")
        wrong = world.other.outbox_by_state(S.PENDING)[-1]
        assert world.other.outbox_cancel(wrong.id, alive=leases.alive).cancelled
        pending, failed = before
        assert store_figures(world.engine.store, "github") == (pending - 1, failed)
        drawn = render_status(world.model.status("github"), world.clock.time())
        assert card_figures(str(drawn)) == before  # not told yet: another process's change
        await world.engine._check_outbox_store(world.engine.housekeeping)
        await world.settle()
        world.check("the cancel, at the store check")
    finally:
        await world.engine.stop()
        world.elsewhere.close()
        world.other.close()


async def test_the_rows_of_actions_another_process_ended_are_told_at_the_store_check(
    tmp_path: Path,
) -> None:
    """Queued here while the service was out of reach (their rows say pending), one is
    cancelled and one sent by other processes: the store check tells their rows (the
    dashboard rolls a cancelled one back), once; before, they said pending until a restart."""
    world = World(tmp_path / "zen.db", random.Random(0))
    told: list[tuple[str, ActionState, str | None]] = []

    def hear(e: Event) -> None:
        if isinstance(e, ActionUpdated):
            told.append((e.action_id, e.state, e.reason))

    world.engine.bus.subscribe(hear)
    await world.engine.start()
    try:
        await world.settle()
        world.clients["gh"].fate = "down"
        await world.engine.submit([action("gh", n) for n in (1, 2, 3)])
        await world.settle()
        wrong, sent, waits = world.other.outbox_by_state(S.PENDING)[-3:]
        assert world.other.outbox_cancel(wrong.id, alive=leases.alive).cancelled
        taken = world.elsewhere.claim(sent)  # `zen-tui act` sends it
        world.elsewhere.mark(taken, S.DONE, "add_label done")
        world.elsewhere.release(taken)
        told.clear()
        await world.engine._check_outbox_store(world.engine.housekeeping)
        await world.settle()
        assert (wrong.id, S.FAILED, TAKEN_OUT) in told
        assert (sent.id, S.DONE, "add_label done") in told
        assert waits.id not in {i for i, s, _ in told if s in (S.DONE, S.FAILED)}
        told.clear()
        await world.engine._check_outbox_store(world.engine.housekeeping)
        assert not [t for t in told if t[0] in (wrong.id, sent.id)]  # said once
    finally:
        await world.engine.stop()
        world.elsewhere.close()
        world.other.close()
