"""A fixed-window request budget on the world's clock (Jira burst limit, Slack method tiers)."""

from __future__ import annotations

import math
from collections.abc import Callable


class FixedWindow:
    """`limit` requests per `window` seconds; the window restarts at the first request after it
    ends, or, `aligned`, at each multiple of `window` on the clock (Jira's hourly points quota
    resets on the hour: its `t` counts down to it). Not locked: callers hold the world lock."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float], *, aligned: bool = False
    ) -> None:
        self.limit = max(1, limit)
        self.window = window
        self._clock = clock
        self._aligned = aligned
        self._start = -math.inf
        self.used = 0

    def _roll(self) -> float:
        now = self._clock()
        if not 0 <= now - self._start < self.window:  # over, or the clock was set back
            start = math.floor(now / self.window) * self.window if self._aligned else now
            self._start, self.used = start, 0
        return now

    def take(self, amount: int = 1) -> bool:
        """Spend `amount` (a request's cost); False (and nothing spent) when the budget is
        already exhausted. The last allowed request may overdraw it, as points quotas do."""
        self._roll()
        if self.used >= self.limit:
            return False
        self.used += amount
        return True

    @property
    def remaining(self) -> int:
        self._roll()
        return max(0, self.limit - self.used)

    @property
    def reset_at(self) -> float:
        """Epoch seconds when the current window ends."""
        return self._start + self.window

    def retry_after(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, math.ceil(self.reset_at - self._clock()))
