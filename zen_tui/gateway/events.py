"""The gateway's typed events: what happens to each request, published on the shared bus
(`zen_tui.events`, which holds `Event` and `EventBus`: imported here for the gateway's own
modules and for older imports of them from this module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zen_tui.events import Event as Event
from zen_tui.events import EventBus as EventBus
from zen_tui.models import CacheOutcome as CacheOutcome  # the shared records carry it too

BreakerState = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDone(Event):
    """One logical call finished (all its retries included)."""

    method: str
    endpoint: str  # template, e.g. "/repos/{owner}/{repo}/pulls"
    status: int | None  # None when no response came (network error, breaker open, ...)
    latency: float  # seconds, wall time of the whole logical call
    cache: CacheOutcome
    attempts: int
    error: str | None = None  # one-line error text, never a secret


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryScheduled(Event):
    method: str
    endpoint: str
    attempt: int  # the attempt that failed (1-based)
    wait: float  # seconds until the next attempt
    reason: str  # "503", "ReadTimeout", "429 Retry-After", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerChanged(Event):
    name: str  # the service, or "service:endpoint" for per-endpoint breakers
    old: BreakerState
    new: BreakerState
    half_open_at: float | None = None  # epoch seconds when open -> half-open is allowed


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaUpdated(Event):
    scope: str  # "core", "search", "tier3", "default", ...
    tokens: float  # client-side bucket: tokens available now
    capacity: float
    limit: int | None = None  # server-reported
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingForToken(Event):
    scope: str
    wait: float  # expected seconds in the queue


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEvicted(Event):
    cache_type: str
    count: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiDeprecation(Event):
    """A response carried Deprecation / Sunset headers, or a 410 said an endpoint is gone."""

    endpoint: str
    message: str
