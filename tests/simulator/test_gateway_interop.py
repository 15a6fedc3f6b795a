"""The real gateway against the real simulator on a loopback socket: a Deprecation/Sunset
fault rule becomes a health warning, and the gateway's own User-Agent is accepted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from zen_tui.gateway import Gateway, RateLimited
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import ApiDeprecation, EventBus
from zen_tui.gateway.settings import default_settings
from zen_tui.simulator.server import SimulatorServer

SUNSET = "Wed, 01 Jul 2026 00:00:00 GMT"


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=13, size=120) as sim:
        yield sim


def gateway(server: SimulatorServer, bus: EventBus, clock: FakeClock | None = None) -> Gateway:
    github = server.account("github")
    return Gateway(
        account="github:me",
        service="github",
        base_url=github.base_url,
        settings=default_settings("github"),
        credentials=StaticCredentialProvider({"github:me": Credential(github.token)}),
        bus=bus,
        clock=clock,
    )


async def test_deprecation_headers_reach_gateway_health(server: SimulatorServer) -> None:
    server.set_faults(
        [{"service": "github", "endpoint": "/user", "deprecation": "true", "sunset": SUNSET}]
    )
    bus, seen = EventBus(), []
    bus.subscribe(seen.append)
    gw = gateway(server, bus)
    try:
        response = await gw.request("GET", "/user")
        assert response.status == 200  # the gateway's User-Agent passed GitHub's check
        other = await gw.request("GET", "/rate_limit")
        assert other.status == 200
    finally:
        await gw.aclose()
        server.clear_faults()
    [warning] = gw.health().deprecations
    assert "/user" in warning and SUNSET in warning
    assert [e.endpoint for e in seen if isinstance(e, ApiDeprecation)] == ["/user"]


async def test_a_secondary_limit_without_retry_after_waits_a_minute_not_the_hour(
    server: SimulatorServer,
) -> None:
    """429, no retry-after, x-ratelimit-remaining above 0: GitHub's docs say wait at least a
    minute. x-ratelimit-reset is when the primary (hourly) window ends: waiting for it would
    hold a pane as 'rate limited' for up to an hour after a one-minute limit."""
    server.set_faults(
        [{"service": "github", "endpoint": "/user", "rate_limit_rate": 1.0, "retry_after": 0}]
    )
    clock = FakeClock(start=time.time())
    gw = gateway(server, EventBus(), clock)
    try:
        with pytest.raises(RateLimited) as caught:
            await gw.request("GET", "/user")
    finally:
        await gw.aclose()
        server.clear_faults()
    assert all(59 <= wait <= 61 for wait in clock.sleeps)  # if it waited in the call at all
    assert caught.value.retry_at is not None
    assert 59 <= caught.value.retry_at - clock.time() <= 61


async def test_secondary_limits_in_a_row_wait_exponentially_longer(
    server: SimulatorServer,
) -> None:
    """GitHub's docs: after a secondary limit that names no time, wait at least a minute; if
    it goes on, wait exponentially longer between tries. Each one in a row doubles the pause
    (60, 120, 240 s ...); a usable answer ends the run, and the next one waits a minute."""
    limit = {"service": "github", "endpoint": "/user", "rate_limit_rate": 1.0, "retry_after": 0}
    server.set_faults([limit])
    clock = FakeClock(start=time.time())
    gw = gateway(server, EventBus(), clock)
    waits: list[float] = []

    async def limited() -> None:
        with pytest.raises(RateLimited) as caught:
            await gw.request("GET", "/user", deadline=1.0)  # no waiting inside the call
        assert caught.value.retry_at is not None
        waits.append(round(caught.value.retry_at - clock.time()))
        await clock.sleep(caught.value.retry_at - clock.time())  # the pause, honoured

    try:
        for _ in range(6):
            await limited()
        server.clear_faults()
        assert (await gw.request("GET", "/user")).status == 200
        server.set_faults([limit])
        await limited()
    finally:
        await gw.aclose()
        server.clear_faults()
    assert waits == [60, 120, 240, 480, 960, 960, 60]  # doubling, at most 16 minutes


async def test_one_secondary_limit_met_by_calls_in_flight_together_waits_a_minute(
    server: SimulatorServer,
) -> None:
    """A bulk's calls sent together all meet the same limit: their answers are one limit,
    not several in a row, so the pause stays a minute rather than doubling per answer."""
    server.set_faults(
        [{"service": "github", "endpoint": "/user", "rate_limit_rate": 1.0, "retry_after": 0}]
    )
    clock = FakeClock(start=time.time())
    gw = gateway(server, EventBus(), clock)
    try:
        answers = await asyncio.gather(
            *(gw.request("GET", "/user", deadline=1.0) for _ in range(4)),
            return_exceptions=True,
        )
    finally:
        await gw.aclose()
        server.clear_faults()
    assert all(isinstance(a, RateLimited) for a in answers)
    waits = {round(a.retry_at - clock.time()) for a in answers if isinstance(a, RateLimited)}
    assert waits == {60}
