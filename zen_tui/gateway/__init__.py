"""The resilient API gateway: cache -> breaker -> retry -> limiter -> auth + httpx."""

from .cache import CachedEntry, PersistentCache
from .clock import Clock, FakeClock, SystemClock
from .errors import (
    ApiError,
    ApiGone,
    AuthExpired,
    BadResponse,
    CircuitOpen,
    DeadlineExceeded,
    GatewayError,
    RateLimited,
    Unavailable,
)
from .gateway import Gateway
from .limiter import BucketGauge, Priority
from .metrics import EndpointStats, MetricsRegistry
from .response import GatewayHealth, GatewayResponse

__all__ = [
    "ApiError",
    "ApiGone",
    "AuthExpired",
    "BadResponse",
    "BucketGauge",
    "CachedEntry",
    "CircuitOpen",
    "Clock",
    "DeadlineExceeded",
    "EndpointStats",
    "FakeClock",
    "Gateway",
    "GatewayError",
    "GatewayHealth",
    "GatewayResponse",
    "MetricsRegistry",
    "PersistentCache",
    "Priority",
    "RateLimited",
    "SystemClock",
    "Unavailable",
]
