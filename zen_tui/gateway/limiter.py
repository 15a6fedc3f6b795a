"""Client-side rate limiting per scope: adaptive token buckets plus a sliding window.

A bucket is a leaky bucket on the gateway's Clock (so every wait runs on a fake clock in
tests), re-rated by replacing it: a new `LeakyBucket` per rate, carrying the level over.
In front of it a pause gate (a 429's reset) and a queue ordered by priority, then arrival.

aiolimiter's `AsyncLimiter` is the same leaky bucket, but its public API reads the event
loop's clock and has no way to change its rate, pause, or order waiters; using it meant
writing its private `_level` / `_rate_per_sec`. This module owns those few lines instead.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from enum import IntEnum

import msgspec

from .clock import Clock


class Priority(IntEnum):
    INTERACTIVE = 0
    BACKGROUND = 1


class TokenTimeout(Exception):
    """No token within the deadline; `retry_at` (epoch seconds) is when one is expected."""

    def __init__(self, retry_at: float) -> None:
        super().__init__(f"no rate-limit token before the deadline (next at {retry_at:.0f})")
        self.retry_at = retry_at


class BucketGauge(msgspec.Struct, frozen=True):
    tokens: float  # available now in the client-side bucket
    capacity: float
    limit: int | None = None  # server-reported
    remaining: int | None = None
    reset_at: float | None = None
    # Where the server counts in points (Jira's hourly quota): about what one read costs.
    cost: float | None = None
    paused_until: float | None = None  # epoch seconds: a rate limit's pause, while it lasts


class LeakyBucket:
    """`level` tokens in use, draining at `capacity / period` a second on `clock`."""

    __slots__ = ("_checked", "_clock", "capacity", "level", "period", "rate")

    def __init__(self, capacity: float, period: float, clock: Clock, level: float = 0.0) -> None:
        self.capacity = max(1.0, capacity)
        self.period = max(period, 1e-3)
        # Worked out once: a bucket is replaced, never changed, at a new rate; as a property
        # it was a frame more at each drain, three a request.
        self.rate = self.capacity / self.period
        self._clock = clock
        self.level = min(level, self.capacity)
        self._checked = clock.monotonic()

    def drain(self) -> None:
        now = self._clock.monotonic()
        if self.level:
            self.level = max(self.level - (now - self._checked) * self.rate, 0.0)
        self._checked = now


class AdaptiveLimiter:
    """A leaky bucket whose rate can change and which can be paused until a reset, capped by
    the calls the server's window allows: never more than `configured` calls in any period
    (the server's window may start at any moment), and after a report, until its reset, no
    more than what it allowed (`adapt`). The leaky bucket alone would let a full bucket go
    at once and then refill as much again before the window ends: twice the budget."""

    __slots__ = (
        "_adapted_until",
        "_allowance",
        "_bucket",
        "_clock",
        "_configured",
        "_paused_until",
        "_queue",
        "_seq",
        "_window",
        "cost",
        "in_flight",
        "limit",
        "lost",
        "remaining",
        "reset_at",
    )

    def __init__(self, max_rate: float, time_period: float, clock: Clock) -> None:
        self._clock = clock
        self._configured = (max_rate, time_period)
        self._bucket = LeakyBucket(max_rate, time_period, clock)
        self._adapted_until: float | None = None  # epoch; the header-derived rate holds until
        self._allowance = 0  # calls left until _adapted_until (while adapted)
        # calls of the configured windows: at most its count in any period
        self._window = SlidingWindow(max(1, math.floor(max_rate)), time_period, clock)
        self._paused_until = 0.0  # monotonic
        self._queue: list[tuple[int, int]] = []  # waiters sorted by (priority, arrival)
        self._seq = itertools.count()
        self.in_flight = 0  # calls sent whose answer has not come: the server may not count
        self.lost = 0  # calls sent whose answer never came (cancelled, timed out): until a reset
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.cost: float | None = None

    @property
    def max_rate(self) -> float:
        return self._bucket.capacity

    @property
    def time_period(self) -> float:
        return self._bucket.period

    def _drain(self) -> None:
        self._bucket.drain()
        if self._adapted_until is not None and self._clock.time() >= self._adapted_until:
            # The server's window has reset: its quota is fresh, and later answers may never
            # report a remaining count again (Jira only does on a 429), so the configured
            # bucket applies, empty.
            self._adapted_until = None
            self._bucket = LeakyBucket(*self._configured, self._clock)
            self._window.clear()
            self.lost = 0

    def set_rate(self, max_rate: float, time_period: float) -> None:
        self._drain()
        self._bucket = LeakyBucket(max_rate, time_period, self._clock, self._bucket.level)

    def adapt(self, calls: int, reset_at: float) -> None:
        """Until `reset_at` (epoch), at most `calls` more, less those in flight (the server
        may not have counted them yet); bursts as the bucket allows, the rest refilling
        evenly until the reset. Then the configured rate. A later report of the same window
        lowers what is left, never raises it: each report's bound holds (90 % of 11 is 9,
        and after one call 90 % of 10 is 9 again). A reset already past says nothing of the
        window now running (an answer that came late): it changes nothing."""
        window = reset_at - self._clock.time()
        if window <= 0:
            return
        allowance = max(0, calls - self.in_flight - self.lost)
        same = self._adapted_until is not None and abs(reset_at - self._adapted_until) <= SAME_RESET
        if same:
            allowance = min(allowance, self._allowance)
        self._allowance = allowance
        self._drain()
        # The allowance is the bound; the bucket paces it: a burst of at most the configured
        # bucket's size, then the rest evenly until the reset. Its level carries over from a
        # report of the same window (each answer brings one: a fresh, empty bucket at each
        # would let a burst through per answer and spend the window's allowance early, the
        # polls then stopped until the reset). It counts no call against the budget (the
        # allowance does), so carrying it counts nothing twice.
        burst = max(1.0, min(float(allowance), self._configured[0]))
        level = self._bucket.level if same else 0.0
        self._bucket = LeakyBucket(burst, window * burst / max(allowance, 1), self._clock, level)
        self._adapted_until = reset_at

    def settle(self, *, answered: bool = True) -> None:
        """A call that took a token has its answer, or never went out; or (not `answered`)
        went out and will have none: the server may have counted it, until its reset."""
        self.in_flight = max(0, self.in_flight - 1)
        if not answered:
            self.lost += 1

    def _left(self) -> int:
        """Calls the server's window still allows (call after _drain)."""
        if self._adapted_until is not None:
            return self._allowance
        return self._window.left()

    def _window_wait(self, position: int) -> float:
        """Seconds until the window allows the waiter at `position` (call after _drain)."""
        if self._adapted_until is None:
            return self._window.wait_time(position)
        if position < self._allowance:
            return 0.0
        return self._adapted_until - self._clock.time()

    def _spend(self) -> None:
        self._bucket.level += 1
        self.in_flight += 1
        if self._adapted_until is not None:
            self._allowance -= 1
        else:
            self._window.record()

    def pause_for(self, seconds: float) -> bool:
        """No token for `seconds` (a pause already longer stays); True if it is longer now."""
        until = self._clock.monotonic() + seconds
        if until <= self._paused_until + 1e-6:  # the same pause seen again (the store's copy)
            return False
        self._paused_until = until
        return True

    def paused_until(self) -> float | None:
        """When the pause ends, in epoch seconds (None: not paused)."""
        left = self._paused_until - self._clock.monotonic()
        return self._clock.time() + left if left > 0 else None

    def idle(self) -> bool:
        """As a new bucket would be: nothing spent, in flight, paused, queued or reported."""
        self._drain()
        return (
            not self._queue
            and not self._bucket.level
            and self._window.empty()
            and not self.in_flight
            and not self.lost
            and self._paused_until <= self._clock.monotonic()
            and self._adapted_until is None
            and self.remaining is None
        )

    def tokens(self) -> float:
        """Calls that may go now: what the bucket holds, within what the window allows."""
        self._drain()
        return max(0.0, min(self._bucket.capacity - self._bucket.level, self._left()))

    def gauge(self) -> BucketGauge:
        return BucketGauge(
            self.tokens(),
            self.max_rate,
            self.limit,
            self.remaining,
            self.reset_at,
            self.cost,
            self.paused_until(),
        )

    def wait_time(self, position: int = 0) -> float:
        """Seconds until the waiter at `position` in the queue could take a token."""
        self._drain()
        pause = self._paused_until - self._clock.monotonic()
        bucket = self._bucket
        needed = bucket.level + position + 1 - bucket.capacity
        bucket_wait = needed / bucket.rate if needed > 0 else 0.0
        return max(pause, bucket_wait, self._window_wait(position), 0.0)

    def try_take(self) -> bool:
        """Take a token now if nobody queues and one is ready (the common case)."""
        if self._queue or self.wait_time() > 0:
            return False
        self._spend()
        return True

    async def take(self, priority: Priority, deadline: float) -> float:
        """Wait for a token (priority first, then arrival); returns the seconds waited."""
        if self.try_take():
            return 0.0
        ticket = (int(priority), next(self._seq))
        bisect.insort(self._queue, ticket)
        start = self._clock.monotonic()
        try:
            while True:
                position = self._queue.index(ticket)
                wait = self.wait_time(position)
                if wait <= 0:  # room for everyone ahead of us and for us
                    self._spend()
                    return self._clock.monotonic() - start
                remaining = deadline - (self._clock.monotonic() - start)
                if wait > remaining:
                    raise TokenTimeout(self._clock.time() + wait)
                await self._clock.sleep(wait)
        finally:
            self._queue.remove(ticket)


class SlidingWindow:
    """At most `limit` starts in any `window` seconds (e.g. GitHub's 80 mutations/min)."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque()

    def _expire(self) -> float:
        now = self._clock.monotonic()
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        return now

    def left(self) -> int:
        """Starts the window allows now."""
        self._expire()
        return self.limit - len(self._starts)

    def empty(self) -> bool:
        self._expire()
        return not self._starts

    def clear(self) -> None:
        self._starts.clear()

    def record(self) -> None:
        """A start now (the caller checked wait_time)."""
        self._starts.append(self._clock.monotonic())

    def wait_time(self, position: int = 0) -> float:
        """Seconds until the window allows a start for the waiter at `position` (0: the
        next start; n: after n others queued ahead, which go no sooner than now)."""
        now = self._expire()
        beyond = position + 1 - (self.limit - len(self._starts))
        if beyond <= 0:
            return 0.0
        if beyond > len(self._starts):
            return self.window
        # the `beyond`-th oldest start must leave the window first
        return self._starts[beyond - 1] + self.window - now

    async def take(self, deadline: float) -> float:
        start = self._clock.monotonic()
        while (wait := self.wait_time()) > 0:
            if wait > deadline - (self._clock.monotonic() - start):
                raise TokenTimeout(self._clock.time() + wait)
            await self._clock.sleep(wait)
        self.record()
        return self._clock.monotonic() - start


# Member scopes (`family:member`) kept before idle ones are dropped: Jira's `issue:ZEN-12`
# is one per issue written, which over a long session would grow without end.
MAX_MEMBERS = 256


def member_scope(scope: str) -> str | None:
    """`scope` when it is a member of a family (`issue:ZEN-12`, `burst:POST ...`, a Slack
    method's `tier3:chat.postMessage`): a limit narrower than the account's; else None (the
    account's own budget: Jira's `default`, GitHub's `core`, `search`, `graphql`)."""
    return scope if ":" in scope else None


class ScopedLimiter:
    """One adaptive bucket per scope (per account: each gateway has its own), plus a window."""

    def __init__(
        self,
        buckets: dict[str, tuple[float, float]],
        clock: Clock,
        *,
        safety_factor: float = 0.9,
        mutation_window: tuple[int, float] | None = None,
    ) -> None:
        self._config = dict(buckets)
        self._clock = clock
        self._safety = safety_factor
        self._buckets: dict[str, AdaptiveLimiter] = {}
        for scope in self._config:  # configured scopes show in the gauge before any call
            self.bucket(scope)
        self.window = SlidingWindow(*mutation_window, clock) if mutation_window else None

    def bucket(self, scope: str) -> AdaptiveLimiter:
        """The scope's bucket. A scope `family:member` (Slack's `tier3:reactions.add`) has a
        bucket of its own at the family's configured rate, unless configured itself: Slack
        limits each method separately, at its tier's rate, so one method's 429 pauses only
        that method."""
        if scope not in self._buckets:
            self._forget_idle_members()
            family = scope.split(":", 1)[0]
            rate, period = (
                self._config.get(scope)
                or self._config.get(family)
                or self._config.get("default", (10.0, 1.0))
            )
            self._buckets[scope] = AdaptiveLimiter(rate, period, self._clock)
        return self._buckets[scope]

    def _forget_idle_members(self) -> None:
        """Past MAX_MEMBERS member buckets, drop the idle ones: one made again is the same."""
        members = [s for s in self._buckets if ":" in s and s not in self._config]
        if len(members) >= MAX_MEMBERS:
            for scope in members:
                if self._buckets[scope].idle():
                    del self._buckets[scope]

    def gauges(self) -> dict[str, BucketGauge]:
        return {scope: b.gauge() for scope, b in self._buckets.items()}

    def has(self, scope: str) -> bool:
        """The scope has a bucket already (configured, spent from or reported on)."""
        return scope in self._buckets

    def observe(
        self,
        scope: str,
        limit: int | None,
        remaining: int | None,
        reset_at: float | None,
        *,
        adaptive: bool = True,
        cost: float | None = None,
    ) -> AdaptiveLimiter:
        """Record what the server reported; if adaptive, spend at most safety * remaining
        until the reset, less the calls in flight. `cost`: what one call spends of it, where
        the server counts in points (a token is one call): safety * remaining / cost calls."""
        bucket = self.bucket(scope)
        if _older(remaining, reset_at, bucket):
            return bucket
        bucket.limit = limit if limit is not None else bucket.limit
        bucket.remaining = remaining
        bucket.reset_at = reset_at
        bucket.cost = cost
        if adaptive and remaining is not None and reset_at is not None:
            calls = math.floor(remaining * self._safety / max(cost or 1.0, 1.0) + 1e-9)
            bucket.adapt(calls, reset_at)
        return bucket

    def pause_until(self, scope: str, retry_at: float) -> bool:
        """No token of `scope` before `retry_at` (epoch); True if its pause is longer now."""
        return self.bucket(scope).pause_for(retry_at - self._clock.time())


# Two reports whose resets are this close speak of one window (Jira's reset is now + whole
# seconds, so it wobbles by one).
SAME_RESET = 1.0


def _older(remaining: int | None, reset_at: float | None, bucket: AdaptiveLimiter) -> bool:
    """A report of more remaining than the bucket has heard, for the same window: the answer
    of an earlier call that crossed a later one on the way (within a window the server's
    count only goes down). Taken in, it would hand back calls the server has counted."""
    return (
        remaining is not None
        and reset_at is not None
        and bucket.remaining is not None
        and bucket.reset_at is not None
        and abs(reset_at - bucket.reset_at) <= SAME_RESET
        and remaining > bucket.remaining
    )


class CostMeter:
    """What a read costs of a points quota, learnt from the remaining the server reports
    after each call: its drop since the answer before, in the same window, is what that call
    spent (and whatever else spent from the quota meanwhile: other calls in flight, other
    users of the app on the site, so the figure errs on the dear side). Kept per endpoint,
    smoothed; `per_read` is the dearest endpoint's, so polling is paced by its searches, not
    by the cheap reads of a preview between them."""

    WEIGHT = 0.3  # of a new sample in the running figure
    SAME_WINDOW = 60.0  # seconds two reported resets may differ and still be one window
    MAX_ENDPOINTS = 64

    def __init__(self) -> None:
        self._last: tuple[int, float] | None = None  # (remaining, reset_at) last reported
        self._costs: dict[str, float] = {}

    def observe(self, endpoint: str | None, remaining: int, reset_at: float) -> None:
        """A report after a call to `endpoint` (None: a write, which costs the base alone
        and says nothing of what reads cost)."""
        last, self._last = self._last, (remaining, reset_at)
        if last is None or endpoint is None or abs(reset_at - last[1]) > self.SAME_WINDOW:
            return
        spent = last[0] - remaining
        if spent <= 0:  # answers that crossed each other: the later one counts it all
            return
        old = self._costs.pop(endpoint, None)
        if old is None and len(self._costs) >= self.MAX_ENDPOINTS:
            self._costs.pop(next(iter(self._costs)))
        self._costs[endpoint] = spent if old is None else old + self.WEIGHT * (spent - old)

    def per_read(self) -> float | None:
        return max(self._costs.values(), default=None)
