"""Retry rules: backoff, server-requested waits, what is safe to re-send, verify, rate limits."""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest

from zen_tui.gateway import (
    ApiError,
    AuthExpired,
    FakeClock,
    GatewayResponse,
    RateLimited,
    Unavailable,
)
from zen_tui.gateway.events import RequestDone, RetryScheduled
from zen_tui.gateway.retry import AttemptFailed, RetryPolicy, with_retries
from zen_tui.gateway.settings import RetrySettings

from .conftest import near, settings_for


def _then_ok(*first: httpx.Response) -> list[httpx.Response]:
    return [*first, httpx.Response(200, json={"ok": True})]


async def test_backoff_is_exponential_and_capped(router, make_gateway, clock, recorder):
    router.get("/a").side_effect = _then_ok(*[httpx.Response(503)] * 4)
    gw = make_gateway(settings_for(max_attempts=5, initial_wait=1, multiplier=2, max_wait=3))
    response = await gw.request("GET", "/a")
    assert response.status == 200
    assert clock.sleeps == [1, 2, 3, 3]
    retries = recorder.of(RetryScheduled)
    assert [(r.attempt, r.wait, r.reason) for r in retries][:2] == [(1, 1, "503"), (2, 2, "503")]
    assert gw.health().retries_total == 4
    [done] = recorder.of(RequestDone)  # one logical call, one event, latency on the fake clock
    assert (done.status, done.attempts, done.latency, done.error) == (200, 5, near(9), None)


def test_full_jitter_draws_below_the_capped_exponential() -> None:
    policy = RetryPolicy(RetrySettings(initial_wait=1, multiplier=2, max_wait=8), rand=lambda: 0.5)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


async def test_gives_up_after_max_attempts(router, make_gateway):
    route = router.get("/down").respond(502)
    gw = make_gateway(settings_for(max_attempts=3))
    with pytest.raises(Unavailable) as info:
        await gw.request("GET", "/down")
    assert route.call_count == 3
    assert (info.value.status, info.value.attempt) == (502, 3)


async def test_retry_after_seconds_is_honoured(router, make_gateway, clock):
    router.get("/b").side_effect = _then_ok(httpx.Response(503, headers={"Retry-After": "7"}))
    await make_gateway().request("GET", "/b")
    assert clock.sleeps == [7]


async def test_retry_after_http_date_is_honoured(router, make_gateway, clock):
    when = email.utils.formatdate(clock.time() + 12, usegmt=True)
    router.get("/c").side_effect = _then_ok(httpx.Response(429, headers={"Retry-After": when}))
    await make_gateway().request("GET", "/c")
    assert clock.sleeps == [near(12)]


async def test_github_epoch_reset_is_honoured_and_403_is_a_rate_limit(router, make_gateway, clock):
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.time()) + 20)}
    router.get("/d").side_effect = _then_ok(httpx.Response(403, headers=headers))
    await make_gateway().request("GET", "/d")
    assert clock.sleeps == [near(20)]


async def test_a_limit_whose_named_time_has_passed_waits_a_second_not_none(
    router, make_gateway, clock
):
    # GitHub names its reset in whole epoch seconds, and asks for no request "until after"
    # it: refused at 44.6 with reset 44 (the window ends within that second, or the
    # server's clock is ahead), tries sent at once are refused again, each a request made
    # while limited (its docs warn such requests can get an integration banned).
    clock.advance(0.6)
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.time()))}
    route = router.get("/d2")
    route.side_effect = _then_ok(httpx.Response(403, headers=limited))
    await make_gateway().request("GET", "/d2")
    assert clock.sleeps == [near(1)]
    assert route.call_count == 2
    # A Retry-After of 0 or a date already past is the same: the server refused just now.
    router.get("/d3").side_effect = _then_ok(httpx.Response(429, headers={"Retry-After": "0"}))
    clock.sleeps.clear()
    await make_gateway().request("GET", "/d3")
    assert clock.sleeps == [near(1)]


async def test_jira_iso_reset_is_honoured(router, make_gateway, clock):
    # FakeClock starts at 2023-11-14T22:13:20Z; the next minute is 40 s away.
    headers = {"X-RateLimit-Reset": "2023-11-14T22:14Z"}
    router.get("/e").side_effect = _then_ok(httpx.Response(429, headers=headers))
    await make_gateway(settings_for("jira"), service="jira").request("GET", "/e")
    assert clock.sleeps == [near(40)]


async def test_github_403_rate_limit_raises_rate_limited_not_api_error(router, make_gateway, clock):
    reset = clock.time() + 600
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset))}
    router.get("/f").respond(403, headers=headers, json={"message": "API rate limit exceeded"})
    with pytest.raises(RateLimited) as info:
        await make_gateway(settings_for(max_attempts=1)).request("GET", "/f")
    assert info.value.retry_at == near(reset)


async def test_secondary_limit_message_is_a_rate_limit_but_plain_403_is_forbidden(
    router, make_gateway, clock
):
    msg = {"message": "You have exceeded a secondary rate limit. Please wait."}
    router.get("/g").respond(403, json=msg)
    router.get("/h").respond(403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(RateLimited) as limited:
        await make_gateway(settings_for(max_attempts=1)).request("GET", "/g")
    assert limited.value.retry_at == near(clock.time() + 60)  # GitHub asks for >= 60 s
    with pytest.raises(ApiError) as info:
        await make_gateway(settings_for(max_attempts=1)).request("GET", "/h")
    assert "not accessible" in str(info.value)


async def test_server_wait_beyond_max_fails_fast_with_retry_at(router, make_gateway, clock):
    route = router.get("/slow").respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as info:
        await make_gateway(settings_for(max_server_wait=60)).request("GET", "/slow")
    assert route.call_count == 1 and clock.sleeps == []
    assert info.value.retry_at == near(clock.time() + 3600)


async def test_post_without_idempotency_key_is_not_retried_after_timeout(router, make_gateway):
    route = router.post("/issues").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Unavailable):
        await make_gateway().request("POST", "/issues", json={"title": "x"})
    assert route.call_count == 1


async def test_post_without_key_is_not_retried_after_503(router, make_gateway):
    route = router.post("/issues").respond(503)
    with pytest.raises(Unavailable):
        await make_gateway().request("POST", "/issues", json={})
    assert route.call_count == 1


async def test_connect_errors_are_retried_even_for_post(router, make_gateway):
    route = router.post("/issues")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json={"id": 1})]
    response = await make_gateway().request("POST", "/issues", json={})
    assert (response.status, route.call_count) == (201, 2)


async def test_a_write_that_never_connected_is_known_not_sent(router, make_gateway):
    """Offline (every attempt refused at connect): not a byte went out, so the outbox need not
    check the server before sending it again. One attempt that may have reached the server
    (a keyed POST's read timeout) makes the outcome unknown, whatever the last attempt was."""
    route = router.post("/issues").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Unavailable) as offline:
        await make_gateway(settings_for(max_attempts=3)).request("POST", "/issues", json={})
    assert route.call_count == 3 and offline.value.nothing_sent

    route.side_effect = [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")]
    with pytest.raises(Unavailable) as maybe:
        await make_gateway(settings_for(max_attempts=2)).request(
            "POST", "/issues", json={}, idempotency_key="k0"
        )
    assert not maybe.value.nothing_sent

    router.post("/pulls").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Unavailable) as timed_out:
        await make_gateway().request("POST", "/pulls", json={})
    assert not timed_out.value.nothing_sent


async def test_keyed_post_awaits_verify_before_resending(router, make_gateway):
    route = router.post("/issues")
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": 2})]
    order: list[str] = []

    async def verify() -> GatewayResponse | None:
        order.append(f"verify after {route.call_count} sends")
        return None  # not applied: safe to send again

    response = await make_gateway().request(
        "POST", "/issues", json={}, idempotency_key="k1", verify=verify
    )
    assert response.status == 201
    assert order == ["verify after 1 sends"] and route.call_count == 2


async def test_verify_that_finds_the_mutation_applied_stops_the_resend(router, make_gateway):
    route = router.post("/issues").mock(side_effect=httpx.ReadTimeout("slow"))

    async def verify() -> GatewayResponse | None:
        return GatewayResponse(
            status=200,
            headers=httpx.Headers({}),
            body=b'{"id": 3}',
            url="",
            cache="bypass",
            fetched_at=0.0,
        )

    response = await make_gateway().request(
        "POST", "/issues", json={}, idempotency_key="k2", verify=verify
    )
    assert response.json() == {"id": 3}
    assert route.call_count == 1


async def test_401_refreshes_once_then_succeeds(router, make_gateway):
    from zen_tui.gateway.credentials import Credential

    class Rotating:
        async def get(self, account: str) -> Credential:
            return Credential("old-token")

        async def refresh(self, account: str) -> Credential:
            return Credential("new-token")

    def answer(request: httpx.Request) -> httpx.Response:
        ok = request.headers["Authorization"] == "Bearer new-token"
        return httpx.Response(200 if ok else 401)

    router.get("/me").mock(side_effect=answer)
    response = await make_gateway(credentials=Rotating()).request("GET", "/me")
    assert response.status == 200


async def test_401_without_a_fresh_token_is_auth_expired(router, make_gateway):
    route = router.get("/me").respond(401)
    with pytest.raises(AuthExpired) as info:
        await make_gateway().request("GET", "/me")
    assert route.call_count == 1
    assert "log in" in str(info.value)


async def test_a_secondary_limit_pauses_the_scope_for_later_calls(router, make_gateway):
    msg = {"message": "You have exceeded a secondary rate limit."}
    router.get("/g").respond(403, json=msg)
    other = router.get("/other").respond(200, json={})
    gw = make_gateway(settings_for(max_attempts=1))
    with pytest.raises(RateLimited):
        await gw.request("GET", "/g")
    with pytest.raises(RateLimited):
        await gw.request("GET", "/other", deadline=10)
    assert not other.called


async def test_slack_read_methods_are_retried_even_as_post(router, make_gateway):
    read = router.post("/api/conversations.history")
    read.side_effect = [httpx.Response(503), httpx.Response(200, json={"ok": True})]
    write = router.post("/api/chat.postMessage").respond(503)
    gw = make_gateway(settings_for("slack"), service="slack", account="slack:T1")
    assert (await gw.request("POST", "/api/conversations.history")).status == 200
    with pytest.raises(Unavailable):
        await gw.request("POST", "/api/chat.postMessage", json={})
    assert (read.call_count, write.call_count) == (2, 1)


async def test_concurrent_401s_refresh_the_token_only_once(make_gateway):
    import asyncio

    from zen_tui.gateway.credentials import Credential

    class Rotating:
        refreshes = 0

        async def get(self, account: str) -> Credential:
            return Credential("old-token")

        async def refresh(self, account: str) -> Credential:
            Rotating.refreshes += 1
            await asyncio.sleep(0)
            return Credential(f"new-token-{Rotating.refreshes}")

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        ok = request.headers["Authorization"].startswith("Bearer new-token")
        return httpx.Response(200 if ok else 401, json={})

    gw = make_gateway(credentials=Rotating(), handler=handler)
    responses = await asyncio.gather(*[gw.request("GET", f"/me/{i}") for i in range(4)])
    assert [r.status for r in responses] == [200] * 4
    assert Rotating.refreshes == 1


async def test_408_is_retried_for_a_get_but_not_for_an_unkeyed_post(router, make_gateway):
    get = router.get("/slowget")
    get.side_effect = _then_ok(httpx.Response(408))
    post = router.post("/slowpost").respond(408)
    gw = make_gateway()
    assert (await gw.request("GET", "/slowget")).status == 200
    assert get.call_count == 2
    with pytest.raises(Unavailable) as info:
        await gw.request("POST", "/slowpost", json={})
    assert (post.call_count, info.value.status) == (1, 408)


async def test_a_keyed_post_is_retried_after_a_timeout(router, make_gateway):
    route = router.post("/keyed")
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": 1})]
    response = await make_gateway().request("POST", "/keyed", json={}, idempotency_key="k-1")
    assert (response.status, route.call_count) == (201, 2)


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_connect_phase_timeouts_sent_nothing_so_a_post_is_retried(
    router, make_gateway, error
):
    route = router.post("/issues")
    route.side_effect = [error("no connection"), httpx.Response(201, json={"id": 1})]
    response = await make_gateway().request("POST", "/issues", json={})
    assert (response.status, route.call_count) == (201, 2)


def test_a_reset_without_a_zone_is_utc_and_garbage_is_ignored(local_tz_not_utc) -> None:
    from zen_tui.gateway.profiles import parse_reset, parse_retry_after

    assert parse_reset("2023-11-14T22:14") == parse_reset("2023-11-14T22:14Z") == 1700000040.0
    assert parse_reset("1700000040") == 1700000040.0
    assert parse_reset("soon") is None and parse_reset(None) is None
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after("-5", 100.0) == 100.0  # never in the past


def _limited(clock: FakeClock, wait: float) -> AttemptFailed:
    error = RateLimited(service="github", account="a", retry_at=clock.time() + wait)
    return AttemptFailed(error, "rate_limit", "429 Retry-After", clock.time() + wait)


async def _retry_once_after(clock: FakeClock, failure: AttemptFailed, max_server_wait: float):
    """with_retries over one failure then a success, with no deadline: what did it wait?"""
    failures = [failure]

    async def attempt(n: int) -> str:
        if failures:
            raise failures.pop()
        return "ok"

    policy = RetryPolicy(RetrySettings(jitter=False, max_server_wait=max_server_wait))
    return await with_retries(
        attempt,
        policy=policy,
        idempotent=True,
        keyed=False,
        verify=None,
        clock=clock,
        on_retry=lambda *_: None,
    )


async def test_a_server_wait_beyond_max_fails_fast_even_without_a_deadline() -> None:
    # Sleeping 2 minutes inside one call would hold the section's poll; the caller reschedules.
    clock = FakeClock()
    with pytest.raises(RateLimited):
        await _retry_once_after(clock, _limited(clock, 120), max_server_wait=60)
    assert clock.sleeps == []


async def test_a_server_wait_of_exactly_max_is_honoured() -> None:
    clock = FakeClock()
    assert await _retry_once_after(clock, _limited(clock, 60), max_server_wait=60) == "ok"
    assert clock.sleeps == [60]


def test_the_wait_for_a_server_retry_at_is_the_time_left_never_negative() -> None:
    # A reset already past (clock skew, a slow answer) means retry now, not a made-up wait.
    rng = random.Random(7)
    policy = RetryPolicy(RetrySettings(jitter=False))
    clock = FakeClock()
    for _ in range(500):
        offset = rng.uniform(-120, 120)
        failure = _limited(clock, offset)
        assert policy.wait(failure, 1, clock.time()) == pytest.approx(max(0.0, offset), abs=1e-6)
