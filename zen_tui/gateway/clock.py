"""Time as an injectable dependency, so every wait in the gateway is testable without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall clock, epoch seconds (server reset headers are wall-clock)."""
        ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Cancellable:
        """Run `callback` once `seconds` have passed: a watchdog, not a wait anyone chose."""
        ...

    def holding(self) -> contextlib.AbstractContextManager[None]:
        """Around real work off the event loop (a store call in a thread): real time goes
        on; virtual time stands still, so a test's clock never runs ahead of that work."""
        ...


async def sleep_unless(
    sleep: Callable[[float], Awaitable[None]], seconds: float, event: asyncio.Event
) -> bool:
    """`sleep(seconds)` (a Clock's) unless `event` is set first: True when it was (woken).

    Both waits are cancelled and waited for before it returns, with asyncio.wait, not
    `suppress(CancelledError): await task`: that also swallowed a cancel aimed at the caller
    when it came while a wait wound down, and a stop() then waited forever for a loop that
    went on."""
    sleeper = asyncio.ensure_future(sleep(seconds))
    waker = asyncio.ensure_future(event.wait())
    try:
        done, _ = await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waker.cancel()
        await asyncio.wait({sleeper, waker})
    return waker in done


class Cancellable(Protocol):
    def cancel(self) -> object: ...


class SystemClock:
    # The C functions themselves, not methods calling them: a request reads the clock about
    # twenty times (deadline, limiter, events), each a Python frame more when wrapped.
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)  # after monotonic: from here on `time` names this one

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0.0, seconds), callback)

    def holding(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class FakeClock:
    """Virtual time: `sleep` returns as soon as every other ready task has had its turn.

    Sleepers wait in a heap; once the loop has spun a few idle turns, time jumps to the
    earliest wake-up, like a discrete-event simulator, so concurrent waits keep their order.
    `sleeps` records every requested wait so tests can assert backoff values.

    A `call_later` (a deadline's watchdog) waits in the same heap but never makes time jump
    by itself: it fires when other sleepers or `advance` carry time past it. So a test whose
    "server" answers in real time (a socket, an event) is not cut off by a virtual deadline,
    while a server that hangs on this clock is.
    """

    _SPIN = 20  # loop turns granted to other tasks before time jumps

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._start = start
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None], bool]] = []
        self._seq = itertools.count()
        self._ticking = False
        self._held = 0  # work under way off the loop (`holding`): time does not jump

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        self._wake_due()

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        await self._wait(seconds, alarm=False)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Cancellable:
        loop = asyncio.get_running_loop()
        if seconds <= 0:  # already due: no other wait needs to move time for it
            return loop.call_soon(callback)
        return _Watchdog(self._enqueue(loop, seconds, alarm=True), callback)

    async def _wait(self, seconds: float, *, alarm: bool) -> None:
        await self._enqueue(asyncio.get_running_loop(), seconds, alarm=alarm)

    def _enqueue(
        self, loop: asyncio.AbstractEventLoop, seconds: float, *, alarm: bool
    ) -> asyncio.Future[None]:
        future: asyncio.Future[None] = loop.create_future()
        due = self._now + seconds
        if seconds > 0 and due <= self._now:
            # Shorter than one float step at this epoch (2.4e-7 s near 2026): without moving
            # time at all, a limiter asking for that last sliver would ask again forever.
            due = math.nextafter(self._now, math.inf)
        heapq.heappush(self._sleepers, (due, next(self._seq), future, alarm))
        if not self._ticking and not alarm:
            self._ticking = True
            loop.call_soon(self._tick, loop, self._SPIN)
        return future

    def _tick(self, loop: asyncio.AbstractEventLoop, spins: int) -> None:
        if spins > 0:
            loop.call_soon(self._tick, loop, spins - 1)
            return
        if self._held:  # a thread's work is under way: look again in a (real) moment
            loop.call_later(0.001, self._tick, loop, self._SPIN)
            return
        while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
            heapq.heappop(self._sleepers)
        if self._sleeping():
            self._now = max(self._now, self._sleepers[0][0])
            self._wake_due()
        # Only alarms left: wait for a sleep() or advance() to move time again.
        self._ticking = self._sleeping()
        if self._ticking:
            loop.call_soon(self._tick, loop, self._SPIN)

    def _sleeping(self) -> bool:
        return any(not alarm and not f.done() for _, _, f, alarm in self._sleepers)

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            future = heapq.heappop(self._sleepers)[2]
            if not future.done():
                future.set_result(None)


class _Watchdog:
    """A FakeClock timer: once cancelled its callback never runs, even if it was already due."""

    def __init__(self, future: asyncio.Future[None], callback: Callable[[], object]) -> None:
        self._future = future
        self._callback: Callable[[], object] | None = callback
        future.add_done_callback(self._due)

    def _due(self, future: asyncio.Future[None]) -> None:
        if self._callback is not None and not future.cancelled():
            self._callback()

    def cancel(self) -> None:
        self._callback = None
        self._future.cancel()
