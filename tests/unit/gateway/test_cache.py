"""Cache-aside: freshness, conditional requests, persistence, eviction, single flight, stale."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from msgspec.structs import replace

from zen_tui.gateway import CachedEntry, Unavailable
from zen_tui.gateway.cache import ResponseCache, SingleFlight, cache_key, make_entry, refreshed
from zen_tui.gateway.events import CacheEvicted
from zen_tui.gateway.settings import CacheSettings, CacheTypeSettings

from .conftest import TOKEN, settings_for


class DictPersistentCache:
    def __init__(self) -> None:
        self.entries: dict[str, CachedEntry] = {}

    def load(self, key: str) -> CachedEntry | None:
        return self.entries.get(key)

    def save(self, key: str, entry: CachedEntry) -> None:
        self.entries[key] = entry

    def keep_only(self, account: str, owner: str | None) -> None:
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
    assert sorted(r.cache for r in results) == ["hit"] * 7 + ["miss"]


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


def test_read_through_gives_a_slot_to_a_hit_and_none_to_a_miss() -> None:
    disk = DictPersistentCache()
    one = CacheSettings(types={"t": CacheTypeSettings(ttl=60, maxsize=1)})
    cache = ResponseCache(one, disk)
    disk.entries["a"] = make_entry(200, {}, b"a", 1.0)
    assert cache.get("t", "a") == cache.get("t", "a") == disk.entries["a"]  # body included
    assert cache.get("t", "missing") is None
    assert cache.keys("t") == ["a"]  # a miss did not push the one real entry out


def test_memory_keeps_no_body_of_a_persisted_entry() -> None:
    # Each listing page a session fetched was held twice (memory and disk): 15 MiB at a
    # 10,000-item first sync. Memory keeps the slot; the body is read back when needed.
    disk = DictPersistentCache()
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}), disk)
    entry = make_entry(200, {"ETag": ETAG}, b"x" * 100_000, 1.0)
    cache.put("t", "a", entry)
    held = cache._cache("t")["a"]
    assert held.body == b"" and held.etag == ETAG
    assert cache.get("t", "a") == entry and cache._cache("t")["a"].body == b""


def test_a_slot_whose_entry_left_the_disk_is_a_miss() -> None:
    # Another login's entries are dropped on disk (keep_only): memory never serves them.
    disk = DictPersistentCache()
    cache = ResponseCache(CacheSettings(types={"t": CacheTypeSettings(ttl=60)}), disk)
    cache.put("t", "gh@old GET /x", make_entry(200, {}, b"old", 1.0))
    disk.keep_only("gh", "gh@new")
    assert cache.get("t", "gh@old GET /x") is None
    assert cache.keys("t") == []


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
