"""A logical call's total time budget: every attempt, backoff and wait, on the injectable clock.

A per-attempt read timeout alone lets one GET against a hanging server take attempts x read
timeout plus backoff (over a minute with the defaults). The budget bounds the whole call; the
retry loop and the rate limiter also ask it before they wait, so a wait that could not end in
time fails at once instead of running the budget down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec

from .clock import Clock

T = TypeVar("T")


class Deadline(msgspec.Struct, frozen=True):
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
        """Run `fn` in this task; if the budget runs out first, cancel it, raise `expired()`.

        Like `asyncio.timeout`, but on the injectable clock: a watchdog cancels this task,
        and a cancellation that the watchdog caused becomes `expired()`.
        """
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadline.bound() must run inside an asyncio task")
        fired = False

        def fire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        watchdog = self.clock.call_later(self.remaining(), fire)
        try:
            result = await fn()
        except asyncio.CancelledError:
            if fired and task.uncancel() == 0:  # ours alone, not a cancel from outside
                raise expired() from None
            raise
        finally:
            watchdog.cancel()
        if fired:  # fn swallowed our cancellation and answered anyway: its answer stands
            task.uncancel()
        return result
