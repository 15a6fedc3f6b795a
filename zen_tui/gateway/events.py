"""The gateway's typed events: what happens to each request, published on the shared bus
(`zen_tui.events`, which holds `Event` and `EventBus`: imported here for the gateway's own
modules and for older imports of them from this module)."""

from __future__ import annotations

from typing import Literal

from zen_tui.events import Event as Event
from zen_tui.events import EventBus as EventBus
from zen_tui.models import CacheOutcome as CacheOutcome  # the shared records carry it too

BreakerState = Literal["closed", "open", "half-open"]


class RequestDone(Event, frozen=True, kw_only=True):
    """One logical call finished (all its retries included)."""

    method: str
    endpoint: str  # template, e.g. "/repos/{owner}/{repo}/pulls"
    status: int | None  # None when no response came (network error, breaker open, ...)
    latency: float  # seconds, wall time of the whole logical call
    cache: CacheOutcome
    attempts: int
    error: str | None = None  # one-line error text, never a secret


class RetryScheduled(Event, frozen=True, kw_only=True):
    method: str
    endpoint: str
    attempt: int  # the attempt that failed (1-based)
    wait: float  # seconds until the next attempt
    reason: str  # "503", "ReadTimeout", "429 Retry-After", ...


class RetryEnded(Event, frozen=True, kw_only=True):
    """A call that retried is over: answered, failed, or cancelled while it waited."""

    method: str
    endpoint: str
    retries: int  # the RetryScheduled events it published


class BreakerChanged(Event, frozen=True, kw_only=True):
    name: str  # the service, or "service:endpoint" for per-endpoint breakers
    old: BreakerState
    new: BreakerState
    half_open_at: float | None = None  # epoch seconds when open -> half-open is allowed


class QuotaUpdated(Event, frozen=True, kw_only=True):
    scope: str  # "core", "search", "tier3", "default", ...
    tokens: float  # client-side bucket: tokens available now
    capacity: float
    limit: int | None = None  # server-reported
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds
    paused_until: float | None = None  # epoch seconds: a rate limit's pause of the scope


class WaitingForToken(Event, frozen=True, kw_only=True):
    scope: str
    wait: float  # expected seconds in the queue


class CacheEvicted(Event, frozen=True, kw_only=True):
    cache_type: str
    count: int = 1


class ApiDeprecation(Event, frozen=True, kw_only=True):
    """A response carried Deprecation / Sunset headers, or a 410 said an endpoint is gone."""

    endpoint: str
    message: str
