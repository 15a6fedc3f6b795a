"""Typed events and the in-process bus every layer reports on.

The gateway publishes what happens to each request; the sync layer publishes section and
outbox updates. The UI, the `health` command and the metrics registry all subscribe to the
same bus, so no widget ever polls the gateway. Subscribers are called synchronously in the
publisher's thread: keep them short (the UI hands events to `App.call_from_thread` or
`post_message`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

CacheOutcome = Literal["bypass", "miss", "hit", "revalidated", "stale"]
BreakerState = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    service: str
    account: str
    at: float = field(default_factory=time.time)


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


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out. Thread-safe subscribe/publish; a failing subscriber is isolated."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(event)
            except Exception:  # a broken observer must never break a request
                import logging

                logging.getLogger("zen_tui.events").exception("event subscriber failed")
