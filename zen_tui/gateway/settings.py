"""Typed gateway settings with the design's defaults per service.

`zen_tui.config` builds these from TOML; tests build them directly. No I/O here.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec.structs import replace

EvictionPolicy = Literal["lru", "lfu", "fifo"]


class BreakerSettings(msgspec.Struct, frozen=True):
    failure_threshold: int = 5
    success_threshold: int = 2
    timeout: float = 30.0  # seconds open before a half-open probe is allowed
    max_half_open: int = 3
    per_endpoint: bool = False  # one breaker per endpoint template instead of per service


class RetrySettings(msgspec.Struct, frozen=True):
    initial_wait: float = 1.0
    multiplier: float = 2.0
    max_wait: float = 8.0
    max_attempts: int = 4
    jitter: bool = True  # full jitter: wait = uniform(0, capped exponential)
    # A server-requested wait (Retry-After, reset headers) longer than this fails fast
    # with RateLimited instead of sleeping inside one call.
    max_server_wait: float = 60.0


class CacheTypeSettings(msgspec.Struct, frozen=True):
    ttl: float
    maxsize: int = 1000
    policy: EvictionPolicy = "lru"


# The cache type of the lists behind a section (a poll's pages): the engine names its TTL
# when a poll was answered from it.
LISTING = "listing"


def _default_cache_types() -> dict[str, CacheTypeSettings]:
    return {
        "user_info": CacheTypeSettings(ttl=3600.0, maxsize=200, policy="lru"),
        "project_list": CacheTypeSettings(ttl=300.0, maxsize=200, policy="lfu"),
        "issue_details": CacheTypeSettings(ttl=30.0, maxsize=2000, policy="lru"),
        # Lists behind a section (search results, history): revalidated with ETags.
        LISTING: CacheTypeSettings(ttl=30.0, maxsize=500, policy="lru"),
    }


class CacheSettings(msgspec.Struct, frozen=True):
    enabled: bool = True
    types: dict[str, CacheTypeSettings] = msgspec.field(default_factory=_default_cache_types)


class RateLimitSettings(msgspec.Struct, frozen=True):
    """Client-side token buckets; the adaptive part follows what the server reports."""

    # scope -> (requests, per seconds). "default" applies to every scope not listed.
    buckets: dict[str, tuple[float, float]] = msgspec.field(default_factory=dict)
    queue_deadline: float = 30.0  # a request waits at most this long for a token
    adaptive: bool = True
    safety_factor: float = 0.9  # plan to spend at most 90% of the reported remaining


class TimeoutSettings(msgspec.Struct, frozen=True):
    connect: float = 5.0
    read: float = 15.0
    write: float = 15.0
    pool: float = 5.0


class DeadlineSettings(msgspec.Struct, frozen=True):
    """Total time one logical call may take: every attempt, backoff and rate-limit wait.

    Someone is waiting for an interactive call (a preview, an action, `R`), so it gives up
    soon and the screen falls back to what it has. A background poll has nobody waiting,
    but it holds its section's poll lock: 60 s lets three attempts against a server that
    hangs until the 15 s read timeout (and their backoff) play out, and ends a hung poll by
    the time the next one is due at the default 60 s interval.
    """

    interactive: float = 10.0
    background: float = 60.0


class GatewaySettings(msgspec.Struct, frozen=True):
    breaker: BreakerSettings = msgspec.field(default_factory=BreakerSettings)
    retry: RetrySettings = msgspec.field(default_factory=RetrySettings)
    cache: CacheSettings = msgspec.field(default_factory=CacheSettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    timeouts: TimeoutSettings = msgspec.field(default_factory=TimeoutSettings)
    deadline: DeadlineSettings = msgspec.field(default_factory=DeadlineSettings)
    user_agent: str = "zen-tui/0.1 (+https://github.com/zen-tui/zen-tui)"
    # Largest answer body read, decoded; past it the read stops and the call fails
    # (ResponseTooLarge). A page of 100 items is well under 1 MB on every service.
    max_response_bytes: int = 8_000_000


# Defaults per service (failures to open / successes to close / open seconds / half-open
# probes). Slack: 5 / 1 / 30 s / 1 -- its Web API fails per
# method, so one success is enough evidence, and one probe at a time spares the tier budget.
DEFAULT_BREAKERS: dict[str, BreakerSettings] = {
    "github": BreakerSettings(
        failure_threshold=5, success_threshold=2, timeout=30.0, max_half_open=3
    ),
    "jira": BreakerSettings(
        failure_threshold=3, success_threshold=1, timeout=60.0, max_half_open=1
    ),
    "slack": BreakerSettings(
        failure_threshold=5, success_threshold=1, timeout=30.0, max_half_open=1
    ),
}

# Client-side buckets per service and scope: (requests, per seconds). They start at the
# documented budgets and then follow the server's headers.
DEFAULT_BUCKETS: dict[str, dict[str, tuple[float, float]]] = {
    # core 5,000/h; search 30/min; graphql 5,000 points/h (a query costs >= 1 point).
    "github": {
        "default": (5000.0, 3600.0),
        "core": (5000.0, 3600.0),
        "search": (30.0, 60.0),
        "graphql": (5000.0, 3600.0),
    },
    # Jira publishes no fixed number; stay modest, the 429s and headers steer the rest.
    "jira": {"default": (10.0, 1.0)},
    # Slack tiers are per method per minute.
    "slack": {
        "default": (50.0, 60.0),
        "tier1": (1.0, 60.0),
        "tier2": (20.0, 60.0),
        "tier3": (50.0, 60.0),
        "tier4": (100.0, 60.0),
    },
}


def default_settings(service: str) -> GatewaySettings:
    """The design's defaults for one service ("github", "jira" or "slack")."""
    base = GatewaySettings()
    return replace(
        base,
        breaker=DEFAULT_BREAKERS.get(service, BreakerSettings()),
        rate_limit=replace(base.rate_limit, buckets=dict(DEFAULT_BUCKETS.get(service, {}))),
    )
