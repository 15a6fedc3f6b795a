"""Cache-aside storage: per-type TTL, an eviction policy, stale entries kept for revalidation.

cachetools' TTLCache drops an expired value, and with it the ETag we need for a conditional
request and the body we need for stale-on-error, so entries live in an LRU/LFU/FIFO cache and
freshness is computed here from `fetched_at`.
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlencode

import msgspec
from cachetools import Cache, FIFOCache, LFUCache, LRUCache

from zen_tui.json_input import decoded

from .settings import CacheSettings, CacheTypeSettings, EvictionPolicy

T = TypeVar("T")
# The stored body is already decoded, so its wire framing no longer applies.
FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# Response headers a cached entry drops: framing, and anything tied to a session.
_DROP_HEADERS = FRAMING_HEADERS | {"set-cookie", "authorization", "www-authenticate"}


class CachedEntry(msgspec.Struct):
    """What the persistent cache stores; never request headers or tokens."""

    status: int
    headers: dict[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    fetched_at: float


class Sent(NamedTuple):
    """When a request went out (or expire() was called): its clock reading, then its place
    among the cache's sends and expire()s, so two at one clock reading (a coarse clock, a
    virtual one) still compare in the order they happened."""

    at: float
    seq: int


class PersistentCache(Protocol):
    def load(self, key: str) -> CachedEntry | None: ...

    def save(self, key: str, entry: CachedEntry) -> None: ...

    def keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        """Drop the account's entries but those `owner` (its current login) fetched; all of
        them when it has no login (None). A `local` login (Credential.local: one process's
        alone) keeps the account's saved login's entries too, for its user's return; any
        other login becomes the saved one. Called once per gateway, when it learns its
        login: the store also drops what an earlier login saved (store/logins.py)."""
        ...

    def login_is(self, account: str, login: str | None) -> None:
        """The account is logged in as `login` (Fingerprinter.of_user; None: logged out):
        what an earlier user saved is dropped, what it queued is held (store/logins.py)."""
        ...


def owner(account: str, identity: str) -> str:
    """An account under one login (see identity.py): the first part of its cache keys."""
    return f"{account}@{identity}"


def cache_key(who: str, method: str, url: str, params: Mapping[str, Any] | None) -> str:
    """owner (account@login fingerprint) + method + URL + sorted params; never the token."""
    query = urlencode(sorted((str(k), str(v)) for k, v in (params or {}).items()))
    return f"{who} {method.upper()} {url}" + (f"?{query}" if query else "")


def make_entry(status: int, headers: Mapping[str, str], body: bytes, now: float) -> CachedEntry:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _DROP_HEADERS}
    return CachedEntry(
        status=status,
        headers=kept,
        body=body,
        etag=kept.get("etag"),
        last_modified=kept.get("last-modified"),
        fetched_at=now,
    )


def keepable(body: bytes) -> bool:
    """Whether an answer may be kept: only whole JSON, what every cached read asks for. A
    body cut short or garbled (a proxy, a connection its length did not catch) under the
    real answer's ETag, once kept, failed every read within its TTL, and after it the
    server's 304 (the ETag is the data's) confirmed it again, until the data changed; a
    proxy's or sign-in page's HTML failed them for the TTL. Checked for structure only
    (msgspec's skip, a fifteenth of a parse): the caller parses it anyway."""
    try:
        decoded(_structure, body)
    except ValueError:  # msgspec's DecodeError, NestedTooDeeply
        return False
    return True


def _structure(body: bytes) -> object:
    return msgspec.json.decode(body, type=msgspec.Raw)


def refreshed(entry: CachedEntry, headers: Mapping[str, str], now: float) -> CachedEntry:
    """A 304 confirms the body: new fetched_at, and any validators the 304 carried."""
    etag = headers.get("etag") or entry.etag
    last_modified = headers.get("last-modified") or entry.last_modified
    return msgspec.structs.replace(entry, etag=etag, last_modified=last_modified, fetched_at=now)


_POLICIES: dict[EvictionPolicy, type[Cache[str, Any]]] = {
    "lru": LRUCache,
    "lfu": LFUCache,
    "fifo": FIFOCache,
}


def _evicting_cache(
    policy: EvictionPolicy, maxsize: int, on_evict: Callable[[], None]
) -> Cache[str, Any]:
    base = _POLICIES[policy]

    # The base is picked at run time (LRU, LFU, ...), which mypy cannot check as a base class.
    class _Counting(base):  # type: ignore[valid-type, misc]
        def popitem(self) -> tuple[str, Any]:
            item: tuple[str, Any] = super().popitem()
            on_evict()
            return item

    return _Counting(maxsize=max(1, maxsize))


class ResponseCache:
    """One policy-chosen cache per cache type, with optional write/read-through persistence."""

    def __init__(
        self,
        settings: CacheSettings,
        persistent: PersistentCache | None = None,
        on_evict: Callable[[str], None] | None = None,
    ) -> None:
        self._settings = settings
        self._persistent = persistent
        self._on_evict = on_evict or (lambda _type: None)
        self._caches: dict[str, Cache[str, _Held]] = {}
        self._order = itertools.count(1)  # Sent.seq
        # key -> when expire() last made it stale, and the type's TTL: an answer to a request
        # sent before then may predate the change (an own write) and is stored stale (see
        # _as_of_expiry). Kept a TTL long: an answer sent before it is stale by then anyway.
        self._expired: dict[str, tuple[Sent, float]] = {}

    def sent(self, now: float) -> Sent:
        """A request goes out now: its place in the order of sends and expire()s."""
        return Sent(now, next(self._order))

    def type_settings(self, cache_type: str) -> CacheTypeSettings:
        try:
            return self._settings.types[cache_type]
        except KeyError:
            known = ", ".join(sorted(self._settings.types))
            raise ValueError(f"unknown cache type {cache_type!r}; use one of: {known}") from None

    def _cache(self, cache_type: str) -> Cache[str, _Held]:
        if cache_type not in self._caches:
            ts = self.type_settings(cache_type)
            evicted = partial(self._on_evict, cache_type)
            self._caches[cache_type] = _evicting_cache(ts.policy, ts.maxsize, evicted)
        return self._caches[cache_type]

    def get(self, cache_type: str, key: str) -> CachedEntry | None:
        """The entry under `key`, its body whole: memory's copy, else the disk's (then kept)."""
        cache = self._cache(cache_type)
        held: _Held | None = cache.get(key)
        if held is not None:
            return held.unpacked()
        if self._persistent is None:
            return None
        entry = self._persistent.load(key)
        if entry is not None:
            cache[key] = _Held.of(entry, Sent(entry.fetched_at, 0))
        return entry

    def put(self, cache_type: str, key: str, entry: CachedEntry, sent: Sent | None = None) -> None:
        """Store the answer to a request `sent` then (None: just now). Never over the answer
        to a later request (older evidence: it may say what a change since undid)."""
        sent = sent or self.sent(entry.fetched_at)
        cache = self._cache(cache_type)
        held: _Held | None = cache.get(key)
        if held is not None and sent < held.sent:
            return
        entry = self._as_of_expiry(cache_type, key, entry, sent)
        cache[key] = _Held.of(entry, sent)
        if self._persistent is not None:
            self._persistent.save(key, entry)

    def revalidated(
        self,
        cache_type: str,
        key: str,
        entry: CachedEntry,
        headers: Mapping[str, str],
        now: float,
        sent: Sent | None = None,
    ) -> CachedEntry:
        """A 304 to a request `sent` then (None: at `now`) confirmed `entry` (as get() gave
        it before the request): stored refreshed (see refreshed(); as put() stores) and
        returned. Memory keeps the body it packed, if its copy is still that entry's: the
        body is unchanged, and packing it again at each poll cost 70 ms per 15 MiB of
        listing pages on the event loop."""
        sent = sent or self.sent(now)
        new = refreshed(entry, headers, now)
        cache = self._cache(cache_type)
        held: _Held | None = cache.get(key)
        if held is not None and sent < held.sent:  # a later request's answer is held
            return new
        kept = self._as_of_expiry(cache_type, key, new, sent)
        if held is not None and held.meta == _bodiless(entry):
            cache[key] = _Held(_bodiless(kept), held.packed, sent)
        else:  # evicted or replaced meanwhile: memory takes this one afresh
            cache[key] = _Held.of(kept, sent)
        if self._persistent is not None:
            self._persistent.save(key, kept)
        return new

    def expire(self, cache_type: str, key: str, now: float) -> None:
        """Make `key`'s entry stale as of `now` (its copy stays, as the fallback during an
        outage), and any answer to a request sent before this call stored stale too: one
        still in flight may have been made before the change that called for this."""
        ttl = self.type_settings(cache_type).ttl
        for old in [k for k, (at, t) in self._expired.items() if at.at + t <= now]:
            del self._expired[old]  # any answer sent before it is stale by now anyway
        self._expired[key] = (self.sent(now), ttl)
        entry = self.get(cache_type, key)
        if entry is None:
            return
        held: _Held = self._cache(cache_type)[key]  # get() left it in memory
        aged = _stale_by(entry, now, ttl)
        self._cache(cache_type)[key] = _Held(_bodiless(aged), held.packed, held.sent)
        if self._persistent is not None:
            self._persistent.save(key, aged)

    def _as_of_expiry(
        self, cache_type: str, key: str, entry: CachedEntry, sent: Sent
    ) -> CachedEntry:
        """`entry` as it may be stored: stale if its request went out before the key was
        last expired. The mark stays: another answer sent before it may still land."""
        mark = self._expired.get(key)
        if mark is None or sent > mark[0]:
            return entry
        return _stale_by(entry, mark[0].at, self.type_settings(cache_type).ttl)

    def is_fresh(self, cache_type: str, entry: CachedEntry, now: float) -> bool:
        return now - entry.fetched_at < self.type_settings(cache_type).ttl

    def keys(self, cache_type: str) -> list[str]:
        return list(self._cache(cache_type).keys())


class _Held(msgspec.Struct, frozen=True):
    """What memory keeps of an entry: all but its body, and the body zlib-packed. Listing
    pages run to hundreds of KiB of JSON; holding each one a session fetched (up to
    `maxsize` per cache type) whole doubled the store's copy: 15.5 MiB for a 10,000-item
    world, 1.2 MiB packed. The body stays in memory (not only on disk): another login's
    gateway, in this process or another, deletes this login's rows from the store
    (PersistentCache.keep_only) while this gateway still sends as it, and it must still
    send its validators and answer their 304s (free of rate limit) until it is replaced."""

    meta: CachedEntry  # body b""
    packed: bytes
    sent: Sent  # when its request went out (read from disk: its fetched_at, first in order)

    @classmethod
    def of(cls, entry: CachedEntry, sent: Sent) -> _Held:
        return cls(_bodiless(entry), zlib.compress(entry.body, _PACK_LEVEL), sent)

    def unpacked(self) -> CachedEntry:
        return msgspec.structs.replace(self.meta, body=zlib.decompress(self.packed))


# zlib's fastest level: 12x on the simulator's listing JSON (level 6: 18x at twice the time).
_PACK_LEVEL = 1


def _stale_by(entry: CachedEntry, at: float, ttl: float) -> CachedEntry:
    """`entry`, stale from `at` on (no fresher than it was)."""
    return msgspec.structs.replace(entry, fetched_at=min(entry.fetched_at, at - ttl))


def _bodiless(entry: CachedEntry) -> CachedEntry:
    return msgspec.structs.replace(entry, body=b"")


class _Flight(msgspec.Struct, eq=False):  # equal only to itself: flights compare by identity
    task: asyncio.Task[Any]
    waiters: int = 0


class SingleFlight:
    """Identical concurrent calls share one fetch (Go's singleflight semantics).

    The fetch runs as its own task and every caller awaits it shielded, so cancelling one
    caller (a preview whose cursor moved on) leaves the others (a poll sharing the cache key)
    untouched. The fetch is cancelled only when its last caller has left: nobody wants it then.
    """

    def __init__(self) -> None:
        self._flights: dict[str, _Flight] = {}

    def in_flight(self, key: str) -> bool:
        return key in self._flights

    def leave(self, key: str) -> None:
        """Callers from now on start a fresh fetch for `key`: the one under way may bring
        what was true before a change (expire()); its callers still get it."""
        self._flights.pop(key, None)

    def waiters(self, key: str) -> int:
        """Callers waiting on the fetch for `key` now (0 when none is under way)."""
        flight = self._flights.get(key)
        return flight.waiters if flight is not None else 0

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(result, shared): shared is True for a follower that rode on another's flight."""
        flight = self._flights.get(key)
        shared = flight is not None
        if flight is None:
            flight = _Flight(asyncio.ensure_future(fn()))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda _task: self._forget(key, flight))
        flight.waiters += 1
        try:
            result: T = await asyncio.shield(flight.task)
            return result, shared
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                self._forget(key, flight)  # a caller arriving now starts a fresh fetch
                flight.task.cancel()

    def _forget(self, key: str, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
