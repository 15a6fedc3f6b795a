"""The running engine's periodic store checks, on one timer.

The outbox's look for entries another process left (`zen-tui act` offline), the watch for a
login another process recorded (`zen-tui auth login`), the health heartbeat (store/saver.py)
and the daily retention prune (sync/retention.py) each ran on a timer of its own. Here they
are chores of one loop: each has its own period, a chore that fails is logged once (again
only after it recovered) and never stops the loop or the other chores, and the blocking part
of a chore (SQLite) runs in one worker thread (`off_loop`), never on the event loop that
draws the dashboard. So this is the one place where the engine's periodic store access
leaves the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from zen_tui.gateway.clock import Clock, sleep_unless
from zen_tui.redaction import redact

log = logging.getLogger("zen_tui.sync.housekeeping")

T = TypeVar("T")
Chore = Callable[["Housekeeping"], Awaitable[object]]


class _Scheduled:
    """One chore and when it is next due (epoch seconds on the loop's clock)."""

    def __init__(
        self, name: str, every: Callable[[], float], chore: Chore, due: float, at_start: bool
    ) -> None:
        self.name = name
        self.every = every  # read at each run: a test (or a setting) may shorten it
        self.chore = chore
        self.due = due
        self.at_start = at_start  # first run at the start, not one period after it
        self.failing = False  # the last run failed: said once, not at every period
        self.running: asyncio.Task[None] | None = None

    def next_due(self, now: float) -> float:
        """The next run keeps the chore's phase; runs missed (a long chore) are skipped."""
        every = max(0.01, self.every())
        due = self.due + every
        if due <= now:
            due += every * ((now - due) // every + 1)
        return due


class Housekeeping:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._chores: list[_Scheduled] = []
        self._task: asyncio.Task[None] | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._changed = asyncio.Event()  # a chore was added: the loop's next due may be sooner

    def add(
        self,
        name: str,
        every: float | Callable[[], float],
        chore: Chore,
        *,
        at_start: bool = False,
    ) -> None:
        """Run `chore` every `every` seconds once started, first `every` seconds after the
        start (or after now, when added to a running loop); with `at_start`, first at the
        start itself (the retention prune: a store left to grow while closed is trimmed at
        once)."""
        period = every if callable(every) else (lambda: every)
        first = 0.0 if at_start else period()
        self._chores.append(_Scheduled(name, period, chore, self.clock.time() + first, at_start))
        self._changed.set()

    def start(self) -> None:
        """Run the chores: each first due one period from now (read now: a test may have
        shortened it since it was added), those added `at_start` begun here and now, so
        a `settled()` right after the start waits for them."""
        if self._task is None:
            now = self.clock.time()
            for scheduled in self._chores:
                scheduled.due = now + scheduled.every()
                if scheduled.at_start:
                    self._begin(scheduled)
            self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def stop(self) -> None:
        """Stop the loop; a store call under way in the worker ends first, so the caller may
        close the store once this returns. Idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
            self._worker = None

    async def settled(self) -> None:
        """Until the chores under way have ended (a test's look at what they wrote)."""
        running = [c.running for c in self._chores if c.running is not None]
        await asyncio.gather(*running, return_exceptions=True)

    async def off_loop(self, fn: Callable[[], T]) -> T:
        """fn() (a store read or write) in the housekeeping worker: one thread, so the
        chores' store calls never overlap each other nor hold up the event loop. The
        outbox view's writes (retry, cancel, clear: SyncEngine._outbox_write) run here too."""
        if self._worker is None:
            self._worker = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="zen-tui-housekeeping"
            )
        with self.clock.holding():
            running = self._worker.submit(fn)
            try:
                return await asyncio.wrap_future(running)
            except asyncio.CancelledError:  # stopping: the call in hand ends before the
                await asyncio.wait([asyncio.wrap_future(running)])  # store closes
                raise

    async def _run(self) -> None:
        try:
            while True:
                now = self.clock.time()
                for scheduled in self._chores:
                    if scheduled.due <= now:
                        self._begin(scheduled)
                        scheduled.due = scheduled.next_due(now)
                await self._wait(min((c.due for c in self._chores), default=None))
        finally:  # stopping: the chores under way stop too, and end before the store closes
            running = [c.running for c in self._chores if c.running is not None]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _begin(self, scheduled: _Scheduled) -> None:
        """Each run in a task of its own: a chore that takes long (a reconnect waiting for a
        locked keyring) holds up no other chore. One still running is not started again."""
        if scheduled.running is not None and not scheduled.running.done():
            return
        scheduled.running = asyncio.create_task(
            self._run_one(scheduled), name=f"housekeeping: {scheduled.name}"
        )

    async def _wait(self, due: float | None) -> None:
        """Until the earliest due time, or until a chore is added."""
        self._changed.clear()
        if due is None:
            await self._changed.wait()
            return
        await sleep_unless(self.clock.sleep, due - self.clock.time(), self._changed)

    async def _run_one(self, scheduled: _Scheduled) -> None:
        """One run of a chore: a failure is logged once (the same chore failing again says
        nothing more until it has worked again), and the other chores run on."""
        try:
            await scheduled.chore(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not scheduled.failing:  # one line, anything shaped like a secret masked
                log.warning(
                    "%s failed (tried again every %.0f s): %s",
                    scheduled.name,
                    scheduled.every(),
                    redact(" ".join(str(exc).split()) or type(exc).__name__),
                )
            scheduled.failing = True
            return
        if scheduled.failing:
            log.info("%s works again", scheduled.name)
        scheduled.failing = False
