"""A logical call's total time budget: every attempt, backoff and wait, on the injectable clock.

A per-attempt read timeout alone lets one GET against a hanging server take attempts x read
timeout plus backoff (over a minute with the defaults). The budget bounds the whole call; the
retry loop and the rate limiter also ask it before they wait, so a wait that could not end in
time fails at once instead of running the budget down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .clock import Clock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deadline:
    clock: Clock
    budget: float  # seconds the call was given
    at: float  # clock.monotonic() when it runs out

    @classmethod
    def start(cls, clock: Clock, budget: float) -> Deadline:
        return cls(clock, budget, clock.monotonic() + budget)

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock.monotonic())

    def allows(self, wait: float) -> bool:
        """Would there still be time left after waiting `wait` seconds?"""
        return wait < self.remaining()

    async def bound(
        self, fn: Callable[[], Awaitable[T]], expired: Callable[[], BaseException]
    ) -> T:
        """Run `fn`; if the budget runs out first, cancel it and raise `expired()`."""
        work = asyncio.ensure_future(fn())
        timer = asyncio.ensure_future(self.clock.alarm(self.remaining()))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ran_out = timer.done() and not work.done()
            timer.cancel()
            work.cancel()  # no-op once done
            # Wait for both to settle, so the cut-off attempt has let go of its connection.
            await asyncio.gather(timer, work, return_exceptions=True)
        if ran_out:
            raise expired()
        return work.result()  # done first, or in the same turn as the timer: its answer wins
