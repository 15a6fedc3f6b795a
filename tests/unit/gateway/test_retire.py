"""Gateway.retire: a gateway replaced after a login lets its running calls finish on it, and
closes its connections as soon as none runs (a late call opens and closes its own)."""

from __future__ import annotations

import asyncio

import httpx

from .conftest import GatewayFactory


async def test_a_call_running_at_retire_finishes_then_the_connections_close(
    make_gateway: GatewayFactory,
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            entered.set()
            await release.wait()
        return httpx.Response(200, json={"path": request.url.path})

    gateway = make_gateway(handler=handler)
    slow = asyncio.ensure_future(gateway.request("GET", "/slow"))
    await entered.wait()
    client = gateway._http()[0]
    await gateway.retire()
    assert gateway.in_flight == 1 and not client.is_closed  # the running call keeps them
    release.set()
    assert (await slow).json() == {"path": "/slow"}
    assert client.is_closed and gateway._built is None and gateway.in_flight == 0

    late = await gateway.request("GET", "/late")  # a client's second call of one read
    assert late.json() == {"path": "/late"} and gateway._built is None  # closed after it


async def test_an_idle_gateway_closes_at_retire(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(handler=lambda request: httpx.Response(200, json={}))
    await gateway.request("GET", "/x")
    client = gateway._http()[0]
    await gateway.retire()
    assert client.is_closed and gateway._built is None
