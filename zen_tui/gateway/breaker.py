"""Circuit breaker on pybreaker's public API, made safe for asyncio and for a fake clock.

pybreaker has no asyncio support (a decorated `async def` never trips), its open -> half-open
switch is lazy and reads the real wall clock, and it has no half-open concurrency limit. So:
the guarded block runs inside `calling()` around an `await`; pybreaker keeps the only books
(state, counters, and when it opened, through its documented storage extension point, stamped
by the gateway's clock); this class reads them to decide open vs half-open and calls the public
`half_open()`; a counter caps concurrent probes. The gateway runs it per attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pybreaker

from .clock import Clock
from .errors import CircuitOpen, Unavailable
from .events import BreakerState
from .retry import AttemptFailed
from .settings import BreakerSettings

T = TypeVar("T")
OnChange = Callable[[BreakerState, BreakerState, float | None], None]


def _not_server_failure(exc: BaseException) -> bool:
    # Only "no usable answer" trips the breaker; 4xx, rate limits and auth are answers.
    # The breaker guards one attempt, whose retryable failures come wrapped for the retry loop.
    error = exc.error if isinstance(exc, AttemptFailed) else exc
    return not isinstance(error, Unavailable)


class _Listener(pybreaker.CircuitBreakerListener):
    def __init__(self, owner: AsyncBreaker) -> None:
        self._owner = owner

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        old = old_state.name if old_state is not None else "closed"
        self._owner.changed(old, new_state.name)


class _ClockedStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's in-memory books, but "opened at" is the gateway clock's time, not the
    system's: the one record of when the breaker opened, read by pybreaker and by us."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(pybreaker.STATE_CLOSED)
        self._clock = clock
        self._stamp: datetime | None = None

    @property
    def opened_at(self) -> datetime | None:
        return self._stamp

    @opened_at.setter
    def opened_at(self, _system_now: datetime) -> None:
        self._stamp = datetime.fromtimestamp(self._clock.time(), UTC)


class AsyncBreaker:
    def __init__(
        self, name: str, settings: BreakerSettings, clock: Clock, on_change: OnChange
    ) -> None:
        self.name = name
        self._settings = settings
        self._clock = clock
        self._on_change = on_change
        self._books = _ClockedStorage(clock)
        self._probes = 0
        self._turn = 0  # one more at each change of state: which answers are still news
        self._cb = pybreaker.CircuitBreaker(
            fail_max=settings.failure_threshold,
            reset_timeout=settings.timeout,
            success_threshold=settings.success_threshold,
            exclude=[_not_server_failure],
            listeners=[_Listener(self)],
            state_storage=self._books,
            name=name,
            throw_new_error_on_trip=False,  # the tripping call raises its own Unavailable
        )

    @property
    def state(self) -> BreakerState:
        """Readable without a call: "half-open" once the timeout has passed."""
        raw = self._cb.current_state
        if raw == pybreaker.STATE_OPEN and self._timeout_passed():
            return "half-open"
        return _state(raw)

    @property
    def half_open_at(self) -> float | None:
        opened_at = self._books.opened_at
        if self._cb.current_state != pybreaker.STATE_OPEN or opened_at is None:
            return None
        return opened_at.timestamp() + self._settings.timeout

    def _timeout_passed(self) -> bool:
        at = self.half_open_at
        return at is not None and self._clock.time() >= at

    def changed(self, old: str, new: str) -> None:
        # Listeners hear of the change before pybreaker's storage records the new state, but
        # after it has stamped opened_at.
        opened_at = self._books.opened_at
        half_open_at = None
        if new == pybreaker.STATE_OPEN and opened_at is not None:
            half_open_at = opened_at.timestamp() + self._settings.timeout
        if old != new:
            self._turn += 1
            self._on_change(_state(old), _state(new), half_open_at)

    async def call(
        self, fn: Callable[[], Awaitable[T]], open_error: Callable[..., CircuitOpen]
    ) -> T:
        """Run one logical call; only an Unavailable from it counts as a failure."""
        try:
            return await self._call(fn, open_error)
        except pybreaker.CircuitBreakerError:  # pybreaker's own verdict, should it ever differ
            raise open_error(retry_at=self.half_open_at) from None

    async def _call(
        self, fn: Callable[[], Awaitable[T]], open_error: Callable[..., CircuitOpen]
    ) -> T:
        raw = self._cb.current_state
        if raw == pybreaker.STATE_OPEN:
            if not self._timeout_passed():
                raise open_error(retry_at=self.half_open_at)
            self._cb.half_open()
            raw = pybreaker.STATE_HALF_OPEN
        if raw != pybreaker.STATE_HALF_OPEN:
            return await self._counted(fn)
        if self._probes >= self._settings.max_half_open:
            raise open_error(message="breaker half-open, probes busy")
        self._probes += 1
        try:
            return await self._counted(fn)
        finally:
            self._probes -= 1

    async def _counted(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` and give its answer to the books in the state that admitted it.

        pybreaker's `calling()` would judge the answer by the state the call entered, however
        long it took: a call sent while closed that fails after another call tripped the
        breaker opened it again (a new countdown nobody heard of), and a probe that succeeds
        after another probe failed closed an open breaker. So an answer counts only while the
        breaker is still in the state (the same turn of it) that let the call through: later
        it is old news. A cancelled call is no answer at all (pybreaker would count it a
        success: it is no server failure), so it counts for nothing.
        """
        turn = self._turn
        try:
            result = await fn()
        except Exception:  # a cancel is a BaseException: it goes by uncounted
            if turn == self._turn:
                with self._cb.calling():
                    raise
            raise
        if turn == self._turn and not self._nothing_to_count():
            with self._cb.calling():
                pass
        return result

    def _nothing_to_count(self) -> bool:
        """A success while closed with no failure counted changes none of pybreaker's books:
        it would reset a failure count of 0 (its closed state and our listener do nothing
        else on a success). Skipping `calling()` there (a generator-based context manager,
        its lock, ~20 calls) takes it off the path of every request that goes well."""
        return self._cb.current_state == pybreaker.STATE_CLOSED and not self._books.counter


def _state(name: str) -> BreakerState:
    """pybreaker's state name (a plain str in its API) as the typed one the events carry."""
    if name == pybreaker.STATE_OPEN:
        return "open"
    return "half-open" if name == pybreaker.STATE_HALF_OPEN else "closed"
