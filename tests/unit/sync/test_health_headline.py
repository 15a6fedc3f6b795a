"""The health card's bucket: the one the server reports on, else the one nearest empty. Slack
reports no budget and limits each method in its own bucket (`tier3:conversations.history`),
so the card followed the `default` bucket, which no Slack call spends: it stood full through
a 429 storm. Real ScopedLimiter gauges, on a fake clock."""

from __future__ import annotations

from zen_tui.gateway import FakeClock
from zen_tui.gateway.limiter import ScopedLimiter
from zen_tui.gateway.profiles import slack_scope
from zen_tui.gateway.settings import default_settings
from zen_tui.sync.engine import MAIN_SCOPE, _headline_bucket

HISTORY = slack_scope("conversations.history", "tier3")
REACTIONS = slack_scope("reactions.add", "tier2")


def slack_limiter() -> ScopedLimiter:
    buckets = default_settings("slack").rate_limit.buckets
    return ScopedLimiter(buckets, FakeClock(start=1_790_000_000.0))


def headline(limiter: ScopedLimiter) -> object:
    return _headline_bucket(limiter.gauges(), MAIN_SCOPE.get("slack", "default"))


def test_before_any_call_the_card_shows_the_main_bucket_full() -> None:
    limiter = slack_limiter()
    shown = headline(limiter)
    assert shown == limiter.gauges()["default"]
    assert shown.tokens == shown.capacity  # type: ignore[attr-defined]


def test_the_card_follows_the_method_bucket_nearest_empty() -> None:
    limiter = slack_limiter()
    for _ in range(3):
        assert limiter.bucket(REACTIONS).try_take()
    while limiter.bucket(HISTORY).try_take():  # spent to the last token
        pass
    shown = headline(limiter)
    assert shown == limiter.gauges()[HISTORY]
    assert shown.tokens < 1  # type: ignore[attr-defined]


def test_a_budget_the_server_reported_wins_over_client_side_buckets() -> None:
    limiter = slack_limiter()
    while limiter.bucket(HISTORY).try_take():
        pass
    limiter.observe(REACTIONS, 100, 90, 1_790_000_060.0)
    assert headline(limiter) == limiter.gauges()[REACTIONS]
