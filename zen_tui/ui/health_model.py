"""The UI's picture of gateway health, built only from bus events (and the start-up snapshot).

Pure Python, no Textual: the widgets render a `HealthModel`, they never ask the gateway.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from zen_tui.events import Event
from zen_tui.gateway.events import (
    BreakerChanged,
    QuotaUpdated,
    RequestDone,
    RetryEnded,
    RetryScheduled,
)
from zen_tui.models import AccountHealth, ScopePause
from zen_tui.sync.backend import AccountConnection, OutboxCounted, PausesStored

SPARK_POINTS = 60  # latency samples / rate buckets kept per service
RATE_BUCKET = 5.0  # seconds per request-rate bucket


class ScopeQuota(msgspec.Struct):
    """One rate-limit bucket of a service as last reported: the client-side tokens and, when
    the server said so, its remaining quota and reset."""

    tokens: float
    capacity: float
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    paused_until: float | None = None  # a rate limit's pause (this run's, or a stored one)

    def paused_for(self, now: float) -> float:
        """Seconds the scope stays paused (0: not paused)."""
        return max(0.0, (self.paused_until or now) - now)


SCOPE_ORDER = ("core", "default", "search", "graphql")  # a fixed order: cards never flip


def scope_rank(scope: str) -> tuple[int, str]:
    return (SCOPE_ORDER.index(scope) if scope in SCOPE_ORDER else len(SCOPE_ORDER), scope)


class ServiceStatus(msgspec.Struct):
    """What one service's card shows."""

    service: str
    breaker: str = "closed"
    half_open_at: float | None = None
    tokens: float | None = None
    capacity: float | None = None
    remaining: int | None = None
    reset_at: float | None = None
    retries_in_flight: int = 0
    retries_total: int = 0
    last_wait: float | None = None
    cache_hits: int = 0
    cache_misses: int = 0
    revalidations: int = 0
    outbox_pending: int = 0  # the store's figures, summed over the service's accounts
    outbox_failed: int = 0
    latencies: deque[float] = msgspec.field(default_factory=lambda: deque(maxlen=SPARK_POINTS))
    rate: dict[int, int] = msgspec.field(default_factory=dict)  # bucket index -> requests
    quotas: dict[str, ScopeQuota] = msgspec.field(default_factory=dict)  # scope -> last report
    # account -> where its build stands, for this service's accounts not connected yet
    unconnected: dict[str, AccountConnection] = msgspec.field(default_factory=dict)

    def connection_text(self) -> str:
        """`connecting to work…` / `work: not connected (why)`, a failed account first; ""
        once every account of the service is connected."""
        waiting = sorted(self.unconnected.values(), key=lambda c: (c.state != "failed", c.account))
        return waiting[0].describe() if waiting else ""

    def pause(self, now: float) -> tuple[str, float] | None:
        """The scope paused longest now and its seconds left (None: nothing is paused)."""
        paused = [(q.paused_for(now), name) for name, q in self.quotas.items()]
        left, name = max(paused, default=(0.0, ""))
        return (name, left) if left > 0 else None

    def scopes(self) -> list[tuple[str, ScopeQuota]]:
        """The reported buckets in a fixed order (GitHub: core, then search, then graphql)."""
        return sorted(self.quotas.items(), key=lambda kv: scope_rank(kv[0]))

    @property
    def hit_ratio(self) -> float | None:
        total = self.cache_hits + self.revalidations + self.cache_misses
        return None if total == 0 else (self.cache_hits + self.revalidations) / total

    def rate_series(self, now: float) -> list[float]:
        """Requests per second over the last SPARK_POINTS buckets, oldest first."""
        last = int(now // RATE_BUCKET)
        return [self.rate.get(b, 0) / RATE_BUCKET for b in range(last - SPARK_POINTS + 1, last + 1)]


class EndpointStats(msgspec.Struct):
    service: str
    method: str
    endpoint: str
    count: int = 0  # requests that went to the server (a 304 revalidation counts)
    hits: int = 0  # answers served from the cache without a request
    errors: int = 0
    last_status: int | None = None
    latencies: deque[float] = msgspec.field(default_factory=lambda: deque(maxlen=200))

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class BreakerTransition(msgspec.Struct, frozen=True):
    at: float
    service: str
    name: str
    old: str
    new: str
    half_open_at: float | None = None  # when an opened breaker lets a probe through


class ErrorRecord(msgspec.Struct, frozen=True):
    at: float
    service: str
    account: str
    method: str
    endpoint: str
    status: int | None
    attempts: int
    error: str
    repeats: int = 1  # how many times this same failure happened (the last one's `at`)
    # Served from the stale cache (its `status` is the copy's): not a 2xx that refused in
    # its body (Slack's HTTP 200 ok:false), nor a limit said so (Slack's 200 `ratelimited`).
    stale: bool = False

    def same_as(self, other: ErrorRecord) -> bool:
        return (
            self.service,
            self.account,
            self.method,
            self.endpoint,
            self.status,
            self.error,
        ) == (
            other.service,
            other.account,
            other.method,
            other.endpoint,
            other.status,
            other.error,
        )


class HealthModel:
    """Aggregates gateway and outbox events; `apply` returns True when something changed."""

    def __init__(self, services: tuple[str, ...] = ("github", "jira", "slack")) -> None:
        self.services: dict[str, ServiceStatus] = {s: ServiceStatus(s) for s in services}
        self.endpoints: dict[tuple[str, str, str], EndpointStats] = {}
        self.breaker_log: deque[BreakerTransition] = deque(maxlen=50)
        self.errors: deque[ErrorRecord] = deque(maxlen=50)
        self._outbox: dict[str, OutboxCounted] = {}  # account -> its outbox, as last said

    def status(self, service: str) -> ServiceStatus:
        if service not in self.services:
            self.services[service] = ServiceStatus(service)
        return self.services[service]

    def seed(self, health: list[AccountHealth]) -> None:
        """Start from the backend's current figures (one per account; summed per service)."""
        for h in health:
            s = self.status(h.service)
            if h.breaker != "closed" or s.breaker == "closed":
                s.breaker, s.half_open_at = h.breaker, h.half_open_at
            s.tokens, s.capacity = h.tokens, h.capacity
            s.remaining, s.reset_at = h.remaining, h.reset_at
            s.retries_total += h.retries
            s.cache_hits += h.cache_hits
            s.cache_misses += h.cache_misses
            s.revalidations += h.revalidations
            self._outbox_counted(
                OutboxCounted(
                    service=h.service,
                    account=h.account,
                    pending=h.outbox_pending,
                    failed=h.outbox_failed,
                )
            )
            self._seed_pauses(s, h.paused)
            self._connection(
                AccountConnection(
                    service=h.service,
                    account=h.account,
                    state=h.connection,
                    reason=h.connection_error,
                )
            )

    @staticmethod
    def _seed_pauses(s: ServiceStatus, paused: dict[str, ScopePause]) -> None:
        """The account's rate-limit pauses, a stored one too before its gateway is built:
        shown from the first paint (the gateway tells of them only once built), and as
        another process stores one (PausesStored). Of two accounts of a service, the longer
        pause of a scope is shown."""
        for scope, pause in paused.items():
            known = s.quotas.get(scope)
            if known is None or (known.paused_until or 0.0) < pause.until:
                s.quotas[scope] = ScopeQuota(pause.tokens, pause.capacity, paused_until=pause.until)

    def apply(self, event: Event) -> bool:
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return False
        handler(self, event)
        return True

    def _request_done(self, e: RequestDone) -> None:
        s = self.status(e.service)
        s.latencies.append(e.latency)
        bucket = int(e.at // RATE_BUCKET)
        s.rate[bucket] = s.rate.get(bucket, 0) + 1
        if len(s.rate) > SPARK_POINTS * 2:
            for old in sorted(s.rate)[: len(s.rate) - SPARK_POINTS]:
                del s.rate[old]
        if e.cache == "hit":
            s.cache_hits += 1
        elif e.cache == "revalidated":
            s.revalidations += 1
        elif e.cache in ("miss", "stale"):
            s.cache_misses += 1
        key = (e.service, e.method, e.endpoint)
        ep = self.endpoints.get(key) or EndpointStats(e.service, e.method, e.endpoint)
        self.endpoints[key] = ep
        if e.cache == "hit":  # no request: counted apart, and kept out of the latencies
            ep.hits += 1
        else:
            ep.count += 1
            ep.latencies.append(e.latency)
        ep.last_status = e.status
        failed = e.error is not None or e.status is None or e.status >= 400
        if failed:
            ep.errors += 1
            self._record_error(
                ErrorRecord(
                    e.at,
                    e.service,
                    e.account,
                    e.method,
                    e.endpoint,
                    e.status,
                    e.attempts,
                    e.error or f"HTTP {e.status}",
                    stale=e.cache == "stale",
                )
            )

    def _record_error(self, record: ErrorRecord) -> None:
        """The same failure again (same call, status and message) is counted on its line,
        not listed again: an outage made three endpoints fill the whole list."""
        for n, old in enumerate(self.errors):
            if old.same_as(record):
                del self.errors[n]
                record = msgspec.structs.replace(record, repeats=old.repeats + 1)
                break
        self.errors.append(record)

    def _retry(self, e: RetryScheduled) -> None:
        s = self.status(e.service)
        s.retries_in_flight += 1
        s.retries_total += 1
        s.last_wait = e.wait

    def _retry_ended(self, e: RetryEnded) -> None:
        # Not from RequestDone: a call cancelled while it waited to retry publishes none.
        s = self.status(e.service)
        s.retries_in_flight = max(0, s.retries_in_flight - e.retries)

    def _breaker(self, e: BreakerChanged) -> None:
        if e.name == e.service:  # per-endpoint breakers go to the log only
            s = self.status(e.service)
            s.breaker, s.half_open_at = e.new, e.half_open_at
        self.breaker_log.append(
            BreakerTransition(e.at, e.service, e.name, e.old, e.new, e.half_open_at)
        )

    def _quota(self, e: QuotaUpdated) -> None:
        """Each scope keeps its own figures; the headline (tokens, remaining) is the first
        scope in SCOPE_ORDER, so GitHub's card no longer flips between core and search.
        An update without server figures (the quota was restored after its reset) clears
        them."""
        s = self.status(e.service)
        s.quotas[e.scope] = ScopeQuota(
            e.tokens, e.capacity, e.limit, e.remaining, e.reset_at, e.paused_until
        )
        head = s.scopes()[0][1]
        s.tokens, s.capacity = head.tokens, head.capacity
        s.remaining, s.reset_at = head.remaining, head.reset_at

    def _connection(self, e: AccountConnection) -> None:
        s = self.status(e.service)
        if e.state == "connected":
            s.unconnected.pop(e.account, None)
        else:
            s.unconnected[e.account] = e

    def _pauses_stored(self, e: PausesStored) -> None:
        self._seed_pauses(self.status(e.service), e.paused)

    def _outbox_counted(self, e: OutboxCounted) -> None:
        """An account's outbox as the store holds it (the engine reads it after each change,
        another process's too): never counted here from ActionUpdated events, which miss
        what another process did and what was queued before the start-up figures."""
        old = self._outbox.get(e.account)
        self._outbox[e.account] = e
        for service in {e.service, old.service if old is not None else e.service}:
            s = self.status(service)
            mine = [c for c in self._outbox.values() if c.service == service]
            s.outbox_pending = sum(c.pending for c in mine)
            s.outbox_failed = sum(c.failed for c in mine)


_HANDLERS: dict[type[Event], Callable[[HealthModel, Any], None]] = {
    RequestDone: HealthModel._request_done,
    RetryScheduled: HealthModel._retry,
    RetryEnded: HealthModel._retry_ended,
    BreakerChanged: HealthModel._breaker,
    QuotaUpdated: HealthModel._quota,
    OutboxCounted: HealthModel._outbox_counted,
    PausesStored: HealthModel._pauses_stored,
    AccountConnection: HealthModel._connection,
}
