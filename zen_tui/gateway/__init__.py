"""The resilient API gateway: cache -> retry -> breaker -> deadline -> limiter -> auth + httpx.

Names are loaded on first use (PEP 562), so importing a light part such as
`zen_tui.gateway.settings` (the config does) does not pull in httpx and the whole request
stack: a headless `zen-tui list` never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zen_tui.lazy_names import lazy_names

if TYPE_CHECKING:  # the names as type checkers see them; _HOMES is the runtime map
    from .cache import CachedEntry as CachedEntry
    from .cache import PersistentCache as PersistentCache
    from .clock import Clock as Clock
    from .clock import FakeClock as FakeClock
    from .clock import SystemClock as SystemClock
    from .errors import ApiError as ApiError
    from .errors import ApiGone as ApiGone
    from .errors import AuthExpired as AuthExpired
    from .errors import BadResponse as BadResponse
    from .errors import CircuitOpen as CircuitOpen
    from .errors import DeadlineExceeded as DeadlineExceeded
    from .errors import GatewayError as GatewayError
    from .errors import LoginReplaced as LoginReplaced
    from .errors import RateLimited as RateLimited
    from .errors import Unavailable as Unavailable
    from .gateway import Gateway as Gateway
    from .limiter import BucketGauge as BucketGauge
    from .limiter import Priority as Priority
    from .metrics import EndpointStats as EndpointStats
    from .metrics import MetricsRegistry as MetricsRegistry
    from .response import GatewayHealth as GatewayHealth
    from .response import GatewayResponse as GatewayResponse

_HOMES = {
    "cache": ("CachedEntry", "PersistentCache"),
    "clock": ("Clock", "FakeClock", "SystemClock"),
    "errors": (
        "ApiError",
        "ApiGone",
        "AuthExpired",
        "BadResponse",
        "CircuitOpen",
        "DeadlineExceeded",
        "GatewayError",
        "LoginReplaced",
        "RateLimited",
        "Unavailable",
    ),
    "gateway": ("Gateway",),
    "limiter": ("BucketGauge", "Priority"),
    "metrics": ("EndpointStats", "MetricsRegistry"),
    "response": ("GatewayHealth", "GatewayResponse"),
}
__all__, __getattr__ = lazy_names(__name__, _HOMES)
