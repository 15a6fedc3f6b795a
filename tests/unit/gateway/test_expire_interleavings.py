"""expire() (an own write changed what a cached GET says) against answers in flight.

The rule, pinned here: an answer to a request sent before the latest expire() of its key is
never served as fresh (it may say what was true before the write), and an answer to a
request sent after it is, for its TTL, unless one sent later replaced it. "Before" is the
order of the events, not of clock readings: a send and an expire() at one clock reading
(the virtual clock's, a coarse wall clock's) still happened one after the other.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.cache import CachedEntry, ResponseCache, make_entry
from zen_tui.gateway.settings import CacheSettings, CacheTypeSettings

from .conftest import GatewayFactory

TYPE, PATH, TTL = "issue_details", "/issue/1", 30.0  # its TTL: gateway/settings.py


def _cache() -> ResponseCache:
    return ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}))


def _entry(body: bytes, at: float, etag: str = '"v1"') -> CachedEntry:
    return make_entry(200, {"ETag": etag}, body, at)


def test_a_fresh_answer_landing_first_keeps_the_expire_for_the_older_one() -> None:
    """Requests A (before the write) and B (after) in flight; B lands first, then A: A is
    stored stale and does not replace B, which stays fresh. Before, B's landing dropped the
    expire mark, and A then went in fresh over it, the state from before the write."""
    cache = _cache()
    cache.put("t", "k", _entry(b"old", 0.0))
    a = cache.sent(10.0)
    cache.expire("t", "k", 10.0)
    b = cache.sent(11.0)
    cache.put("t", "k", _entry(b"new", b.at, '"v2"'), b)
    cache.put("t", "k", _entry(b"old", a.at), a)
    held = cache.get("t", "k")
    assert held is not None and held.body == b"new" and cache.is_fresh("t", held, 12.0)


def test_an_older_answer_never_replaces_a_newer_one() -> None:
    """No expire at all: the answer to the later request is the newer evidence, whichever
    lands last (a 200 or a 304 confirming what the earlier request had)."""
    cache = _cache()
    first, second = cache.sent(1.0), cache.sent(2.0)
    cache.put("t", "k", _entry(b"second", second.at, '"v2"'), second)
    cache.put("t", "k", _entry(b"first", first.at), first)
    before = _entry(b"first", 0.0)
    cache.revalidated("t", "k", before, {}, first.at, first)
    held = cache.get("t", "k")
    assert held is not None and (held.body, held.fetched_at) == (b"second", 2.0)


def test_a_send_and_an_expire_at_one_clock_reading_keep_their_order() -> None:
    """At the same clock reading: a request sent before the expire is stale, one sent
    after it fresh. Before, both counted as sent after (a time compare: >=)."""
    cache = _cache()
    before = cache.sent(5.0)
    cache.expire("t", "k", 5.0)
    cache.put("t", "k", _entry(b"before", 5.0), before)
    held = cache.get("t", "k")
    assert held is not None and not cache.is_fresh("t", held, 5.0)
    after = cache.sent(5.0)
    cache.put("t", "k", _entry(b"after", 5.0), after)
    held = cache.get("t", "k")
    assert held is not None and held.body == b"after" and cache.is_fresh("t", held, 5.0)


def test_expire_ages_an_entry_once_and_keeps_what_it_knows_of_it() -> None:
    """Expiring twice, or an entry fetched at the expire's own clock reading, leaves it
    stale (never fresh again by the mark going), and an answer in flight from before
    either expire is still stored stale."""
    cache = _cache()
    early = cache.sent(3.0)
    cache.put("t", "k", _entry(b"x", 3.0), cache.sent(3.0))
    cache.expire("t", "k", 3.0)
    cache.expire("t", "k", 4.0)
    held = cache.get("t", "k")
    assert held is not None and not cache.is_fresh("t", held, 4.0)
    cache.put("t", "k", _entry(b"y", 3.0, '"v0"'), early)
    held = cache.get("t", "k")
    assert held is not None and not cache.is_fresh("t", held, 4.0)


class Server:
    """One issue, at a version an own write moves on; each request is answered as the server
    held the issue when the request arrived (a 304 when its ETag is current), and held back
    until the test lets the answer land."""

    def __init__(self) -> None:
        self.version = 0
        self.held: list[asyncio.Event] = []
        self.arrived = 0
        self.auto = False  # answer at once (a probe that must not reach the server)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        version, etag = self.version, f'"{self.version}"'
        self.arrived += 1
        if not self.auto:
            gate = asyncio.Event()
            self.held.append(gate)
            await gate.wait()
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, json={"v": version}, headers={"ETag": etag})


class World:
    """Reads (plain ones, which may ride on a fetch under way, and revalidating ones) started
    and landing in a random order, own writes (the server's version moves on, then
    expire()), the clock moving; each read remembers the server's version at the latest
    expire() before it began, and each landed request when it was sent."""

    def __init__(self, rng: random.Random, gw: Gateway, server: Server, clock: FakeClock):
        self.rng, self.gw, self.server, self.clock = rng, gw, server, clock
        self.expired_version = 0  # the server's version at the latest expire()
        self.writes = 0  # expire() calls so far
        self.reads: list[tuple[asyncio.Task[Any], int, int]] = []  # task, expired, writes

    async def start(self, revalidate: bool) -> None:
        read = self.gw.request("GET", PATH, cache_type=TYPE, revalidate=revalidate)
        task = asyncio.ensure_future(read)
        self.reads.append((task, self.expired_version, self.writes))
        arrived = self.server.arrived
        for _ in range(50):  # until it is answered from the cache, or reaches the server
            if task.done() or self.server.arrived > arrived:
                return
            await asyncio.sleep(0)
        # else it rides on a fetch under way

    def write(self) -> None:
        self.server.version += 1
        self.gw.expire(TYPE, PATH)
        self.expired_version, self.writes = self.server.version, self.writes + 1

    async def land(self) -> None:
        if self.server.held:
            self.server.held.pop(self.rng.randrange(len(self.server.held))).set()
            for _ in range(50):
                await asyncio.sleep(0)

    async def check(self, where: str) -> None:
        """No read begun after an expire() is answered from the cache (a hit, or a ride on
        a fetch) with what the server held before it. A read that reached the server after
        the latest expire(), landed within its TTL: the next read is a hit, as new."""
        for task, expired, writes in [r for r in self.reads if r[0].done()]:
            self.reads.remove((task, expired, writes))
            if task.exception() is not None:  # out of time while held back: no answer
                continue
            got = task.result()
            if got.cache == "hit" or got.shared:
                assert got.json()["v"] >= expired, (where, "served an answer from before")
            elif writes == self.writes and self.clock.time() - got.fetched_at < TTL:
                await self.probe(where, got.json()["v"])

    async def probe(self, where: str, landed: int) -> None:
        self.server.auto = True
        arrived = self.server.arrived
        read = self.gw.request("GET", PATH, cache_type=TYPE)
        got = await asyncio.wait_for(read, 5.0)  # a hit is at once; a ride would wait
        self.server.auto = False
        assert self.server.arrived == arrived and got.cache == "hit", (where, "not fresh")
        assert got.json()["v"] >= landed, (where, "an older answer replaced it")


@pytest.mark.parametrize("seed", range(40))
async def test_expire_against_answers_in_flight_randomised(
    make_gateway: GatewayFactory, clock: FakeClock, seed: int
) -> None:
    rng = random.Random(seed)
    server = Server()
    gw = make_gateway(handler=server.handle)
    world = World(rng, gw, server, clock)
    steps = ["read", "read", "revalidate", "write", "land", "land", "land", "tick"]
    for n in range(120):
        kind = rng.choice(steps)
        if kind in ("read", "revalidate"):
            await world.start(revalidate=kind == "revalidate")
        elif kind == "write":
            world.write()
        elif kind == "land":
            await world.land()
        else:
            clock.advance(rng.choice([0.0, 0.0, 1.0, 5.0, TTL + 1]))
        await world.check(f"seed {seed} step {n} {kind}")
    while server.held:
        await world.land()
        await world.check(f"seed {seed} at the end")
    assert not world.reads
