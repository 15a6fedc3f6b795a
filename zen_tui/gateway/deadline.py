"""A logical call's total time budget: every attempt, backoff and wait, on the injectable clock.

A per-attempt read timeout alone lets one GET against a hanging server take attempts x read
timeout plus backoff (over a minute with the defaults). The budget bounds the whole call; the
retry loop and the rate limiter also ask it before they wait, so a wait that could not end in
time fails at once instead of running the budget down.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

import msgspec

from .clock import Cancellable, Clock

T = TypeVar("T")


class Watch:
    """One timer for many bounds: the running ones of one clock, each cancelled at its end.

    A timer per attempt (asyncio's TimerHandle, pushed on the loop's heap and cancelled again
    at nearly every answer, the heap then cleaned) was a tenth of the gateway's own cost per
    request (benchmarks/gateway_overhead.py). Here a bound that starts is written down, and
    the one timer is moved only when that bound ends before every other: with one budget for
    all calls, a later call ends later, so calls one after another never move it. When it
    rings, the bounds due by then are fired, and it is set again for the first of the rest.
    A bound that ended is no longer written down: it is never fired, however late the timer
    rings after it came due (as a cancelled timer of its own would not)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._bounds: dict[int, tuple[float, Callable[[], None]]] = {}  # id -> (at, fire)
        self._ids = itertools.count()
        self._timer: Cancellable | None = None
        self._timer_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the timer is set on

    def add(self, at: float, fire: Callable[[], None]) -> int:
        """Run `fire` once the clock's monotonic time reaches `at`, unless removed first."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a gateway used on another loop: the old timer is gone
            self._loop, self._timer, self._timer_at = loop, None, math.inf
            self._bounds.clear()
        key = next(self._ids)
        self._bounds[key] = (at, fire)
        if at < self._timer_at:
            self._set(at)
        return key

    def remove(self, key: int) -> None:
        self._bounds.pop(key, None)  # the timer stays: it rings, finds nothing due, moves on

    def _set(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = self._clock.call_later(at - self._clock.monotonic(), partial(self._ring, at))

    def _ring(self, rang_at: float) -> None:
        if rang_at != self._timer_at:  # a timer replaced since (one left on an old loop)
            return
        self._timer, self._timer_at = None, math.inf
        # Due: what ends by the time this timer was set for (not by monotonic() now, which
        # a fake clock's rounding may put a hair before it: a bound would then never fire).
        due = [key for key, (at, _) in self._bounds.items() if at <= rang_at]
        for key in due:
            self._bounds.pop(key)[1]()
        if self._bounds:
            self._set(min(at for at, _ in self._bounds.values()))


class Deadline(msgspec.Struct, frozen=True):
    clock: Clock
    budget: float  # seconds the call was given
    at: float  # clock.monotonic() when it runs out
    watch: Watch | None = None  # the timer shared with other calls (None: one of its own)

    @classmethod
    def start(cls, clock: Clock, budget: float, watch: Watch | None = None) -> Deadline:
        return cls(clock, budget, clock.monotonic() + budget, watch)

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

        stop = self._watchdog(fire)
        try:
            result = await fn()
        except asyncio.CancelledError:
            if fired and task.uncancel() == 0:  # ours alone, not a cancel from outside
                raise expired() from None
            raise
        finally:
            stop()
        if fired:  # fn swallowed our cancellation and answered anyway: its answer stands
            task.uncancel()
        return result

    def _watchdog(self, fire: Callable[[], None]) -> Callable[[], object]:
        """Arm `fire` for the end of the budget; returns what disarms it."""
        if self.watch is None:
            return self.clock.call_later(self.remaining(), fire).cancel
        return partial(self.watch.remove, self.watch.add(self.at, fire))
