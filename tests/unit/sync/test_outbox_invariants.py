"""The outbox's promises under a flaky service, whatever the interleaving: seeded random
schedules of several outboxes on one real SQLite file (as several processes on one data
folder), a service that loses answers, garbles them, goes down, rate-limits, and outboxes
that die mid-send. After every schedule, and with the service healthy again:

- every action is applied exactly once, in the order it was queued (per account);
- an action whose answer was lost is never sent again before verify() said it did not land;
- a DONE entry never changes again;
- while the service is down, "cannot tell" keeps an entry UNKNOWN (never resent, never failed).
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import ManualClock, seeds
from zen_tui.gateway.errors import BadResponse, CircuitOpen, RateLimited, Unavailable
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.outbox import Outbox

from .fakes import Result, publish_service_down

S = ActionState
ACCOUNTS = ("gh", "gh2")
APPLY_FATES = ("ok", "ok", "ok", "lost", "garbled", "unsent", "down", "breaker", "limited")
VERIFY_FATES = ("truth", "truth", "truth", "breaker", "garbled", "outage", "down")


class Server:
    """What the service applied, and what the outbox may not do next."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.applied: list[str] = []  # idempotency keys, once per application
        self.uncertain: set[str] = set()  # answer lost: must be verified before a resend
        self.violations: list[str] = []
        self.calm = False  # no more faults: the outboxes must finish

    def land(self, key: str) -> None:
        if key in self.applied:
            self.violations.append(f"{key} applied twice")
        if key in self.uncertain:
            self.violations.append(f"{key} resent before verify() said it did not land")
        self.applied.append(key)


class FlakyClient:
    def __init__(self, server: Server, rng: random.Random, account: str, bus: EventBus) -> None:
        self.service = "github"
        self.server, self.rng, self.account, self.bus = server, rng, account, bus

    def keep_resolved(self, sink: object) -> None:
        """Resolves nothing before a write: nothing to keep."""

    async def _pause(self) -> None:
        for _ in range(self.rng.randint(0, 3)):
            await asyncio.sleep(0)
        if self.rng.random() < 0.1:  # time passes mid-call, well within a live lease
            self.server.clock.now += 1.0

    def _fate(self, fates: tuple[str, ...]) -> str:
        return fates[0] if self.server.calm else self.rng.choice(fates)

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        await self._pause()
        fate, now = self._fate(APPLY_FATES), self.server.clock()
        if fate in ("ok", "lost", "garbled"):
            self.server.land(idempotency_key)
        await self._pause()
        if fate in ("lost", "garbled", "unsent"):  # the outbox cannot tell whether it landed
            self.server.uncertain.add(idempotency_key)
            if fate == "garbled":
                raise BadResponse(
                    service="github", account=self.account, status=200, message="not JSON"
                )
            raise Unavailable(service="github", account=self.account, message="ReadTimeout")
        if fate == "down":
            raise Unavailable(service="github", account=self.account, status=503)
        if fate == "breaker":
            raise CircuitOpen(service="github", account=self.account, retry_at=now + 5)
        if fate == "limited":
            raise RateLimited(service="github", account=self.account, retry_at=now + 30)
        return Result(True)

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        await self._pause()
        fate = self._fate(VERIFY_FATES)
        if fate == "breaker":
            raise CircuitOpen(
                service="github", account=self.account, retry_at=self.server.clock() + 5
            )
        if fate == "garbled":
            raise BadResponse(
                service="github", account=self.account, status=200, message="not JSON"
            )
        if fate == "down":
            raise Unavailable(service="github", account=self.account, status=502)
        if fate == "outage":  # the client swallowed a 503 and "cannot tell"
            publish_service_down(self.bus, "github", self.account)
            return None
        landed = idempotency_key in self.server.applied
        if not landed:
            self.server.uncertain.discard(idempotency_key)  # now it may be sent again
        return landed


class Watch:
    """Every state every outbox published, per entry: a DONE one never changes after."""

    def __init__(self) -> None:
        self.states: dict[str, list[ActionState]] = defaultdict(list)
        self.last: dict[str, ActionUpdated] = {}  # per entry, the last event published

    def __call__(self, event: object) -> None:
        if isinstance(event, ActionUpdated):
            self.states[event.action_id].append(event.state)
            self.last[event.action_id] = event

    def changed_after_done(self) -> dict[str, list[ActionState]]:
        return {
            k: v
            for k, v in self.states.items()
            if S.DONE in v and set(v[v.index(S.DONE) :]) != {S.DONE}
        }


def outbox(path: Path, server: Server, rng: random.Random, watch: Watch) -> Outbox:
    bus = EventBus()
    bus.subscribe(watch)
    clients = {a: FlakyClient(server, rng, a, bus) for a in ACCOUNTS}
    return Outbox(Store.open(path, clock=server.clock), clients, bus, now=server.clock)


def close(box: Outbox) -> None:
    box.close()  # its owner id is forgotten: as if the process were gone
    box.store.close()  # type: ignore[attr-defined]


async def chaos(path: Path, server: Server, rng: random.Random, watch: Watch) -> None:
    """Two or three outboxes replay at once; one of them may die part-way."""
    boxes = [outbox(path, server, rng, watch) for _ in range(rng.randint(2, 3))]
    for box in boxes:
        box.recover()
    # a box may replay twice at once (its run loop, and a sync the user asked for)
    runs = [(b, asyncio.ensure_future(b.replay())) for b in boxes for _ in range(rng.randint(1, 2))]
    tasks = [task for _, task in runs]
    if rng.random() < 0.3:
        for _ in range(rng.randint(0, 15)):
            await asyncio.sleep(0)
        tasks[rng.randrange(len(tasks))].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    left = boxes[0].store.outbox_by_state(S.PENDING, S.UNKNOWN)
    for box in boxes:
        if left and not any(task.cancelled() for b, task in runs if b is box):
            assert box.retry_at is not None, "entries left waiting without a retry scheduled"
        close(box)
    server.clock.now += rng.choice((1.0, 10.0, 100.0))


async def one_round(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    server, watch = Server(ManualClock(1000.0)), Watch()
    first = outbox(path, server, rng, watch)
    actions = [
        Action(
            rng.choice(("comment", "add_label")),
            f"gh:o/r#{n}",
            rng.choice(ACCOUNTS),
            {"label": "x"},
        )
        for n in range(6)
    ]
    entries = first.queue(actions)
    close(first)
    for _ in range(rng.randint(1, 4)):
        await chaos(path, server, rng, watch)
        seen = set(server.applied)  # what landed stays landed: check as we go
        assert not server.violations, f"seed {seed}: {server.violations}"
        assert not watch.changed_after_done(), f"seed {seed}: {watch.changed_after_done()}"
        assert seen <= set(server.applied)

    server.calm = True
    last = outbox(path, server, rng, watch)
    last.recover()
    for _ in range(len(entries) + 1):  # each replay gets at least one entry per account further
        await last.replay()
    states = {e.id: e.state for e in last.store.outbox_by_state()}
    close(last)
    assert set(states.values()) == {S.DONE}, f"seed {seed}: {states}"
    assert not server.violations, f"seed {seed}: {server.violations}"
    assert not watch.changed_after_done(), f"seed {seed}: {watch.changed_after_done()}"
    keys = [e.idempotency_key for e in entries]
    assert sorted(server.applied) == sorted(keys), f"seed {seed}: not exactly once"
    for account in ACCOUNTS:
        queued = [e.idempotency_key for e in entries if e.action.account == account]
        landed = [k for k in server.applied if k in queued]
        assert landed == queued, f"seed {seed}: {account} applied out of order"


# 40 seeds in every run, the other 110 of the 150 it ran with `make soak` (about 0.1 s each,
# 15 s of every suite in all).
@pytest.mark.parametrize("seed", seeds(every_run=range(40), soak=range(40, 150)))
async def test_a_flaky_service_gets_every_action_exactly_once_in_order(
    tmp_path: Path, seed: int
) -> None:
    await one_round(tmp_path / "z.db", seed)
