from zen_tui.gateway.errors import (
    ApiError,
    AuthExpired,
    CircuitOpen,
    RateLimited,
    Unavailable,
)
from zen_tui.models import FreshnessState, Issue
from zen_tui.sync import freshness

ITEM = Issue(id="j:P-1", account="j", service="jira", key="P-1", title="t", url="u",
             updated_at="2026-01-01T00:00:00Z")  # fmt: skip


def test_reasons_are_one_line_and_specific():
    assert "breaker open until" in freshness.reason_for(
        CircuitOpen(service="github", account="gh", retry_at=2_000_000_000)
    )
    assert freshness.reason_for(RateLimited(service="s", account="a")) == "rate limited"
    assert freshness.reason_for(Unavailable(service="s", account="a")) == "offline"
    assert "log in" in freshness.reason_for(AuthExpired(service="s", account="a"))
    err = Unavailable(service="jira", account="j", method="GET", endpoint="/rest/x", status=503)
    assert freshness.reason_for(err) == "server error 503 on GET /rest/x"
    err4 = ApiError(service="g", account="a", method="GET", endpoint="/q", status=422,
                    message="bad query")  # fmt: skip
    assert freshness.reason_for(err4) == "422 bad query on GET /q"
    assert "\n" not in freshness.reason_for(ValueError("boom"))


def test_fallback_prefers_memory_then_store_then_empty():
    err = Unavailable(service="jira", account="j")
    memory = freshness.live([ITEM], 100.0)
    snap = freshness.degraded(err, memory, ([], 50.0))
    assert snap.freshness.state is FreshnessState.CACHED
    assert snap.freshness.fetched_at == 100.0 and snap.freshness.reason == "offline"

    snap = freshness.degraded(err, None, ([ITEM], 50.0))
    assert snap.freshness.state is FreshnessState.LOCAL and snap.items == (ITEM,)
    assert snap.freshness.reason == "offline"

    snap = freshness.degraded(err, None, ([], None))
    assert snap.freshness.state is FreshnessState.EMPTY and snap.freshness.reason == "offline"


def test_local_store_before_any_poll():
    assert freshness.from_local_store([], None).freshness.state is FreshnessState.EMPTY
    snap = freshness.from_local_store([ITEM], 10.0)
    assert snap.freshness.state is FreshnessState.LOCAL and snap.freshness.fetched_at == 10.0
