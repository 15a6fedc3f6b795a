"""Found by the chaos soak: one Jira 429 (Remaining: 0, Reset at the next minute) slows the
account's bucket to one request per window, and nothing restores the configured rate once
the reset time has passed (Jira's ordinary answers carry no Remaining header). After a 429
storm every Jira request, writes included, then waited up to a minute: the soak's outbox
could not drain in 3 minutes. Once the reset time is past, the bucket must be full again."""

from __future__ import annotations

from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.limiter import ScopedLimiter


def test_bucket_rate_is_restored_after_the_reset_time():
    clock = FakeClock()
    limiter = ScopedLimiter({"default": (10.0, 1.0)}, clock)
    limiter.observe("default", 600, 0, clock.time() + 60.0)  # a 429: nothing left this minute
    clock.advance(61.0)  # the window has reset; ordinary answers report nothing
    bucket = limiter.bucket("default")
    taken = sum(bucket.try_take() for _ in range(10))
    assert taken == 10, f"only {taken} of 10 requests allowed a minute after the reset"
