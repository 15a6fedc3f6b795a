"""Single flight with Go's semantics: a caller who leaves takes nobody else's call with it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable

import httpx
import pytest

from zen_tui.gateway import ApiError, Priority
from zen_tui.gateway.cache import SingleFlight
from zen_tui.gateway.events import RequestDone

PR = "/repos/o/r/pulls/7"


class Upstream:
    """A handler that holds every request until released, and sees its own cancellation."""

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return httpx.Response(200, json={"number": 7, "call": self.calls})


async def _turns(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_cancelled_leader_does_not_cancel_the_poll_that_shares_its_read(make_gateway):
    # The preview (interactive, cancelled on every cursor move) leads; the poller's PR
    # enrichment joins the same issue_details read. Moving the cursor must not end the poll.
    upstream = Upstream()
    gw = make_gateway(handler=upstream)
    preview = asyncio.create_task(
        gw.request("GET", PR, cache_type="issue_details", priority=Priority.INTERACTIVE)
    )
    await _turns()
    poll = asyncio.create_task(gw.request("GET", PR, cache_type="issue_details"))
    await _turns()
    preview.cancel()
    await _turns()
    upstream.release.set()
    response = await poll
    assert preview.cancelled()
    assert (response.status, response.json()["number"]) == (200, 7)
    assert (upstream.calls, upstream.cancelled) == (1, 0)


async def test_when_every_caller_leaves_the_fetch_is_cancelled_and_the_next_starts_afresh(
    make_gateway,
):
    upstream = Upstream()
    gw = make_gateway(handler=upstream)
    callers = [
        asyncio.create_task(gw.request("GET", PR, cache_type="issue_details")) for _ in range(3)
    ]
    await _turns()
    for caller in callers:
        caller.cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    await _turns()
    assert (upstream.calls, upstream.cancelled) == (1, 1)
    # A caller arriving after that gets a new fetch, not the cancelled one's CancelledError.
    upstream.release.set()
    response = await gw.request("GET", PR, cache_type="issue_details")
    assert (response.status, response.cache, upstream.calls) == (200, "miss", 2)


async def test_a_ride_on_a_read_under_way_is_that_reads_answer_not_a_cache_hit(
    make_gateway, recorder
):
    """A caller that joins a read already on the wire gets what the server answered it,
    with its outcome (a miss here: the server was asked, so a section it lists is live),
    marked shared; its own RequestDone says `hit`, as it sent nothing (health's figures)."""
    upstream = Upstream()
    gw = make_gateway(handler=upstream)
    leader = asyncio.create_task(gw.request("GET", PR, cache_type="listing"))
    await _turns()
    rider = asyncio.create_task(gw.request("GET", PR, cache_type="listing"))
    await _turns()
    upstream.release.set()
    led, rode = await leader, await rider
    assert (led.cache, led.shared) == ("miss", False)
    assert (rode.cache, rode.shared, rode.fetched_at) == ("miss", True, led.fetched_at)
    assert upstream.calls == 1
    assert sorted(e.cache for e in recorder.of(RequestDone)) == ["hit", "miss"]
    assert gw.health().cache_hits == 1
    hit = await gw.request("GET", PR, cache_type="listing")  # within the TTL: the cache's
    assert (hit.cache, hit.shared, upstream.calls) == ("hit", False, 1)


async def test_an_error_reaches_every_caller_from_one_request(make_gateway):
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return httpx.Response(404, json={"message": "Not Found"})

    gw = make_gateway(handler=handler)
    results = await asyncio.gather(
        *(gw.request("GET", PR, cache_type="issue_details") for _ in range(4)),
        return_exceptions=True,
    )
    assert calls == 1
    assert all(isinstance(r, ApiError) and r.status == 404 for r in results)


@pytest.mark.parametrize("seed", range(200))
async def test_random_joins_and_cancellations_keep_the_singleflight_promise(seed: int) -> None:
    # Callers join at random turns and some are cancelled at random turns. Whatever the
    # order: a caller nobody cancelled gets the result of the fetch it joined; a fetch is
    # cancelled only when all its callers left, and then at once; the first caller leads.
    rng = random.Random(seed)
    flights = SingleFlight()
    generations = 0
    now = 0  # the driver's turn
    finished: dict[int, int] = {}  # fetch generation -> turn it ran to the end
    joined: dict[int, list[int]] = {}  # fetch generation -> callers who joined it

    def fetch() -> Awaitable[int]:  # numbered when started, not when first scheduled
        nonlocal generations
        generations += 1
        return body(generations)

    async def body(gen: int) -> int:
        await _turns(rng.randint(1, 30))
        finished[gen] = now
        return gen

    async def caller(n: int, join: int) -> tuple[int, int, bool]:
        await _turns(join)
        gen = generations if flights.in_flight("k") else generations + 1
        joined.setdefault(gen, []).append(n)
        result, shared = await flights.run("k", fetch)
        return gen, result, shared

    plan = [(rng.randint(0, 40), rng.choice([None, rng.randint(0, 60)])) for _ in range(8)]
    tasks = [asyncio.create_task(caller(n, join)) for n, (join, _) in enumerate(plan)]
    left: dict[int, int] = {}  # caller -> turn it was cancelled while still waiting
    for now in range(80):
        for n, (task, (_join, leave)) in enumerate(zip(tasks, plan, strict=True)):
            if leave == now and not task.done():
                task.cancel()
                left[n] = now
        await asyncio.sleep(0)
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)

    stayed = {n: o for n, o in enumerate(outcomes) if isinstance(o, tuple)}
    assert set(stayed) == set(range(len(plan))) - set(left), outcomes  # nobody else was cancelled
    assert all(result == gen for gen, result, _ in stayed.values()), outcomes
    for gen, members in joined.items():
        everyone_left = all(n in left for n in members)
        if gen not in finished:  # cancelled: only because all its callers had gone
            assert everyone_left, (gen, members, outcomes)
        elif everyone_left:  # ran on: only if it finished in the turn the last one left
            assert max(left[n] for n in members) >= finished[gen], (gen, members, outcomes)
        leaders = [n for n in members if n in stayed and not stayed[n][2]]
        assert leaders in ([], [members[0]]), (gen, members, outcomes)
    assert generations == len(joined)
    assert not flights.in_flight("k")
