"""Circuit breaker rules: what trips it, half-open probes, closing, events, fake-clock countdown."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from msgspec.structs import replace

from zen_tui.gateway import ApiError, CircuitOpen, RateLimited, Unavailable
from zen_tui.gateway.events import BreakerChanged, RetryScheduled
from zen_tui.gateway.settings import BreakerSettings

from .conftest import near, settings_for


def _settings(**breaker: object):
    s = settings_for("github", max_attempts=1)
    return replace(s, breaker=replace(BreakerSettings(), **breaker))


async def test_opens_after_n_server_failures_then_fails_fast(router, make_gateway, clock, recorder):
    route = router.get("/repos").respond(503)
    gw = make_gateway(_settings(failure_threshold=3, timeout=30.0))
    for _ in range(3):
        with pytest.raises(Unavailable):
            await gw.request("GET", "/repos")
    assert gw.health().breaker == "open"
    with pytest.raises(CircuitOpen) as info:
        await gw.request("GET", "/repos")
    assert route.call_count == 3  # the open breaker sent nothing
    assert info.value.retry_at == near(clock.time() + 30.0)
    [change] = recorder.of(BreakerChanged)
    assert (change.old, change.new) == ("closed", "open")
    assert change.half_open_at == near(clock.time() + 30.0)


async def test_client_errors_and_rate_limits_never_open_it(router, make_gateway, clock):
    router.get("/missing").respond(404, json={"message": "Not Found"})
    router.get("/limited").respond(429, headers={"retry-after": "1"})
    gw = make_gateway(_settings(failure_threshold=2))
    for _ in range(3):
        with pytest.raises(ApiError):
            await gw.request("GET", "/missing")
        with pytest.raises(RateLimited):
            await gw.request("GET", "/limited")
        clock.advance(2)
    assert gw.health().breaker == "closed"


async def test_the_breaker_counts_wire_attempts_and_the_tripping_one_ends_the_call(
    router, make_gateway, recorder
):
    route = router.get("/flaky").respond(503)
    s = replace(_settings(failure_threshold=2), retry=replace(settings_for().retry, max_attempts=3))
    gw = make_gateway(s)
    with pytest.raises(Unavailable):  # the server's own failure, not "breaker open"
        await gw.request("GET", "/flaky")
    assert route.call_count == 2  # the second failed attempt opened it: no third attempt
    assert gw.health().breaker == "open"
    assert len(recorder.of(RetryScheduled)) == 1  # no backoff slept before a doomed retry


@pytest.mark.parametrize("service", ["github", "jira", "slack"])
async def test_a_dead_service_trips_the_breaker_after_fail_max_wire_attempts(
    router, make_gateway, service
):
    """With the seed's settings (e.g. GitHub: 5 failures, 4 attempts a call) a dead service
    costs `failure_threshold` requests on the wire, not failure_threshold x max_attempts."""
    settings = settings_for(service)
    route = router.route().respond(503)
    gw = make_gateway(settings, service=service)
    calls = 0
    while gw.health().breaker == "closed":
        calls += 1
        with pytest.raises(Unavailable):
            await gw.request("GET", "/down")
        assert calls <= settings.breaker.failure_threshold
    assert route.call_count == settings.breaker.failure_threshold
    with pytest.raises(CircuitOpen):
        await gw.request("GET", "/down")
    assert route.call_count == settings.breaker.failure_threshold


async def test_state_reads_half_open_after_timeout_without_a_call(router, make_gateway, clock):
    router.get("/x").respond(500)
    gw = make_gateway(_settings(failure_threshold=1, timeout=10.0))
    with pytest.raises(Unavailable):
        await gw.request("GET", "/x")
    health = gw.health()
    assert (health.breaker, health.half_open_at) == ("open", near(clock.time() + 10))
    clock.advance(9.9)
    assert gw.health().breaker == "open"
    clock.advance(0.2)
    assert gw.health().breaker == "half-open"


async def test_half_open_admits_at_most_max_half_open_probes(make_gateway, clock):
    release = asyncio.Event()
    seen: list[str] = []
    failing = True

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if failing:
            return httpx.Response(500)
        await release.wait()
        return httpx.Response(200, json={})

    gw = make_gateway(_settings(failure_threshold=1, timeout=5.0, max_half_open=2), handler=handler)
    with pytest.raises(Unavailable):
        await gw.request("GET", "/p")
    failing = False
    clock.advance(5.0)
    tasks = [asyncio.create_task(gw.request("GET", "/p")) for _ in range(4)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    probes = [r for r in results if not isinstance(r, Exception)]
    rejected = [r for r in results if isinstance(r, CircuitOpen)]
    assert (len(probes), len(rejected)) == (2, 2)
    assert len(seen) == 1 + 2


async def test_success_threshold_successes_close_it_and_a_failure_reopens(
    router, make_gateway, clock, recorder
):
    route = router.get("/s")
    route.side_effect = [httpx.Response(500), httpx.Response(200), httpx.Response(200)]
    gw = make_gateway(_settings(failure_threshold=1, success_threshold=2, timeout=5.0))
    with pytest.raises(Unavailable):
        await gw.request("GET", "/s")
    clock.advance(5)
    await gw.request("GET", "/s")
    assert gw.health().breaker == "half-open"  # one success is not enough
    await gw.request("GET", "/s")
    assert gw.health().breaker == "closed"
    transitions = [(e.old, e.new) for e in recorder.of(BreakerChanged)]
    assert transitions == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]


async def test_failed_probe_reopens_with_a_new_countdown(router, make_gateway, clock):
    router.get("/r").respond(502)
    gw = make_gateway(_settings(failure_threshold=1, timeout=5.0))
    with pytest.raises(Unavailable):
        await gw.request("GET", "/r")
    clock.advance(6)
    with pytest.raises(Unavailable):
        await gw.request("GET", "/r")
    health = gw.health()
    assert health.breaker == "open"
    assert health.half_open_at == near(clock.time() + 5)


async def test_per_endpoint_breakers_are_independent(router, make_gateway):
    router.get("/bad").respond(500)
    router.get("/good").respond(200, json={})
    gw = make_gateway(_settings(failure_threshold=1, per_endpoint=True))
    with pytest.raises(Unavailable):
        await gw.request("GET", "/bad")
    assert gw.breaker_state("/bad") == "open"
    response = await gw.request("GET", "/good")
    assert response.status == 200
    assert gw.breaker_state("/good") == "closed"
    health = gw.health()  # the worst breaker and the first countdown
    assert health.breaker == "open" and health.half_open_at is not None


async def test_every_half_open_round_gets_its_probe_and_a_closed_breaker_has_no_countdown(
    router, make_gateway, clock, recorder
):
    """Probes that fail free their slot: round after round the single probe goes out, and
    once one succeeds the breaker is closed with nothing saying "half-open at"."""
    route = router.get("/p")
    route.side_effect = [httpx.Response(503)] * 4 + [httpx.Response(200, json={})]
    gw = make_gateway(
        _settings(failure_threshold=1, success_threshold=1, timeout=5.0, max_half_open=1)
    )
    with pytest.raises(Unavailable):
        await gw.request("GET", "/p")
    for _ in range(3):
        clock.advance(6)
        with pytest.raises(Unavailable):  # the probe went out and failed, not "probes busy"
            await gw.request("GET", "/p")
    clock.advance(6)
    await gw.request("GET", "/p")
    assert route.call_count == 5
    health = gw.health()
    assert (health.breaker, health.half_open_at) == ("closed", None)
    for change in recorder.of(BreakerChanged):
        assert (change.half_open_at is not None) == (change.new == "open"), change


async def test_after_a_failed_probe_the_next_round_still_sends_at_most_max_half_open(
    make_gateway, clock
):
    """A probe's slot is given back exactly once: the round after a failed probe admits
    max_half_open concurrent probes, not more."""
    release = asyncio.Event()
    sent: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(len(sent))
        if len(sent) <= 2:  # the tripping call and the first round's probe
            return httpx.Response(503)
        await release.wait()
        return httpx.Response(200, json={})

    settings = _settings(failure_threshold=1, success_threshold=1, timeout=5.0, max_half_open=1)
    gw = make_gateway(settings, handler=handler)
    for _ in range(2):
        with pytest.raises(Unavailable):
            await gw.request("GET", "/p")
        clock.advance(6)
    tasks = [asyncio.create_task(gw.request("GET", "/p")) for _ in range(3)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(sent) == 3  # one probe in this round
    assert sum(isinstance(r, CircuitOpen) for r in results) == 2


def _parked(answers: list[asyncio.Future[int]]):
    """A handler whose requests each wait for the status the test sets on their future."""

    async def handler(request: httpx.Request) -> httpx.Response:
        answer = asyncio.get_running_loop().create_future()
        answers.append(answer)
        return httpx.Response(await answer, json={})

    return handler


async def _turns(n: int = 30) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_late_failure_of_a_call_sent_while_closed_keeps_the_countdown(
    make_gateway, clock, recorder
):
    """Two calls on the wire, threshold 1: the first failure opens the breaker; the second,
    sent before it opened, fails later. That is old news: pybreaker re-opened the breaker
    with a new countdown no event told of, so the card said "probe due" while calls were
    refused for 30 s more (found by test_breaker_interleavings.py)."""
    answers: list[asyncio.Future[int]] = []
    gw = make_gateway(_settings(failure_threshold=1, timeout=30.0), handler=_parked(answers))
    calls = [asyncio.create_task(gw.request("GET", "/p")) for _ in range(2)]
    await _turns()
    answers[0].set_result(503)
    await _turns()
    opened_at = clock.time() + 30.0
    clock.advance(10)
    answers[1].set_result(503)
    await asyncio.gather(*calls, return_exceptions=True)
    assert gw.health().half_open_at == near(opened_at)
    [change] = recorder.of(BreakerChanged)
    assert change.half_open_at == near(opened_at)


async def _half_open(gw, answers: list[asyncio.Future[int]], clock) -> None:
    """One 503 opens the breaker (failure_threshold=1), then its 5 s timeout passes."""
    tripping = asyncio.create_task(gw.request("GET", "/p"))
    await _turns()
    answers[0].set_result(503)
    await asyncio.gather(tripping, return_exceptions=True)
    clock.advance(5)


async def test_a_probe_that_succeeds_after_another_failed_leaves_the_breaker_open(
    make_gateway, clock, recorder
):
    answers: list[asyncio.Future[int]] = []
    settings = _settings(failure_threshold=1, success_threshold=1, timeout=5.0, max_half_open=2)
    gw = make_gateway(settings, handler=_parked(answers))
    await _half_open(gw, answers, clock)
    probes = [asyncio.create_task(gw.request("GET", "/p")) for _ in range(2)]
    await _turns()
    answers[1].set_result(503)  # this probe fails: open again
    await _turns()
    answers[2].set_result(200)  # sent in the round that just ended: it closes nothing
    await asyncio.gather(*probes, return_exceptions=True)
    assert gw.health().breaker == "open"
    moves = [(e.old, e.new) for e in recorder.of(BreakerChanged)]
    assert moves == [("closed", "open"), ("open", "half-open"), ("half-open", "open")]


async def test_a_cancelled_probe_does_not_close_the_breaker(make_gateway, clock):
    """Nobody answered it: pybreaker counted the CancelledError (no server failure) a success,
    so a preview the cursor left closed a half-open breaker."""
    answers: list[asyncio.Future[int]] = []
    settings = _settings(failure_threshold=1, success_threshold=1, timeout=5.0)
    gw = make_gateway(settings, handler=_parked(answers))
    await _half_open(gw, answers, clock)
    probe = asyncio.create_task(gw.request("GET", "/p"))
    await _turns()
    probe.cancel()
    await asyncio.gather(probe, return_exceptions=True)
    assert gw.health().breaker == "half-open"


async def test_a_success_between_failures_starts_the_count_again(router, make_gateway):
    """Consecutive failures trip it: a success resets pybreaker's count. (A success with no
    failure counted skips pybreaker's books, having nothing to reset: this one must not.)"""
    answers = iter([503, 503, 200, 503, 503, 200, 503, 503, 503])
    router.get("/repos").mock(side_effect=lambda _request: httpx.Response(next(answers)))
    gw = make_gateway(_settings(failure_threshold=3))
    for _round in range(2):
        for _ in range(2):
            with pytest.raises(Unavailable):
                await gw.request("GET", "/repos")
        assert (await gw.request("GET", "/repos")).status == 200
        assert gw.health().breaker == "closed"
    for _ in range(3):
        with pytest.raises(Unavailable):
            await gw.request("GET", "/repos")
    assert gw.health().breaker == "open"
