"""The breaker's rules under seeded random interleavings of real calls through the gateway.

Calls start, get answered (200, 404, 429, 503, a dropped connection) or are cancelled by their
caller, and the fake clock moves, in a random order with several calls on the wire at once
(each seed also draws the breaker's settings). After every step:
- the breaker only moves closed -> open -> half-open -> closed | open, each change's `old`
  being the last change's `new`; only a server failure (or a call deadline running out)
  opens it, never a 4xx, a 429 or a cancel, and only an answer closes it;
- no call reaches the wire while it is open, and at most `max_half_open` probes are on it;
- the card built from the events alone (HealthModel) shows the breaker the gateway has:
  the same state, the same half-open time.
Found three bugs (late answers judged by the state their call was sent in; a cancel counted
as a success): see the regression tests at the end of test_breaker.py.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import seeds
from zen_tui.gateway import ApiError, CircuitOpen, FakeClock, RateLimited, Unavailable
from zen_tui.gateway.events import BreakerChanged, EventBus
from zen_tui.gateway.settings import BreakerSettings
from zen_tui.ui.health_model import HealthModel

from .conftest import settings_for

MOVES = {("closed", "open"), ("open", "half-open"), ("half-open", "closed"), ("half-open", "open")}
ANSWERS = ("200", "404", "429", "503", "reset")
SERVER_FAILURES = {"503", "reset"}
EXPECTED = (ApiError, CircuitOpen, RateLimited, Unavailable)


@dataclass
class Sent:
    """One request on the wire, waiting for the answer the test picks."""

    answer: asyncio.Future[str]
    probe: bool  # sent while the breaker was half-open


@dataclass
class World:
    gw: Any
    clock: FakeClock
    settings: BreakerSettings
    model: HealthModel = field(default_factory=HealthModel)
    wire: list[Sent] = field(default_factory=list)
    calls: list[asyncio.Task[Any]] = field(default_factory=list)
    changes: list[BreakerChanged] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def parked(self) -> list[Sent]:
        return [s for s in self.wire if not s.answer.done()]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        state = self.gw.breaker_state()
        assert state != "open", "a call reached the wire while the breaker is open"
        sent = Sent(asyncio.get_running_loop().create_future(), probe=state == "half-open")
        self.wire.append(sent)
        kind = await sent.answer
        if kind == "reset":
            raise httpx.ConnectError("connection reset", request=request)
        headers = {"retry-after": "1"} if kind == "429" else {}
        return httpx.Response(int(kind), json={"message": kind}, headers=headers)

    async def settle(self) -> None:
        # An answered or cancelled call ends within a few loop turns; nothing waits on the clock.
        for _ in range(30):
            await asyncio.sleep(0)
        for task in [t for t in self.calls if t.done()]:
            self.calls.remove(task)
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, EXPECTED):
                raise error

    def check(self) -> None:
        previous = "closed"
        for change in self.changes:
            pair = (change.old, change.new)
            assert pair in MOVES and change.old == previous, f"moved {pair} after {previous}"
            previous = change.new
        health, shown = self.gw.health(), self.model.status("github")
        if health.half_open_at is not None:  # open (half-open by time once its countdown ends)
            assert (shown.breaker, shown.half_open_at) == ("open", health.half_open_at), (
                f"the card shows {shown.breaker} until {shown.half_open_at}, the breaker is "
                f"open until {health.half_open_at} (now {self.clock.time()})"
            )
        else:
            assert (shown.breaker, shown.half_open_at) == (health.breaker, None), (
                f"the card shows {shown.breaker}, the breaker is {health.breaker}"
            )
        probes = sum(1 for s in self.parked() if s.probe)
        assert probes <= self.settings.max_half_open, f"{probes} probes on the wire"


async def _step(world: World, rng: random.Random, n: int) -> None:
    roll, parked = rng.random(), world.parked()
    before = len(world.changes)
    if roll < 0.06 and world.calls:  # the caller leaves (a preview the cursor left)
        world.steps.append("cancel")
        rng.choice(world.calls).cancel()
    elif roll < 0.35 or (not parked and roll < 0.8):
        world.steps.append("call")
        world.calls.append(asyncio.create_task(world.gw.request("GET", f"/r/{n}")))
    elif roll < 0.8:
        kind = rng.choice(ANSWERS)
        world.steps.append(kind)
        rng.choice(parked).answer.set_result(kind)
    else:
        jump = rng.choice((1.0, world.settings.timeout / 2, world.settings.timeout))
        world.steps.append(f"+{jump:g}s")
        world.clock.advance(jump)
    await world.settle()
    moved = {(c.old, c.new) for c in world.changes[before:]}
    what = world.steps[-1]
    if any(new == "open" for _, new in moved):  # a jump past the call deadline is a timeout
        assert what in SERVER_FAILURES or what.startswith("+"), f"a {what} opened the breaker"
    if ("half-open", "closed") in moved:
        assert what in ANSWERS and what not in SERVER_FAILURES, f"a {what} closed the breaker"
    world.check()


async def _play(seed: int, make_gateway: Any, clock: FakeClock, bus: EventBus) -> None:
    rng = random.Random(seed)
    breaker = BreakerSettings(
        failure_threshold=rng.randint(1, 4),
        success_threshold=rng.randint(1, 3),
        timeout=float(rng.choice((5, 30))),
        max_half_open=rng.randint(1, 3),
    )
    world = World(None, clock, breaker)
    settings = replace(settings_for("github", max_attempts=1), breaker=breaker)
    world.gw = make_gateway(settings, handler=world.handler)
    bus.subscribe(world.model.apply)
    bus.subscribe(lambda e: world.changes.append(e) if isinstance(e, BreakerChanged) else None)
    try:
        for n in range(120):
            await _step(world, rng, n)
    except AssertionError as error:
        last = " ".join(world.steps[-12:])
        raise AssertionError(
            f"seed {seed} ({breaker}), step {len(world.steps)}: {error}; last steps: {last}"
        ) from error
    finally:
        for call in world.calls:
            call.cancel()
        await world.settle()


@pytest.mark.parametrize("seed", seeds(every_run=range(8), soak=range(8, 300)))
async def test_the_breaker_keeps_its_rules_whatever_the_order(seed, make_gateway, clock, bus):
    await _play(seed, make_gateway, clock, bus)
