"""A section's poller under seeded random interleavings of what happens to it.

The poller's own loop runs on the fake clock while refreshes come (`R`, a webhook, an own
action landing), some of them given up by their caller mid-poll, polls end with random
outcomes, the section gains and loses focus, polling is paused and resumed and time moves.
After every step: never two polls at once; a refresh that returns had a poll begin after it
was asked and end; while paused, the loop begins none; and when not paused the loop never
stops: a poll that is due begins.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import pytest

from tests.helpers import seeds
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.sync.poller import Poller, PollOutcome

from .test_poller import POLICY, SECTION


@dataclass
class Poll:
    number: int
    by_loop: bool  # begun by the poller's own loop (not a refresh)
    end: asyncio.Future[PollOutcome]
    ended: bool = False  # over, answered or cancelled
    answered: bool = False


@dataclass
class World:
    clock: FakeClock
    polls: list[Poll] = field(default_factory=list)
    running: int = 0
    loop: asyncio.Task[None] | None = None
    # refresh task -> the number of polls begun when it was asked
    refreshes: dict[asyncio.Task[None], int] = field(default_factory=dict)

    async def poll(self, section: object, interactive: bool) -> PollOutcome:
        assert self.running == 0, "two polls at once"
        by_loop = asyncio.current_task() is self.loop
        poll = Poll(len(self.polls) + 1, by_loop, asyncio.get_running_loop().create_future())
        self.polls.append(poll)
        self.running += 1
        try:
            outcome = await poll.end
            poll.answered = True
            return outcome
        finally:
            self.running -= 1
            poll.ended = True

    def open_polls(self) -> list[Poll]:
        return [p for p in self.polls if not p.end.done() and not p.ended]


async def _turns() -> None:
    for _ in range(40):
        await asyncio.sleep(0)


def _outcome(rng: random.Random) -> PollOutcome:
    return PollOutcome(changed=rng.random() < 0.5, poll_interval=rng.choice((None, 60, 300)))


async def _step(world: World, poller: Poller, rng: random.Random) -> str:
    roll, open_polls = rng.random(), world.open_polls()
    if roll < 0.25:
        task = asyncio.create_task(poller.poll_now(interactive=rng.random() < 0.5))
        world.refreshes[task] = len(world.polls)
        return "refresh"
    if roll < 0.35 and world.refreshes:  # the caller gives up (a worker cancelled)
        rng.choice(list(world.refreshes)).cancel()
        return "give-up"
    if roll < 0.65 and open_polls:
        open_polls[0].end.set_result(_outcome(rng))
        return "end"
    if roll < 0.72:
        poller.set_focused(not poller.focused)
        return "focus"
    if roll < 0.78:
        poller.set_paused(not poller.paused)
        return "pause" if poller.paused else "resume"
    seconds = rng.choice((1.0, 10.0, 60.0, 300.0))
    world.clock.advance(seconds)
    return f"+{seconds:g}s"


def _check(world: World, poller: Poller, what: str, begun_before: int) -> None:
    for task, asked_at in list(world.refreshes.items()):
        if not task.done():
            continue
        del world.refreshes[task]
        if task.cancelled():
            continue
        task.result()
        later = [p for p in world.polls[asked_at:] if p.answered]
        assert later, f"a refresh returned with no poll begun after it answered ({asked_at})"
    # A loop poll queued before the pause may begin once the lock is free ("end", "give-up").
    if poller.paused and what not in ("resume", "end", "give-up"):
        new = world.polls[begun_before:]
        assert not any(p.by_loop for p in new), "the loop polled while paused"
    due = poller.next_poll_at
    if not poller.paused and not world.open_polls() and due is not None:
        assert due > world.clock.time() + 1e-6, (
            f"a poll was due at {due} (now {world.clock.time()}) and none began"
        )


async def _play(seed: int) -> None:
    rng = random.Random(seed)
    clock = FakeClock()
    world = World(clock)
    poller = Poller(SECTION, world.poll, EventBus(), POLICY, clock)
    loop = world.loop = asyncio.create_task(poller.run())
    steps: list[str] = []
    try:
        with clock.holding():  # time moves only when the test moves it
            await _turns()
            for _ in range(150):
                begun = len(world.polls)
                steps.append(await _step(world, poller, rng))
                await _turns()
                assert not loop.done(), "the poller's loop ended"
                _check(world, poller, steps[-1], begun)
    except AssertionError as error:
        raise AssertionError(
            f"seed {seed}, step {len(steps)}: {error}; last steps: {' '.join(steps[-12:])}"
        ) from error
    finally:
        loop.cancel()
        for task in world.refreshes:
            task.cancel()
        for poll in world.open_polls():
            poll.end.set_result(PollOutcome(changed=False))
        await asyncio.gather(loop, *world.refreshes, return_exceptions=True)


@pytest.mark.parametrize("seed", seeds(every_run=range(8), soak=range(8, 300)))
async def test_the_poller_keeps_its_promises_whatever_the_order(seed: int) -> None:
    await _play(seed)
