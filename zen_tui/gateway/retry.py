"""Retry with capped exponential backoff and full jitter; only what is safe to re-send."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from .clock import Clock
from .deadline import Deadline
from .errors import DeadlineExceeded, GatewayError, Unavailable
from .settings import RetrySettings

T = TypeVar("T")
FailureKind = Literal["connect", "timeout", "status", "rate_limit"]


@dataclass
class AttemptFailed(Exception):
    """One attempt failed in a way that might be retried; `error` is what the caller sees."""

    error: GatewayError
    kind: FailureKind
    reason: str  # short, for RetryScheduled: "503", "ReadTimeout", "429 Retry-After"
    retry_at: float | None = None  # what the server asked for, epoch seconds

    @property
    def outcome_unknown(self) -> bool:
        # The request may have reached the server and been applied.
        return self.kind in ("timeout", "status")


class RetryPolicy:
    def __init__(self, settings: RetrySettings, rand: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self._rand = rand

    def backoff(self, attempt: int) -> float:
        s = self.settings
        cap = min(s.max_wait, s.initial_wait * s.multiplier ** (attempt - 1))
        return self._rand() * cap if s.jitter else cap

    def may_retry(self, failure: AttemptFailed, idempotent: bool, keyed: bool) -> bool:
        if failure.kind == "connect":
            return True  # nothing was sent
        return idempotent or keyed

    def wait(self, failure: AttemptFailed, attempt: int, now: float) -> float:
        if failure.retry_at is not None:
            return max(0.0, failure.retry_at - now)
        return self.backoff(attempt)


OnRetry = Callable[[int, float, str], None]


async def with_retries(
    attempt_fn: Callable[[int], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    keyed: bool,
    verify: Callable[[], Awaitable[T | None]] | None,
    clock: Clock,
    on_retry: OnRetry,
    deadline: Deadline | None = None,
) -> T:
    attempt = 1
    sent = False  # some attempt may have reached the server
    while True:
        try:
            return await attempt_fn(attempt)
        except AttemptFailed as failed:
            sent = sent or failed.kind != "connect"
            last = attempt >= policy.settings.max_attempts
            if last or not policy.may_retry(failed, idempotent, keyed):
                raise _said(failed.error, sent) from None
            wait = policy.wait(failed, attempt, clock.time())
            if failed.retry_at is not None and wait > policy.settings.max_server_wait:
                raise _said(failed.error, sent) from None  # fail fast; the caller reschedules
            if deadline is not None and not deadline.allows(wait):
                raise _said(out_of_time(failed, attempt, deadline), sent) from None
            if failed.outcome_unknown and not idempotent and verify:
                applied = await verify()
                if applied is not None:
                    return applied
            on_retry(attempt, wait, failed.reason)
            await clock.sleep(wait)
            attempt += 1


def _said(error: GatewayError, sent: bool) -> GatewayError:
    """The error the call ends with, saying whether any attempt may have reached the server
    (a write that never did is known not applied: no check before sending it again)."""
    if isinstance(error, Unavailable) and error.status is None:
        error.nothing_sent = not sent
    return error


def out_of_time(failed: AttemptFailed, attempt: int, deadline: Deadline) -> GatewayError:
    """The retry would start after the call's budget ran out: fail now, with the reason.

    A rate limit stays a RateLimited (its `retry_at` tells the caller when to come back);
    anything else becomes DeadlineExceeded carrying the last attempt's context.
    """
    error = failed.error
    if failed.kind == "rate_limit":
        return error
    return DeadlineExceeded(
        service=error.service,
        account=error.account,
        method=error.method,
        endpoint=error.endpoint,
        status=error.status,
        attempt=attempt,
        request_id=error.request_id,
        retry_at=error.retry_at,
        budget=deadline.budget,
        message=f"{error.summary()} on attempt {attempt}, no time left to retry",
    )
