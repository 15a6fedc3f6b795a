"""One poller per section: never overlapping, adaptive interval, pause/resume/refresh-now;
a supervisor keeps every poller's task running until shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Protocol

import msgspec

from zen_tui.events import EventBus
from zen_tui.gateway.clock import sleep_unless
from zen_tui.models import SectionInfo
from zen_tui.sync.backend import PollerChanged
from zen_tui.sync.interval import Budget, IntervalPolicy, constrain, next_interval

log = logging.getLogger("zen_tui.sync.poller")
RESTART_MIN = 1.0  # seconds before a stopped poller is restarted...
RESTART_MAX = 60.0  # ...doubling while it keeps stopping before it completes a poll


class PollClock(Protocol):
    def time(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class PollOutcome(msgspec.Struct, frozen=True):
    changed: bool
    poll_interval: float | None = None  # server-requested minimum (X-Poll-Interval)
    budget: Budget | None = None
    # The answer was partial (part of the query unread): poll again soon, not after backoff.
    soon: bool = False


PollFn = Callable[[SectionInfo, bool], Awaitable[PollOutcome]]


class Poller:
    def __init__(
        self,
        section: SectionInfo,
        poll: PollFn,
        bus: EventBus,
        policy: IntervalPolicy,
        clock: PollClock,
    ) -> None:
        self.section, self._poll, self.bus = section, poll, bus
        self.policy, self.clock = policy, clock
        self.focused = False
        self.paused = False
        self.plain: float | None = None  # unfocused interval, remembered for backoff
        self.wait_for = 0.0
        self.next_poll_at: float | None = None
        self.polls = 0
        self._lock = asyncio.Lock()  # one poll at a time, whoever asks
        self._begun = 0  # polls begun so far: lets queued callers share one follow-up poll
        self._completed = 0  # the number (in _begun's count) of the last poll that ended
        self._wake = asyncio.Event()
        self._last: PollOutcome | None = None
        self._previous_wait = 0.0
        self._partial_streak = 0  # partial answers in a row: each retry waits twice as long

    @property
    def begun(self) -> int:
        """Polls begun so far (see poll_now's `since`)."""
        return self._begun

    async def poll_now(self, interactive: bool = True, *, since: int | None = None) -> None:
        """Poll now, never overlapping a running poll.

        A poll that began before this call may have missed what the caller wants to see (the
        outage that just began, the action just applied): wait for it, then poll again.
        Callers that queue behind the same poll share the next one. `since`: `begun` when
        the caller's request was made, if that was before this call (a task that starts
        later, a refresh after its delay): a poll that began after the request will do, for
        it carried the request out (the engine's polls take what was asked when they begin).
        """
        wanted = (self._begun if since is None else since) + 1  # the first poll to begin after
        async with self._lock:
            # Another caller's poll began after ours and ended: it will do. One whose caller
            # gave up mid-way (cancelled) read nothing, so it does not count.
            if self._completed >= wanted:
                return
            self._begun += 1
            number = self._begun
            try:
                outcome = await self._poll(self.section, interactive)
            except asyncio.CancelledError:
                if _being_cancelled():  # stopped (shutdown, or the caller gave up): let it
                    raise
                # A cancellation nobody asked of this task leaked out of the poll (a read it
                # shared with someone who was cancelled): a failed poll, not the end of polling.
                log.error(
                    "poll of %s was cancelled from elsewhere; polling goes on", self.section.id
                )
                outcome = PollOutcome(changed=False)
            except Exception:  # the engine turns errors into snapshots; this is a last guard
                log.exception("poll of %s failed", self.section.id)
                outcome = PollOutcome(changed=False)
            self.polls += 1
            self._completed = number
            self._last = outcome
            self._reschedule(outcome)
            # The loop may be asleep until a later time set by an earlier poll (an
            # X-Poll-Interval since gone): it looks at the new one.
            self._wake.set()

    async def run(self) -> None:
        """Poll at once, then forever at the adaptive interval (cancel the task to stop)."""
        while True:
            if not self.paused:
                await self.poll_now(interactive=False)
            await self._sleep_until_due()

    def set_focused(self, focused: bool) -> None:
        if focused != self.focused:
            self.focused = focused
            if self._last is not None:
                self._reschedule(self._last, after_poll=False)
            self._wake.set()

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self._announce()
            self._wake.set()

    def _reschedule(self, outcome: PollOutcome, after_poll: bool = True) -> None:
        """After a poll: advance the backoff. On a focus change: only re-apply constraints."""
        now = self.clock.time()
        pi, budget = outcome.poll_interval, outcome.budget
        if after_poll or self.plain is None:
            previous = self.plain
            self.plain, self.wait_for = next_interval(
                self.policy,
                previous=previous,
                changed=outcome.changed,
                focused=self.focused,
                now=now,
                poll_interval=pi,
                budget=budget,
            )
            if after_poll:
                self._partial_streak = self._partial_streak + 1 if outcome.soon else 0
            if outcome.soon:  # what was not read is asked for soon; the backoff stays put
                self.plain = previous if previous is not None else self.plain
                self.wait_for = min(self.wait_for, self._retry_soon(now, pi, budget))
            self.next_poll_at = now + self.wait_for
        else:
            self.wait_for = constrain(
                self.policy,
                self.plain,
                focused=self.focused,
                now=now,
                poll_interval=pi,
                budget=budget,
            )
            # keep the time already waited: due at the last poll + the new wait
            last = (self.next_poll_at or now) - self._previous_wait
            self.next_poll_at = max(now, last + self.wait_for)
        self._previous_wait = self.wait_for
        self._announce()

    def _retry_soon(self, now: float, pi: float | None, budget: Budget | None) -> float:
        """The wait after a partial answer: the policy's minimum, doubling while answers
        stay partial (a search that keeps timing out is not hammered), within the server's
        X-Poll-Interval and budget."""
        # Capped: the wait is the plain one at most (see _reschedule) long before 2 ** 32,
        # and past 2 ** 1023 a float overflows (days of a search that stays incomplete).
        plain = self.policy.minimum * 2 ** min(max(0, self._partial_streak - 1), 32)
        return constrain(
            self.policy, plain, focused=self.focused, now=now, poll_interval=pi, budget=budget
        )

    def _announce(self) -> None:
        self.bus.publish(
            PollerChanged(
                service=self.section.service,
                account=self.section.account,
                section_id=self.section.id,
                paused=self.paused,
                interval=self.wait_for,
                next_poll_at=None if self.paused else self.next_poll_at,
            )
        )

    async def _sleep_until_due(self) -> None:
        while True:
            self._wake.clear()
            if self.paused:
                await self._wake.wait()
                continue
            due = (self.next_poll_at or 0.0) - self.clock.time()
            if due <= 0:
                return
            if not await self._wait(due):
                return  # the timer ran out: poll

    async def _wait(self, seconds: float) -> bool:
        """Sleep `seconds` unless woken first. True = woken (re-check), False = timer ran out."""
        return await sleep_unless(self.clock.sleep, seconds, self._wake)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


OnDown = Callable[[SectionInfo, str], None]


class PollerSupervisor:
    """Runs one task per poller and keeps it running until `stop()`.

    A task that ends any other way (a bug, a stray cancellation) would silently freeze its
    section for the rest of the session: it is logged, `on_down` tells the section why (its
    freshness shows it), and it is restarted after a backoff that doubles while it keeps
    stopping before completing a poll, so a crash loop does not spin.
    """

    def __init__(self, pollers: Iterable[Poller], clock: PollClock, on_down: OnDown) -> None:
        self._pollers = {p.section.id: p for p in pollers}
        self._clock, self._on_down = clock, on_down
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.restarts = 0
        self._pending: set[asyncio.Task[None]] = set()  # restarts waiting out their backoff
        self._crashes: dict[str, int] = {}  # stops in a row without a completed poll
        self._polls_at_start: dict[str, int] = {}
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        for section_id in self._pollers:
            self._launch(section_id)

    async def stop(self) -> None:
        self._stopping = True
        tasks = [*self.tasks.values(), *self._pending]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()

    def _launch(self, section_id: str) -> None:
        poller = self._pollers[section_id]
        self._polls_at_start[section_id] = poller.polls
        task = asyncio.get_running_loop().create_task(poller.run(), name=f"poll {section_id}")
        task.add_done_callback(partial(self._ended, section_id))
        self.tasks[section_id] = task

    def _ended(self, section_id: str, task: asyncio.Task[None]) -> None:
        if self._stopping or self.tasks.get(section_id) is not task:
            return
        poller = self._pollers[section_id]
        if poller.polls > self._polls_at_start[section_id]:
            self._crashes[section_id] = 0  # it did poll: this is not a crash loop
        crashes = self._crashes[section_id] = self._crashes.get(section_id, 0) + 1
        delay = min(RESTART_MAX, RESTART_MIN * 2 ** (crashes - 1))
        error = None if task.cancelled() else task.exception()
        why = "cancelled" if task.cancelled() else type(error).__name__ if error else "ended"
        log.error(
            "poller of %s stopped (%s); restarting in %gs", section_id, why, delay, exc_info=error
        )
        self._on_down(poller.section, f"polling stopped ({why}); restarting in {delay:g}s")
        restart = asyncio.get_running_loop().create_task(self._restart(section_id, delay))
        self._pending.add(restart)
        restart.add_done_callback(self._pending.discard)

    async def _restart(self, section_id: str, delay: float) -> None:
        await self._clock.sleep(delay)
        if not self._stopping:
            self.restarts += 1
            log.info("poller of %s restarted", section_id)
            self._launch(section_id)
