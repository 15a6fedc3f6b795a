"""Rate limiting: adaptive buckets, deadlines, priority, pauses, the mutation window, scopes."""

from __future__ import annotations

import asyncio
import math
import random

import httpx
import pytest
from msgspec.structs import replace

from zen_tui.gateway import FakeClock, Priority, RateLimited
from zen_tui.gateway.events import QuotaUpdated, WaitingForToken
from zen_tui.gateway.limiter import (
    MAX_MEMBERS,
    AdaptiveLimiter,
    ScopedLimiter,
    SlidingWindow,
    TokenTimeout,
)

from .conftest import near, settings_for


def _with_buckets(buckets: dict[str, tuple[float, float]], **rate_limit: object):
    s = settings_for(max_attempts=1)
    return replace(s, rate_limit=replace(s.rate_limit, buckets=buckets, **rate_limit))


async def test_adaptive_rate_follows_the_headers(router, make_gateway, clock, recorder):
    headers = {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "100",
        "x-ratelimit-reset": str(int(clock.time()) + 1000),
        "x-ratelimit-resource": "core",
    }
    router.get("/x").respond(200, json={}, headers=headers)
    gw = make_gateway()
    await gw.request("GET", "/x")
    bucket = gw._limiter.bucket("core")
    assert bucket.max_rate == near(90)  # 100 remaining * 0.9 safety
    assert bucket.time_period == near(1000)
    gauge = gw.health().buckets["core"]
    assert (gauge.limit, gauge.remaining, gauge.reset_at) == (5000, 100, clock.time() + 1000)
    [quota] = recorder.of(QuotaUpdated)
    assert (quota.scope, quota.remaining, quota.capacity) == ("core", 100, near(90))


async def test_adaptive_off_records_but_keeps_the_rate(router, make_gateway, clock):
    headers = {"x-ratelimit-remaining": "1", "x-ratelimit-reset": str(int(clock.time()) + 10)}
    router.get("/x").respond(200, json={}, headers=headers)
    gw = make_gateway(_with_buckets({"core": (50, 1)}, adaptive=False))
    await gw.request("GET", "/x")
    assert gw._limiter.bucket("core").max_rate == 50
    assert gw.health().buckets["core"].remaining == 1


async def test_request_past_its_deadline_fails_with_rate_limited(router, make_gateway, recorder):
    route = router.get("/q").respond(200, json={})
    gw = make_gateway(_with_buckets({"core": (1, 60)}))
    await gw.request("GET", "/q")
    with pytest.raises(RateLimited) as info:
        await gw.request("GET", "/q", deadline=5)
    assert route.call_count == 1
    assert info.value.retry_at == near(gw._clock.time() + 60)
    assert recorder.of(WaitingForToken)[0].wait == near(60)


async def test_a_request_within_its_deadline_waits_for_the_token(router, make_gateway, clock):
    router.get("/q").respond(200, json={})
    gw = make_gateway(_with_buckets({"core": (1, 2)}))
    await gw.request("GET", "/q")
    await gw.request("GET", "/q", deadline=5)
    assert sum(clock.sleeps) == near(2)


async def test_interactive_goes_ahead_of_background() -> None:
    clock = FakeClock()
    bucket = AdaptiveLimiter(1, 1, clock)
    await bucket.take(Priority.BACKGROUND, 10)  # drain the bucket
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await bucket.take(priority, 10)
        order.append(name)

    background = [asyncio.create_task(take(f"bg{i}", Priority.BACKGROUND)) for i in range(2)]
    await asyncio.sleep(0)
    interactive = asyncio.create_task(take("ui", Priority.INTERACTIVE))
    await asyncio.gather(*background, interactive)
    assert order == ["ui", "bg0", "bg1"]


async def test_429_pauses_the_scope_until_the_reset(router, make_gateway, clock):
    router.get("/search/issues").respond(429, headers={"Retry-After": "30"})
    gw = make_gateway()
    with pytest.raises(RateLimited):
        await gw.request("GET", "/search/issues", deadline=0)
    assert gw._limiter.bucket("search").wait_time() == near(30)
    assert gw._limiter.bucket("core").wait_time() == 0


def test_set_rate_changes_the_drain_rate() -> None:
    clock = FakeClock()
    bucket = AdaptiveLimiter(10, 1, clock)
    assert sum(bucket.try_take() for _ in range(10)) == 10  # full
    bucket.set_rate(2, 1)
    # The bucket's next token is 0.5 s away, but 10 calls in the last second fill the
    # configured window (10 a second) until the first of them leaves it.
    assert bucket.wait_time() == near(1.0)
    clock.advance(1)
    assert bucket.tokens() == near(2)


def test_adapted_rate_holds_until_the_reset_then_the_configured_rate_returns() -> None:
    # Jira: a 429 reports Remaining 0; its ordinary answers never report a remaining count.
    clock = FakeClock()
    limiter = ScopedLimiter({"default": (10.0, 1.0)}, clock)
    bucket = limiter.observe("default", 600, 0, clock.time() + 60.0)
    assert (bucket.max_rate, bucket.time_period) == (1.0, near(60))
    assert not bucket.try_take()  # none left: the server would refuse it until the reset
    clock.advance(30)  # mid-window: still the header's pace
    limiter.observe("default", None, None, None)  # an ordinary answer, no quota headers
    assert bucket.max_rate == 1.0 and bucket.wait_time() == near(30)
    clock.advance(31)  # past the reset: a full bucket at the configured rate
    assert (bucket.gauge().tokens, bucket.max_rate, bucket.time_period) == (10.0, 10.0, 1.0)
    assert sum(bucket.try_take() for _ in range(12)) == 10


def test_a_new_report_moves_the_reset_and_a_past_reset_is_ignored() -> None:
    clock = FakeClock()
    limiter = ScopedLimiter({"core": (50.0, 1.0)}, clock)
    limiter.observe("core", 5000, 100, clock.time() + 10.0)
    clock.advance(9)
    bucket = limiter.observe("core", 5000, 20, clock.time() + 100.0)  # a fresh window
    clock.advance(50)
    assert bucket.max_rate == near(18) and bucket.time_period == near(100)
    # A late answer of a window already over says nothing of the one running: the configured
    # 50/s it once brought back would spend past this window's 20.
    limiter.observe("core", 5000, 0, clock.time() - 1.0)
    assert bucket.max_rate == near(18) and bucket.time_period == near(100)


def test_an_older_report_of_the_same_window_hands_back_no_calls() -> None:
    """Answers that cross on the way: the one of an earlier call (more remaining, the same
    reset) lands last. It raised the bucket back (10 -> 40 remaining: 27 calls more) and the
    server refused what it had already counted (found by test_budget_interleavings.py)."""
    clock = FakeClock()
    limiter = ScopedLimiter({"core": (50.0, 1.0)}, clock)
    reset = clock.time() + 100.0
    limiter.observe("core", 5000, 10, reset)
    bucket = limiter.observe("core", 5000, 40, reset)
    assert (bucket.remaining, bucket.max_rate) == (10, near(9))
    bucket = limiter.observe("core", 5000, 40, reset + 60.0)  # the next window: taken in
    assert (bucket.remaining, bucket.max_rate) == (40, near(36))


def test_a_family_scope_has_its_own_bucket_at_the_familys_rate() -> None:
    """`tier3:conversations.history` and `tier3:reactions.add` (Slack limits each method at
    its tier's rate): separate buckets, the `tier3` rate unless one is configured itself,
    `default` for an unconfigured family; pausing one leaves the others."""
    clock = FakeClock()
    config = {"tier3": (50.0, 60.0), "tier3:reactions.add": (5.0, 60.0), "default": (7.0, 1.0)}
    limiter = ScopedLimiter(config, clock)
    history, replies = (limiter.bucket(f"tier3:conversations.{m}") for m in ("history", "replies"))
    assert history is not replies and history.gauge().capacity == 50.0
    assert limiter.bucket("tier3:reactions.add").gauge().capacity == 5.0
    assert limiter.bucket("special:auth.test").gauge().capacity == 7.0
    limiter.pause_until("tier3:conversations.history", clock.time() + 60.0)
    assert history.wait_time() == near(60)
    assert replies.wait_time() == 0 and limiter.bucket("tier3").wait_time() == 0


async def test_sliding_window_caps_starts_per_window() -> None:
    clock = FakeClock()
    window = SlidingWindow(2, 60, clock)
    assert await window.take(1) == 0 and await window.take(1) == 0
    with pytest.raises(TokenTimeout) as info:
        await window.take(10)
    assert info.value.retry_at == near(clock.time() + 60)
    assert await window.take(61) == near(60)


async def test_github_mutations_share_the_per_minute_window(router, make_gateway):
    router.post("/issues").respond(201, json={})
    gw = make_gateway()
    assert gw._limiter.window is not None and gw._limiter.window.limit == 80
    for _ in range(80):
        await gw.request("POST", "/issues", json={})
    with pytest.raises(RateLimited):
        await gw.request("POST", "/issues", json={}, deadline=1)


async def test_github_graphql_is_its_own_scope_a_read_and_limited_in_its_body(
    router, make_gateway, clock
):
    """POST /graphql: the `graphql` bucket, not the 80/min write window; retried like a read
    (a 502 is sent again); a 200 whose errors say RATE_LIMITED pauses only that scope."""
    reset = int(clock.time()) + 3600
    route = router.post("/graphql")
    route.side_effect = [httpx.Response(502)] + [
        httpx.Response(200, json={"data": {}}, headers={"x-ratelimit-resource": "graphql"})
    ] * 100
    gw = make_gateway()
    for _ in range(90):  # more than the write window allows per minute
        await gw.request("POST", "/graphql", json={"query": "{ rateLimit { cost } }"})
    assert route.call_count == 91  # the 502 was retried
    assert gw._limiter.window is not None and gw._limiter.window.wait_time() == 0
    limited = {
        "x-ratelimit-resource": "graphql",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset),
    }
    route.side_effect = None
    route.respond(200, headers=limited, json={"errors": [{"type": "RATE_LIMITED", "message": "x"}]})
    with pytest.raises(RateLimited) as caught:
        await gw.request("POST", "/graphql", json={"query": "{ rateLimit { cost } }"})
    assert caught.value.retry_at == reset
    assert gw._limiter.bucket("graphql").wait_time() > 3000
    assert gw._limiter.bucket("core").wait_time() == 0


async def test_scopes_are_derived_per_service(router, make_gateway):
    router.get("/search/issues").respond(200, json={})
    router.get("/repos").respond(200, json={})
    router.post("/api/conversations.history").respond(200, json={"ok": True})
    router.post("/api/conversations.replies").respond(200, json={"ok": True})
    gh = make_gateway()
    await gh.request("GET", "/search/issues")
    await gh.request("GET", "/repos")
    assert set(gh.health().buckets) == {"default", "search", "core", "graphql"}
    gauges = gh.health().buckets
    assert (gauges["core"].tokens, gauges["search"].tokens) == (4999, 29)
    assert gh.health().buckets["search"].capacity == 30
    slack = make_gateway(settings_for("slack"), service="slack", account="slack:T1")
    await slack.request("POST", "/api/conversations.history")
    await slack.request("POST", "/api/conversations.replies")
    buckets = slack.health().buckets
    assert buckets["tier3:conversations.history"].tokens == 49
    assert buckets["tier3:conversations.replies"].tokens == 49  # per method, not per tier
    assert buckets["tier3:conversations.history"].capacity == 50 == buckets["tier3"].capacity


async def test_the_fake_clock_is_not_needed_for_real_waits() -> None:
    # The same limiter works on the real clock: a short real wait, not a fake one.
    from zen_tui.gateway import SystemClock

    bucket = AdaptiveLimiter(1, 0.05, SystemClock())
    await bucket.take(Priority.BACKGROUND, 1)
    waited = await bucket.take(Priority.BACKGROUND, 1)
    assert 0.03 < waited < 0.5


async def test_gateway_serves_an_interactive_call_before_queued_polls(make_gateway):
    seen: list[str] = []

    def handler(request):
        seen.append(request.url.path)
        return httpx.Response(200, json={})

    gw = make_gateway(_with_buckets({"core": (1, 1)}), handler=handler)
    await gw.request("GET", "/first")
    polls = [asyncio.create_task(gw.request("GET", f"/poll{i}")) for i in range(2)]
    await asyncio.sleep(0)
    click = asyncio.create_task(gw.request("GET", "/click", priority=Priority.INTERACTIVE))
    await asyncio.gather(*polls, click)
    assert seen == ["/first", "/click", "/poll0", "/poll1"]


async def test_every_attempt_takes_its_own_token(router, make_gateway, clock):
    # A bucket of 2 per minute: the first call's two attempts use both, the retry of a second
    # call has to wait for the bucket to refill.
    route = router.get("/r")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json={})] * 2
    s = _with_buckets({"core": (2, 60)})
    gw = make_gateway(replace(s, retry=replace(s.retry, max_attempts=2, initial_wait=0.001)))
    await gw.request("GET", "/r")
    assert gw.health().buckets["core"].tokens == near(0)
    await gw.request("GET", "/r", deadline=120, total_timeout=120)
    assert route.call_count == 4
    assert sum(clock.sleeps) >= 59  # waited for tokens, not only the 1 ms backoff


async def test_each_account_has_its_own_buckets(router, make_gateway, clock):
    # Two GitHub accounts with one token a minute each: neither waits for the other.
    router.get("/q").respond(200, json={})
    one = make_gateway(_with_buckets({"core": (1, 60)}), account="github:one")
    two = make_gateway(_with_buckets({"core": (1, 60)}), account="github:two")
    await one.request("GET", "/q", deadline=0)
    await two.request("GET", "/q", deadline=0)
    assert clock.sleeps == []
    with pytest.raises(RateLimited):
        await one.request("GET", "/q", deadline=0)


@pytest.mark.parametrize("seed", range(30))
def test_a_bucket_never_lends_more_than_its_capacity_plus_what_drained(seed: int) -> None:
    """Random takes and clock steps: taken <= capacity + rate * elapsed at every moment, and
    a refused take succeeds once its announced wait has passed."""
    rng = random.Random(seed)
    clock = FakeClock()
    capacity, period = rng.choice([(1, 1.0), (5, 1.0), (10, 2.0), (3, 0.5)])
    bucket = AdaptiveLimiter(capacity, period, clock)
    taken = 0
    for _ in range(300):
        if rng.random() < 0.3:
            clock.advance(rng.uniform(0, period))
        elif bucket.try_take():
            taken += 1
        else:
            wait = bucket.wait_time()
            assert wait > 0
            clock.advance(wait + 1e-6)  # epoch-sized float seconds: exact only to ~1e-7
            assert bucket.try_take()
            taken += 1
        elapsed = clock.monotonic()
        assert taken <= capacity + capacity / period * elapsed + 1e-9
        assert 0 <= bucket.tokens() <= capacity


def test_a_new_rate_starts_from_what_the_old_rate_drained() -> None:
    # Tokens freed at the old pace stay free; losing them would stall calls that the
    # server's budget allows.
    clock = FakeClock()
    bucket = AdaptiveLimiter(10, 1, clock)
    assert sum(bucket.try_take() for _ in range(10)) == 10
    clock.advance(0.5)  # 5 tokens drained at 10/s
    bucket.set_rate(20, 1)
    clock.advance(0.5)  # the configured window (10 a second) lets calls go again
    assert bucket.tokens() == near(10)  # the bucket drained at 20/s; the window allows 10


def test_a_report_counts_the_calls_it_saw_once() -> None:
    # The calls answered are in the server's remaining; those in flight may not be: the
    # allowance is what the report allows less those, all of it free at once (it is less
    # than the configured bucket's size, the largest burst).
    clock = FakeClock()
    bucket = AdaptiveLimiter(30, 1, clock)
    assert sum(bucket.try_take() for _ in range(10)) == 10
    for _ in range(4):
        bucket.settle()  # answered: counted in the report
    bucket.adapt(30, clock.time() + 1.0)  # 6 still in flight
    assert bucket.tokens() == near(24) and bucket.max_rate == 24


@pytest.mark.parametrize("seed", range(10))
async def test_a_sliding_window_admits_limit_starts_per_window_and_waits_no_longer(
    seed: int,
) -> None:
    """Random arrivals on a clock well past its start: no `window`-long span holds more than
    `limit` starts, and a start that had to wait happens the moment the oldest one ages out."""
    rng = random.Random(seed)
    clock = FakeClock()
    limit, span = rng.choice([(1, 5.0), (2, 60.0), (3, 10.0), (80, 60.0)])
    window = SlidingWindow(limit, span, clock)
    clock.advance(rng.uniform(100, 10_000))
    starts: list[float] = []
    for _ in range(200):
        clock.advance(rng.choice([0.0, rng.uniform(0, span / limit), rng.uniform(0, 2 * span)]))
        asked = clock.monotonic()
        waited = await window.take(deadline=10 * span)
        starts.append(clock.monotonic())
        assert starts[-1] - asked == pytest.approx(waited, abs=1e-6)
        if len(starts) > limit:
            gap = starts[-1] - starts[-1 - limit]
            assert gap >= span - 1e-6
            if waited > 0:
                assert gap == pytest.approx(span, abs=1e-6)
        else:
            assert waited == 0


def test_a_quota_that_resets_within_a_second_is_still_followed() -> None:
    # Remaining 0, reset in half a second: not the configured 10/s, and no call at all before
    # the reset (the server would refuse it), then the configured rate.
    clock = FakeClock()
    limiter = ScopedLimiter({"default": (10.0, 1.0)}, clock)
    bucket = limiter.observe("default", 5000, 0, clock.time() + 0.5)
    assert (bucket.max_rate, bucket.time_period) == (1.0, near(0.5))
    assert not bucket.try_take() and bucket.wait_time() == near(0.5)
    clock.advance(0.5)
    assert bucket.try_take()


def test_a_rate_below_one_call_per_period_still_admits_one_call_per_period() -> None:
    # A bucket smaller than one token would never admit anything: the call would hang.
    clock = FakeClock()
    bucket = AdaptiveLimiter(0.2, 10, clock)
    assert bucket.try_take() and not bucket.try_take()
    assert bucket.wait_time() == near(10)


@pytest.mark.parametrize("seed", range(8))
async def test_queued_takers_each_spend_one_token_in_priority_order_and_report_their_wait(
    seed: int,
) -> None:
    """A burst of random-priority callers on an empty bucket: the k-th token is granted once
    the window lets it, `period * (k // capacity)` later (a bucket refilling within the
    period would send up to twice its count in one: each waiter spends one token), interactive
    callers go first, each reports the seconds it waited, and one that cannot be served
    within its deadline leaves at once with the time its token would come."""
    rng = random.Random(seed)
    clock = FakeClock()
    capacity, period = rng.choice([(1, 1.0), (2, 1.0), (5, 10.0)])
    bucket = AdaptiveLimiter(capacity, period, clock)
    clock.advance(rng.uniform(10, 1000))
    start = clock.monotonic()
    granted: list[tuple[float, Priority, float]] = []

    async def take(priority: Priority) -> None:
        waited = await bucket.take(priority, deadline=1000)
        granted.append((clock.monotonic() - start, priority, waited))

    n = rng.randint(capacity + 3, capacity + 12)
    priorities = [rng.choice(list(Priority)) for _ in range(n)]
    await asyncio.gather(*(take(p) for p in priorities))
    for k, (at, _, waited) in enumerate(granted):
        assert at == pytest.approx(period * (k // capacity), abs=1e-6)
        assert waited == pytest.approx(at, abs=1e-6)
    # Every waiting interactive caller before any background (or at the same moment).
    queued = {p: [at for at, q, _ in granted if at > 0 and q is p] for p in Priority}
    assert max(queued[Priority.INTERACTIVE], default=0) <= min(
        queued[Priority.BACKGROUND], default=math.inf
    )
    while bucket.try_take():  # the window's last calls
        pass
    before = (clock.time(), len(clock.sleeps))
    with pytest.raises(TokenTimeout) as info:
        await bucket.take(Priority.INTERACTIVE, deadline=0.5 * period)
    assert info.value.retry_at == near(before[0] + period)
    assert (clock.time(), len(clock.sleeps)) == before  # left without waiting


async def test_a_waiter_pushed_back_by_interactive_calls_still_leaves_at_its_deadline() -> None:
    # A background poll queued first, then overtaken: it gives up when its time runs out,
    # not after waiting for every caller that went ahead of it.
    clock = FakeClock()
    bucket = AdaptiveLimiter(1, 1, clock)
    assert bucket.try_take()
    start = clock.monotonic()
    background = asyncio.create_task(bucket.take(Priority.BACKGROUND, deadline=1.5))
    await asyncio.sleep(0)  # it is queued, and asleep until its token is due at 1 s
    interactive = [asyncio.create_task(bucket.take(Priority.INTERACTIVE, 10)) for _ in range(2)]
    with pytest.raises(TokenTimeout):
        await background
    assert clock.monotonic() - start <= 1.5
    await asyncio.gather(*interactive)


async def test_window_takers_that_lose_the_race_leave_at_their_deadline() -> None:
    # Three writes wait for the one slot that frees at 10 s: one gets it, and the others,
    # whose next slot would come after their 15 s, give up then instead of waiting on.
    clock = FakeClock()
    window = SlidingWindow(1, 10, clock)
    await window.take(1)
    start = clock.monotonic()
    results = await asyncio.gather(*(window.take(15) for _ in range(3)), return_exceptions=True)
    assert sorted(isinstance(r, TokenTimeout) for r in results) == [False, True, True]
    assert clock.monotonic() - start == near(10)


# FakeClock starts at 2023-11-14T22:13:20Z: the reset is 40 s away, Retry-After 60 s.
JIRA_429 = {
    "retry-after": "60",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": "2023-11-14T22:14Z",
}


@pytest.mark.parametrize(
    ("reason", "paused"),
    [
        ("jira-burst-based", "burst:PUT /rest/api/3/issue/{key}/assignee"),
        ("jira-per-issue-on-write", "issue:ZEN-1"),
        ("jira-quota-global-based", "default"),
        ("jira-quota-tenant-based", "default"),
        ("jira-cost-based", "default"),
        (None, "default"),  # no reason: the whole account, as before
    ],
)
async def test_a_jira_429_pauses_the_scope_its_reason_names(
    router, make_gateway, clock, reason, paused
):
    """Atlassian's guide: burst = one endpoint and method, per-issue = writes to one issue,
    quotas = the account. The 429's figures are the refused limit's: they become the
    account's budget (which paces polls) only when the account is what it paused."""
    headers = {**JIRA_429, **({"RateLimit-Reason": reason} if reason else {})}
    router.put("/rest/api/3/issue/ZEN-1/assignee").respond(429, headers=headers)
    gw = make_gateway(settings_for("jira", max_attempts=1), service="jira", account="jira")
    with pytest.raises(RateLimited):
        await gw.request(
            "PUT", "/rest/api/3/issue/ZEN-1/assignee", endpoint="/rest/api/3/issue/{key}/assignee"
        )
    waits = {s: gw._limiter.bucket(s).wait_time() for s in gw.health().buckets}
    assert {s for s, w in waits.items() if w > 0} == {paused}
    assert waits[paused] == near(60)
    reported = {s for s, g in gw.health().buckets.items() if g.remaining is not None}
    assert reported == ({"default"} if paused == "default" else set())


async def test_a_jira_call_meets_its_endpoint_s_and_its_issue_s_scopes(router, make_gateway):
    router.route().respond(200, json={})
    gw = make_gateway(settings_for("jira"), service="jira", account="jira")
    await gw.request(
        "POST", "/rest/api/3/issue/ZEN-1/comment", endpoint="/rest/api/3/issue/{key}/comment"
    )
    await gw.request("GET", "/rest/api/3/issue/ZEN-1")  # a read: no issue scope; templated
    await gw.request("POST", "/rest/api/3/search/jql")  # a POST that only reads
    assert set(gw.health().buckets) == {
        "default",
        "burst:POST /rest/api/3/issue/{key}/comment",
        "issue:ZEN-1",
        "burst:GET /rest/api/3/issue/{key}",
        "burst:POST /rest/api/3/search/jql",
    }
    assert gw.health().buckets["default"].tokens == 7  # the account's, spent by each


async def test_the_beta_reason_is_read_and_a_per_issue_one_without_an_issue_is_the_account(
    router, make_gateway
):
    beta = {**JIRA_429, "X-Beta-RateLimit-Reason": "jira-burst-based"}
    router.get("/rest/api/3/myself").respond(429, headers=beta)
    per_issue = {**JIRA_429, "RateLimit-Reason": "jira-per-issue-on-write"}
    router.post("/rest/api/3/bulk/issues/transition").respond(429, headers=per_issue)
    gw = make_gateway(settings_for("jira", max_attempts=1), service="jira", account="jira")
    with pytest.raises(RateLimited):
        await gw.request("GET", "/rest/api/3/myself")
    assert gw._limiter.bucket("burst:GET /rest/api/3/myself").wait_time() == near(60)
    assert gw._limiter.bucket("default").wait_time() == 0
    with pytest.raises(RateLimited):  # names no one issue: the account waits
        await gw.request("POST", "/rest/api/3/bulk/issues/transition")
    assert gw._limiter.bucket("default").wait_time() == near(60)


def test_idle_member_buckets_are_forgotten_past_the_cap() -> None:
    """One `issue:KEY` bucket per issue written would grow for good: past the cap, idle
    member buckets go (one made again is the same); busy, paused and configured ones stay."""
    clock = FakeClock()
    limiter = ScopedLimiter({"default": (10.0, 1.0), "issue:KEEP-1": (1.0, 60.0)}, clock)
    limiter.pause_until("issue:PAUSED-1", clock.time() + 60)
    assert limiter.bucket("issue:BUSY-1").try_take()
    for n in range(MAX_MEMBERS + 10):
        limiter.bucket(f"issue:IDLE-{n}")
    kept = set(limiter.gauges())
    assert {"default", "issue:KEEP-1", "issue:PAUSED-1", "issue:BUSY-1"} <= kept
    assert len(kept) <= MAX_MEMBERS + 4
    assert limiter.bucket("issue:PAUSED-1").wait_time() == near(60)


async def test_a_token_a_sliver_away_comes_on_a_fake_clock_at_today_s_epoch() -> None:
    """Near 2026 one float step of epoch seconds is 2.4e-7 s: a bucket draining 3 tokens a
    minute can leave a wait shorter than that, and a FakeClock sleep that did not move time
    at all had the limiter ask again forever (a test hung, its schedule by chance)."""
    clock = FakeClock(start=1_796_578_700.35)
    limiter = AdaptiveLimiter(3.0, 60.0, clock)
    for _ in range(3):
        assert limiter.try_take()
    clock.advance(60.0 - 1e-7)  # a token is due in less than one float step
    before = clock.monotonic()
    await asyncio.wait_for(limiter.take(Priority.BACKGROUND, 60.0), timeout=5.0)
    assert clock.monotonic() - before < 1e-6
    start = clock.time()
    await clock.sleep(1e-9)
    assert clock.time() > start


async def test_a_rate_limited_error_names_the_narrower_limit_it_pauses(router, make_gateway):
    """The outbox holds back only what a pause covers (sync/outbox.py): the error says
    which. A Slack method's 429 pauses that method ("tier...:chat.postMessage"), on the 429
    and on the refusal without a request that follows; GitHub's pauses the account (None)."""
    router.post("/api/chat.postMessage").respond(429, headers={"Retry-After": "120"})
    router.get("/repos/a/b/issues").respond(
        429, headers={"Retry-After": "120", "x-ratelimit-remaining": "0"}
    )
    slack = make_gateway(
        settings_for("slack", max_server_wait=5.0), service="slack", account="slack:T1"
    )
    for _ in range(2):  # the 429, then the local refusal while paused
        with pytest.raises(RateLimited) as limited:
            await slack.request("POST", "/api/chat.postMessage")
        assert (limited.value.scope or "").endswith(":chat.postMessage")
    assert router.routes[0].call_count == 1
    github = make_gateway(settings_for("github", max_server_wait=5.0))
    for _ in range(2):
        with pytest.raises(RateLimited) as limited:
            await github.request("GET", "/repos/a/b/issues")
        assert limited.value.scope is None


def test_reports_of_one_window_pace_its_allowance_to_the_reset() -> None:
    # Each answer brings a report: the bucket's level carries over within the window, so the
    # allowance is spread to the reset (a burst of the configured size at most), not spent
    # at the first answers with the polls then stopped until the reset.
    clock = FakeClock()
    bucket = AdaptiveLimiter(5, 1, clock)
    reset = clock.time() + 100.0
    sent: list[float] = []
    remaining = 50
    while clock.time() < reset - 0.5:
        if bucket.try_take():
            sent.append(clock.time())
            bucket.settle()
            remaining -= 1
            bucket.adapt(remaining, reset)
        clock.advance(0.5)
    assert len(sent) <= 50  # the bound
    assert sent[-1] >= reset - 10.0  # still polling near the reset
    assert sum(1 for s in sent if s < clock.time() - 50) <= 30  # not all early
