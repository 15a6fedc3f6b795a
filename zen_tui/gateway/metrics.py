"""Aggregates gateway events per service and endpoint: counts, errors, latency, cache, retries.

Cheap by design: counters plus a bounded window of recent latencies per endpoint;
percentiles are computed only when someone asks.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import msgspec

from .events import Event, EventBus, RequestDone, RetryScheduled

_WINDOW = 1024  # latencies kept per endpoint


class EndpointStats(msgspec.Struct):
    count: int = 0
    errors: int = 0
    retries: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    revalidations: int = 0
    stale_served: int = 0
    latencies: deque[float] = msgspec.field(default_factory=lambda: deque(maxlen=_WINDOW))

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    @property
    def cache_hit_ratio(self) -> float:
        looked_up = self.cache_hits + self.cache_misses + self.revalidations
        return (self.cache_hits + self.revalidations) / looked_up if looked_up else 0.0

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile of recent latencies, in seconds."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        # ceil, not round(x + 0.5): round() goes to even, so p25 of 4 values read the 2nd.
        rank = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered) / 100) - 1))
        return ordered[rank]


_CACHE_FIELDS = {
    "hit": "cache_hits",
    "miss": "cache_misses",
    "revalidated": "revalidations",
    "stale": "stale_served",
}


class MetricsRegistry:
    """Subscribe to a bus; `account` restricts it to one gateway's events when set."""

    def __init__(self, bus: EventBus, account: str | None = None) -> None:
        self._account = account
        self.endpoints: dict[tuple[str, str], EndpointStats] = {}
        self._unsubscribe: Callable[[], None] = bus.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def stats(self, service: str, endpoint: str) -> EndpointStats:
        key = (service, endpoint)
        stats = self.endpoints.get(key)
        if stats is None:
            stats = self.endpoints[key] = EndpointStats()
        return stats

    def totals(self) -> EndpointStats:
        total = EndpointStats()
        for s in self.endpoints.values():
            for name in ("count", "errors", "retries", *_CACHE_FIELDS.values()):
                setattr(total, name, getattr(total, name) + getattr(s, name))
        return total

    def _on_event(self, event: Event) -> None:
        if self._account is not None and event.account != self._account:
            return
        if isinstance(event, RequestDone):
            stats = self.stats(event.service, event.endpoint)
            stats.count += 1
            stats.errors += event.error is not None
            stats.latencies.append(event.latency)
            name = _CACHE_FIELDS.get(event.cache)
            if name:
                setattr(stats, name, getattr(stats, name) + 1)
        elif isinstance(event, RetryScheduled):
            self.stats(event.service, event.endpoint).retries += 1
