"""`revalidate=True`: a read made because something changed is never answered from a fresh
cache entry; it asks the server (conditionally, so an unchanged answer is a free 304)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_tui.gateway import Unavailable

from .conftest import settings_for

ETAG = '"v1"'


async def test_a_fresh_entry_is_revalidated_and_a_304_keeps_its_body(router, make_gateway, clock):
    route = router.get("/search")
    route.side_effect = [
        httpx.Response(200, json={"state": "open"}, headers={"ETag": ETAG}),
        httpx.Response(304, headers={"ETag": ETAG}),
    ]
    gw = make_gateway()
    await gw.request("GET", "/search", cache_type="listing")
    clock.advance(5)  # well inside the 30 s listing TTL: a plain read would be a hit
    again = await gw.request("GET", "/search", cache_type="listing", revalidate=True)
    assert route.call_count == 2
    assert route.calls[1].request.headers["If-None-Match"] == ETAG
    assert (again.cache, again.json()) == ("revalidated", {"state": "open"})
    assert again.fetched_at == clock.time()  # the server confirmed it just now
    assert gw.health().revalidations == 1


async def test_a_changed_answer_replaces_the_fresh_entry(router, make_gateway, clock):
    route = router.get("/search")
    route.side_effect = [
        httpx.Response(200, json={"state": "open"}, headers={"ETag": ETAG}),
        httpx.Response(200, json={"state": "closed"}, headers={"ETag": '"v2"'}),
    ]
    gw = make_gateway()
    await gw.request("GET", "/search", cache_type="listing")
    clock.advance(1)
    changed = await gw.request("GET", "/search", cache_type="listing", revalidate=True)
    plain = await gw.request("GET", "/search", cache_type="listing")
    assert (changed.cache, changed.json()) == ("miss", {"state": "closed"})
    assert (plain.cache, plain.json()) == ("hit", {"state": "closed"})  # the cache moved on


async def test_a_failed_revalidation_falls_back_to_the_stale_copy(router, make_gateway, clock):
    route = router.get("/search")
    route.side_effect = [httpx.Response(200, json={"v": 1}), httpx.Response(503)]
    gw = make_gateway(settings_for(max_attempts=1))
    await gw.request("GET", "/search", cache_type="listing")
    got = await gw.request(
        "GET", "/search", cache_type="listing", revalidate=True, allow_stale=True
    )
    assert (got.cache, got.json()) == ("stale", {"v": 1})
    assert isinstance(got.stale_error, Unavailable)


async def test_a_revalidation_never_rides_on_a_read_that_began_before_it(make_gateway):
    """A plain read in flight may carry the state from before the change: the revalidating
    read makes its own request and gets the server's answer from after it."""
    state = {"value": "open"}
    first_sent = asyncio.Event()
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen = state["value"]  # what the server holds when the request arrives
        if not first_sent.is_set():
            first_sent.set()
            await release.wait()
        return httpx.Response(200, json={"state": seen})

    gw = make_gateway(handler=handler)
    before = asyncio.create_task(gw.request("GET", "/search", cache_type="listing"))
    await first_sent.wait()
    state["value"] = "closed"  # the change happens while the plain read is in flight
    after = asyncio.create_task(gw.request("GET", "/search", cache_type="listing", revalidate=True))
    answered = await after
    release.set()
    old = await before
    assert answered.json() == {"state": "closed"} and answered.cache == "miss"
    assert old.json() == {"state": "open"}


@pytest.mark.parametrize("answer", [304, 200])
async def test_an_answer_sent_before_an_expire_is_stored_stale(router, make_gateway, clock, answer):
    """expire(): an own write changed what the entry says. A read already in flight (a
    poll) was sent before the write: its answer, a 304 or a 200, may be the old state and
    must not pass for fresh, or the next read is a hit showing what the write changed."""
    gate, polled_sent = asyncio.Event(), asyncio.Event()
    sent: list[float] = []

    async def server(request: httpx.Request) -> httpx.Response:
        sent.append(clock.time())
        if len(sent) == 2:  # the poll: its answer comes once the write landed
            polled_sent.set()
            await gate.wait()
            if answer == 304:
                return httpx.Response(304, headers={"ETag": ETAG})
        return httpx.Response(200, json={"state": "open"}, headers={"ETag": ETAG})

    router.get("/issue/1").mock(side_effect=server)
    gw = make_gateway()
    await gw.request("GET", "/issue/1", cache_type="issue_details")
    clock.advance(31)  # stale: the poll asks the server
    poll = asyncio.create_task(gw.request("GET", "/issue/1", cache_type="issue_details"))
    await polled_sent.wait()
    clock.advance(1)
    gw.expire("issue_details", "/issue/1")  # the write landed after the poll was sent
    gate.set()
    polled = await poll
    assert polled.json() == {"state": "open"}  # its answer, as of when it was sent
    after = await gw.request("GET", "/issue/1", cache_type="issue_details")
    assert after.cache != "hit" and len(sent) == 3
    again = await gw.request("GET", "/issue/1", cache_type="issue_details")
    assert again.cache == "hit"  # an answer sent after the write is fresh again
