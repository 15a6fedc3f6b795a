"""Cache-aside: freshness, conditional requests, persistence, eviction, single flight, stale."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from msgspec.structs import replace

from zen_tui.gateway import CachedEntry, FakeClock, Unavailable
from zen_tui.gateway.cache import ResponseCache, SingleFlight, cache_key, make_entry, refreshed
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.errors import BadResponse
from zen_tui.gateway.events import CacheEvicted
from zen_tui.gateway.settings import CacheSettings, CacheTypeSettings
from zen_tui.store import Store
from zen_tui.wiring import StoreCache

from .conftest import TOKEN, settings_for


class DictPersistentCache:
    def __init__(self) -> None:
        self.entries: dict[str, CachedEntry] = {}

    def load(self, key: str) -> CachedEntry | None:
        return self.entries.get(key)

    def save(self, key: str, entry: CachedEntry) -> None:
        self.entries[key] = entry

    def keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        # No saved login here (store/records.py keeps it for a local login): owner's alone.
        for key in [k for k in self.entries if k.startswith(f"{account}@")]:
            if owner is None or not key.startswith(f"{owner} "):
                del self.entries[key]

    def login_is(self, account: str, login: str | None) -> None:
        pass


ETAG = '"v1"'


async def test_fresh_hit_spends_no_token_and_no_request(router, make_gateway):
    route = router.get("/user").respond(200, json={"login": "me"}, headers={"ETag": ETAG})
    gw = make_gateway()
    first = await gw.request("GET", "/user", cache_type="user_info")
    tokens = gw.health().buckets["core"].tokens
    second = await gw.request("GET", "/user", cache_type="user_info")
    assert (first.cache, second.cache) == ("miss", "hit")
    assert second.json() == {"login": "me"}
    assert route.call_count == 1
    assert gw.health().buckets["core"].tokens == tokens


async def test_stale_entry_revalidates_and_304_returns_cached_body(router, make_gateway, clock):
    route = router.get("/pulls")
    route.side_effect = [
        httpx.Response(200, json=[1, 2], headers={"ETag": ETAG}),
        httpx.Response(304, headers={"ETag": ETAG}),
    ]
    gw = make_gateway()
    await gw.request("GET", "/pulls", cache_type="listing")
    clock.advance(31)  # listing TTL is 30 s
    again = await gw.request("GET", "/pulls", cache_type="listing")
    assert route.calls[1].request.headers["If-None-Match"] == ETAG
    assert (again.cache, again.json(), again.status) == ("revalidated", [1, 2], 200)
    assert again.fetched_at == clock.time()
    third = await gw.request("GET", "/pulls", cache_type="listing")
    assert third.cache == "hit"  # the 304 made the entry fresh again


async def test_last_modified_becomes_if_modified_since(router, make_gateway, clock):
    stamp = "Tue, 14 Nov 2023 22:00:00 GMT"
    route = router.get("/lm")
    route.side_effect = [
        httpx.Response(200, json={}, headers={"Last-Modified": stamp}),
        httpx.Response(304),
    ]
    gw = make_gateway()
    await gw.request("GET", "/lm", cache_type="listing")
    clock.advance(60)
    await gw.request("GET", "/lm", cache_type="listing")
    assert route.calls[1].request.headers["If-Modified-Since"] == stamp


async def test_persistent_cache_makes_a_new_gateway_revalidate(router, make_gateway, clock):
    store = DictPersistentCache()
    route = router.get("/repos/o/r")
    route.side_effect = [
        httpx.Response(200, json={"id": 7}, headers={"ETag": ETAG, "Set-Cookie": "s=1"}),
        httpx.Response(304),
    ]
    await make_gateway(persistent_cache=store).request("GET", "/repos/o/r", cache_type="listing")
    [(key, saved)] = store.entries.items()
    assert TOKEN not in key and TOKEN.encode() not in saved.body
    assert "set-cookie" not in saved.headers and saved.etag == ETAG
    assert "content-length" not in saved.headers  # the stored body is decoded
    clock.advance(31)
    restarted = make_gateway(persistent_cache=store)
    response = await restarted.request("GET", "/repos/o/r", cache_type="listing")
    assert route.calls[1].request.headers["If-None-Match"] == ETAG
    assert (response.cache, response.json()) == ("revalidated", {"id": 7})


@pytest.mark.parametrize(
    ("garbled", "kind"),
    [
        (b'{"items": [{"id": 1}, {"id"', "application/json"),
        (b'{"items": [{"id": 1,, ', "application/json"),
        (b"<html>502 Bad Gateway</html>", "application/json"),
        (b"<html>Sign in to the wifi</html>", "text/html"),
    ],
    ids=["cut short", "garbled", "not json", "a web page"],
)
async def test_a_garbled_json_answer_is_not_kept(make_gateway, clock, garbled: bytes, kind: str):
    """A body cut short or garbled (a proxy, a connection its length did not catch) under
    the real answer's ETag was kept: every read within its TTL failed on it, and after, the
    server's 304 (the ETag is the data's) confirmed it again, until the data changed."""
    good = {"items": [{"id": 1}, {"id": 2}]}
    sent: list[str | None] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("If-None-Match"))
        if len(sent) == 1:
            headers = {"ETag": ETAG, "Content-Type": kind}
            return httpx.Response(200, content=garbled, headers=headers)
        if request.headers.get("If-None-Match") == ETAG:
            return httpx.Response(304, headers={"ETag": ETAG})
        return httpx.Response(200, json=good, headers={"ETag": ETAG})

    gw = make_gateway(handler=server)
    first = await gw.request("GET", "/search", cache_type="listing")
    with pytest.raises(BadResponse):
        first.json()
    clock.advance(1)  # inside the TTL: asked again, not a hit of the garbled copy
    assert (await gw.request("GET", "/search", cache_type="listing")).json() == good
    clock.advance(31)  # past it: the good copy's ETag is revalidated
    again = await gw.request("GET", "/search", cache_type="listing")
    assert (again.cache, again.json()) == ("revalidated", good)
    assert sent == [None, None, ETAG]


async def test_allow_stale_returns_the_stale_entry_with_the_error(router, make_gateway, clock):
    route = router.get("/board")
    route.side_effect = [httpx.Response(200, json={"v": 1}), httpx.Response(503)]
    gw = make_gateway(settings_for(max_attempts=1))
    await gw.request("GET", "/board", cache_type="listing")
    clock.advance(100)
    stale = await gw.request("GET", "/board", cache_type="listing", allow_stale=True)
    assert (stale.cache, stale.json()) == ("stale", {"v": 1})
    assert isinstance(stale.stale_error, Unavailable)
    assert stale.fetched_at == clock.time() - 100
    assert gw.health().stale_served == 1


async def test_without_allow_stale_the_error_is_raised(router, make_gateway, clock):
    route = router.get("/board")
    route.side_effect = [httpx.Response(200, json={}), httpx.Response(500)]
    gw = make_gateway(settings_for(max_attempts=1))
    await gw.request("GET", "/board", cache_type="listing")
    clock.advance(100)
    with pytest.raises(Unavailable):
        await gw.request("GET", "/board", cache_type="listing")


async def test_single_flight_shares_one_http_call(make_gateway):
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return httpx.Response(200, json={"n": calls})

    gw = make_gateway(handler=handler)
    params = {"b": 2, "a": 1}
    calls_ = [gw.request("GET", "/same", params=params, cache_type="listing") for _ in range(8)]
    results = await asyncio.gather(*calls_)
    assert calls == 1
    assert {r.body for r in results} == {b'{"n":1}'}
    # the riders get the one call's answer and outcome (the server was asked), marked shared
    assert [r.cache for r in results] == ["miss"] * 8
    assert sorted(r.shared for r in results) == [False] + [True] * 7


async def test_cache_disabled_or_no_type_bypasses(router, make_gateway):
    route = router.get("/u").respond(200, json={})
    s = settings_for()
    gw = make_gateway(replace(s, cache=replace(s.cache, enabled=False)))
    for _ in range(2):
        assert (await gw.request("GET", "/u", cache_type="user_info")).cache == "bypass"
    assert (await make_gateway().request("GET", "/u")).cache == "bypass"
    assert route.call_count == 3


def test_key_has_account_method_url_and_sorted_params_never_token() -> None:
    a = cache_key("github:me", "get", "https://h/x", {"b": 2, "a": 1})
    assert a == cache_key("github:me", "GET", "https://h/x", {"a": 1, "b": 2})
    assert a != cache_key("github:work", "GET", "https://h/x", {"a": 1, "b": 2})
    assert a == "github:me GET https://h/x?a=1&b=2"


def test_unknown_cache_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown cache type 'nope'; use one of"):
        ResponseCache(CacheSettings()).get("nope", "k")


def _cache(policy: str, evicted: list[str]) -> ResponseCache:
    types = {"t": CacheTypeSettings(ttl=60, maxsize=3, policy=policy)}  # type: ignore[arg-type]
    return ResponseCache(CacheSettings(types=types), on_evict=evicted.append)


def _put(cache: ResponseCache, key: str) -> None:
    cache.put("t", key, make_entry(200, {}, key.encode(), 0.0))


@pytest.mark.parametrize(
    ("policy", "victim"),
    [
        ("lru", "c"),  # read longest ago
        ("lfu", "b"),  # read least often
        ("fifo", "a"),  # went in first; reads do not matter
    ],
)
def test_each_eviction_policy_evicts_the_right_entry(policy: str, victim: str) -> None:
    evicted: list[str] = []
    cache = _cache(policy, evicted)
    for key in "abc":
        _put(cache, key)
    for key in "ccbaaa":  # frequencies a=3, b=1, c=2; recency c < b < a
        cache.get("t", key)
    _put(cache, "d")
    assert set(cache.keys("t")) == {"a", "b", "c", "d"} - {victim}
    assert evicted == ["t"]


async def test_eviction_emits_cache_evicted(router, make_gateway, recorder):
    router.get(path__regex=r"/i/\d+").respond(200, json={})
    s = settings_for()
    tiny = {"issue_details": CacheTypeSettings(ttl=30, maxsize=1)}
    gw = make_gateway(replace(s, cache=replace(s.cache, types=tiny)))
    await gw.request("GET", "/i/1", cache_type="issue_details")
    await gw.request("GET", "/i/2", cache_type="issue_details")
    assert [e.cache_type for e in recorder.of(CacheEvicted)] == ["issue_details"]


def test_a_304_keeps_the_validators_it_does_not_repeat_and_takes_the_ones_it_sends() -> None:
    # Losing the ETag after a bare 304 would turn every later poll into a full download.
    entry = make_entry(200, {"ETag": ETAG, "Last-Modified": "Mon, 01 Jan 2024"}, b"[]", 1.0)
    bare = refreshed(entry, {}, 2.0)
    assert (bare.etag, bare.last_modified, bare.fetched_at) == (ETAG, "Mon, 01 Jan 2024", 2.0)
    new = refreshed(entry, {"etag": '"v2"', "last-modified": "Tue, 02 Jan 2024"}, 3.0)
    assert (new.etag, new.last_modified, new.body) == ('"v2"', "Tue, 02 Jan 2024", b"[]")


def test_read_through_promotes_a_hit_and_a_miss_takes_no_slot() -> None:
    loads: list[str] = []

    class CountingDisk(DictPersistentCache):
        def load(self, key: str) -> CachedEntry | None:
            loads.append(key)
            return super().load(key)

    disk = CountingDisk()
    one = CacheSettings(types={"t": CacheTypeSettings(ttl=60, maxsize=1)})
    cache = ResponseCache(one, disk)
    disk.entries["a"] = make_entry(200, {}, b"a", 1.0)
    assert cache.get("t", "a") == cache.get("t", "a") == disk.entries["a"]  # body included
    assert loads == ["a"]  # the second read came from memory
    assert cache.get("t", "missing") is None
    assert cache.keys("t") == ["a"]  # a miss did not push the one real entry out


def listing_page(n: int, seed: int = 0) -> bytes:
    """A JSON listing page shaped like a search answer: `n` items, repetitive keys."""
    rng = random.Random(seed)
    items = [
        {
            "id": rng.randrange(10**9),
            "title": f"Item {i}: fix the {rng.choice(['cache', 'login', 'store'])} path",
            "state": rng.choice(["open", "closed"]),
            "user": {"login": rng.choice(["me", "ada", "bob"]), "type": "User"},
            "updated_at": f"2026-12-0{rng.randrange(1, 7)}T1{rng.randrange(10)}:00:00Z",
            "labels": [{"name": "bug", "color": "d73a4a"}] * rng.randrange(3),
        }
        for i in range(n)
    ]
    return json.dumps({"total_count": n, "items": items}).encode()


def test_memory_keeps_a_body_packed() -> None:
    # Each listing page a session fetched was held whole in memory beside the store's copy:
    # 15.5 MiB at a 10,000-item start. Memory packs it (1.2 MiB there) and gives it whole.
    disk = DictPersistentCache()
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}), disk)
    entry = make_entry(200, {"ETag": ETAG}, listing_page(300), 1.0)
    cache.put("t", "a", entry)
    assert len(cache._cache("t")["a"].packed) < len(entry.body) / 4
    assert cache.get("t", "a") == entry == disk.entries["a"]


def test_a_304_keeps_the_packed_body_of_the_entry_it_confirmed() -> None:
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}))
    cache.put("t", "a", make_entry(200, {"ETag": ETAG}, listing_page(50), 1.0))
    packed = cache._cache("t")["a"].packed
    before = cache.get("t", "a")
    assert before is not None
    new = cache.revalidated("t", "a", before, {"etag": '"v2"'}, 5.0)
    assert new == refreshed(before, {"etag": '"v2"'}, 5.0) == cache.get("t", "a")
    assert cache._cache("t")["a"].packed is packed  # not packed again at each poll


def test_a_304_for_an_entry_replaced_meanwhile_stores_the_body_it_confirmed() -> None:
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}))
    cache.put("t", "a", make_entry(200, {"ETag": ETAG}, b"[1]", 1.0))
    before = cache.get("t", "a")
    assert before is not None
    cache.put("t", "a", make_entry(200, {"ETag": '"v2"'}, b"[2]", 2.0))  # a 200 meanwhile
    new = cache.revalidated("t", "a", before, {}, 3.0)
    assert cache.get("t", "a") == new and (new.body, new.etag) == (b"[1]", ETAG)


async def test_a_gateway_whose_rows_another_login_deleted_still_sends_its_etag(
    router: respx.MockRouter, make_gateway: Any, clock: FakeClock, tmp_path: Path
) -> None:
    # Another login's gateway (another zen-tui, `zen-tui sync --once` after a token
    # refresh) deletes this login's rows from the shared store at its first call, while
    # this gateway still sends as its login. With bodies on disk only, its polls then
    # downloaded every page whole (GitHub spends no rate limit on a 304, but does on each
    # 200), until its search limit ran out and its sections sent nothing at all.
    route = router.get("/search/issues")
    route.side_effect = [
        httpx.Response(200, json={"items": [1]}, headers={"ETag": ETAG}),
        httpx.Response(200, json={"items": [2]}, headers={"ETag": '"ada"'}),
        httpx.Response(304, headers={"ETag": ETAG}),
    ]
    with Store.open(tmp_path / "zen-tui.db") as store:
        shared = StoreCache(store)
        mine = make_gateway(persistent_cache=shared)
        await mine.request("GET", "/search/issues", cache_type="listing")
        ada = make_gateway(persistent_cache=shared, credential=Credential("fake-token-ada"))
        await ada.request("GET", "/search/issues", cache_type="listing")
        [mine_key] = mine._cache.keys("listing")
        assert store.http_get(mine_key) is None  # gone from the store
        clock.advance(31)  # listing TTL is 30 s
        again = await mine.request("GET", "/search/issues", cache_type="listing")
    assert route.calls[2].request.headers.get("If-None-Match") == ETAG
    assert (again.cache, again.json()) == ("revalidated", {"items": [1]})


@pytest.mark.parametrize("seed", range(30))
def test_each_login_gets_what_it_stored_last_whatever_other_logins_delete(seed: int) -> None:
    """Three logins' caches over one disk, in seeded random order: stores, 304s (some for
    an entry another 200 replaced meanwhile), other logins deleting all but their own rows
    (keep_only, a logout: all), restarts. Each cache gives back what it stored or confirmed
    last, body included; a restarted one, what the disk holds."""
    rng = random.Random(seed)
    disk = DictPersistentCache()
    logins = ["gh@a", "gh@b", "gh@c"]
    settings = CacheSettings(types={"t": CacheTypeSettings(ttl=60, maxsize=100)})
    caches = {who: ResponseCache(settings, disk) for who in logins}
    held: dict[str, dict[str, CachedEntry]] = {who: {} for who in logins}  # the model
    for step in range(200):
        who = rng.choice(logins)
        key = f"{who} GET /search?page={rng.randrange(3)}"
        cache, mine = caches[who], held[who]
        expected = mine.get(key) or disk.entries.get(key)
        op = rng.choice(("put", "put", "304", "304", "keep_only", "restart"))
        if op == "put":
            body = listing_page(rng.randrange(1, 20), seed=step)
            mine[key] = make_entry(200, {"ETag": f'"{step}"'}, body, float(step))
            cache.put("t", key, mine[key])
        elif op == "304" and expected is not None:
            before = cache.get("t", key)
            assert before == expected
            if rng.random() < 0.3:  # a 200 stored while the 304 was on its way
                cache.put("t", key, make_entry(200, {}, b"[]", float(step)))
            mine[key] = cache.revalidated("t", key, before, {}, float(step))
            assert mine[key] == refreshed(before, {}, float(step))
        elif op == "keep_only":
            disk.keep_only("gh", rng.choice([None, *logins]))
        elif op == "restart":
            caches[who], held[who] = ResponseCache(settings, disk), {}
        cache, mine = caches[who], held[who]
        expected = mine.get(key) or disk.entries.get(key)
        assert cache.get("t", key) == expected
        if expected is not None:
            mine[key] = expected  # read through: held from now on


def test_without_a_disk_memory_keeps_the_whole_entry() -> None:
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}))
    entry = make_entry(200, {}, b"body", 1.0)
    cache.put("t", "a", entry)
    assert cache.get("t", "a") == entry


def test_an_entry_is_fresh_for_less_than_its_ttl() -> None:
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}))
    entry = make_entry(200, {}, b"", 1000.0)
    assert cache.is_fresh("t", entry, 1059.5) and not cache.is_fresh("t", entry, 1060.0)


async def test_waiters_counts_the_callers_riding_on_one_fetch() -> None:
    flights = SingleFlight()
    release = asyncio.Event()

    async def fetch() -> str:
        await release.wait()
        return "body"

    callers = [asyncio.create_task(flights.run("k", fetch)) for _ in range(3)]
    await asyncio.sleep(0)
    assert (flights.waiters("k"), flights.waiters("other")) == (3, 0)
    release.set()
    assert [r for r, _ in await asyncio.gather(*callers)] == ["body"] * 3
    assert flights.waiters("k") == 0 and not flights.in_flight("k")
