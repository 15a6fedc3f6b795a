"""Metrics registry and health snapshot follow the bus events."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway import GatewayError, MetricsRegistry
from zen_tui.gateway.events import EventBus, RequestDone, RetryScheduled

from .conftest import settings_for


def _done(latency: float, *, account: str = "a", error: str | None = None, cache: str = "miss"):
    return RequestDone(
        service="github",
        account=account,
        method="GET",
        endpoint="/e",
        status=200,
        latency=latency,
        cache=cache,  # type: ignore[arg-type]
        attempts=1,
        error=error,
    )


def test_percentiles_error_rate_and_hit_ratio() -> None:
    bus = EventBus()
    metrics = MetricsRegistry(bus, account="a")
    for ms in range(1, 101):
        bus.publish(_done(ms / 1000, error="boom" if ms % 10 == 0 else None))
    bus.publish(_done(5.0, account="other"))  # another gateway's event is not ours
    bus.publish(_done(0.001, cache="hit"))
    bus.publish(
        RetryScheduled(
            service="github",
            account="a",
            method="GET",
            endpoint="/e",
            attempt=1,
            wait=1.0,
            reason="503",
        )
    )
    stats = metrics.stats("github", "/e")
    assert stats.count == 101 and stats.errors == 10 and stats.retries == 1
    assert stats.error_rate == pytest.approx(10 / 101)
    assert stats.percentile(50) == pytest.approx(0.050, abs=0.0015)
    assert stats.percentile(95) == pytest.approx(0.095, abs=0.0015)
    assert stats.percentile(99) == pytest.approx(0.099, abs=0.0015)
    assert stats.cache_hit_ratio == pytest.approx(1 / 101)
    metrics.close()
    bus.publish(_done(1.0))
    assert stats.count == 101


async def test_health_counts_requests_errors_cache_and_retries(router, make_gateway, clock):
    router.get("/ok").respond(200, json={}, headers={"ETag": '"e"'})
    router.get("/err").side_effect = [httpx.Response(503), httpx.Response(404)]
    gw = make_gateway(settings_for(max_attempts=2))
    await gw.request("GET", "/ok", cache_type="listing")
    await gw.request("GET", "/ok", cache_type="listing")
    with pytest.raises(GatewayError):
        await gw.request("GET", "/err")
    health = gw.health()
    assert (health.requests, health.errors) == (3, 1)
    assert (health.cache_hits, health.cache_misses, health.revalidations) == (1, 1, 0)
    assert (health.retries_total, health.retries_in_flight, health.last_retry_wait) == (1, 0, 1)
    assert health.breaker == "closed" and health.half_open_at is None
    stats = gw.metrics.stats("github", "/err")
    assert stats.count == 1 and stats.retries == 1
    await gw.aclose()


def test_nearest_rank_percentiles_are_exact() -> None:
    from zen_tui.gateway import EndpointStats

    stats = EndpointStats()
    assert stats.percentile(50) is None
    stats.latencies.extend([0.004, 0.001, 0.003, 0.002])
    assert [stats.percentile(p) for p in (1, 25, 26, 50, 51, 75, 76, 100)] == [
        0.001,
        0.001,
        0.002,
        0.002,
        0.003,
        0.003,
        0.004,
        0.004,
    ]
    stats.latencies.clear()
    stats.latencies.extend(i / 1000 for i in range(1, 101))
    assert [stats.percentile(p) for p in (7, 50, 95, 99)] == [0.007, 0.05, 0.095, 0.099]


def test_a_revalidation_counts_as_a_hit_and_stale_is_neither() -> None:
    bus = EventBus()
    metrics = MetricsRegistry(bus, account="a")
    for cache in ("hit", "revalidated", "miss", "miss", "stale", "bypass"):
        bus.publish(_done(0.01, cache=cache))
    stats = metrics.stats("github", "/e")
    assert (stats.cache_hits, stats.revalidations, stats.cache_misses) == (1, 1, 2)
    assert stats.stale_served == 1
    assert stats.cache_hit_ratio == pytest.approx(0.5)


async def test_a_call_cancelled_while_it_waits_to_retry_leaves_no_retry_in_flight(
    router, make_gateway, bus
):
    """The dashboard's card read `retry 6/8` for good after an outage: previews cancelled
    (the cursor moved on) while their call waited to retry never said they ended."""
    import asyncio

    from zen_tui.ui.health_model import HealthModel

    model = HealthModel()
    bus.subscribe(model.apply)
    router.get("/down").respond(503)
    gw = make_gateway(settings_for(max_attempts=4))
    retrying = asyncio.Event()
    bus.subscribe(lambda e: retrying.set() if isinstance(e, RetryScheduled) else None)
    task = asyncio.create_task(gw.request("GET", "/down"))
    await retrying.wait()  # the call sleeps before its second attempt
    assert model.status("github").retries_in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gw.health().retries_in_flight == 0
    assert model.status("github").retries_in_flight == 0  # main: 1, for as long as it runs
    with pytest.raises(GatewayError):  # a call that retries to its end still counts as before
        await gw.request("GET", "/down")
    s = model.status("github")
    assert (s.retries_in_flight, s.retries_total) == (0, 4)
    await gw.aclose()
