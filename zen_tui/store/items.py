"""Sections' last-known items, so the first screen paints from disk before the network.

The freshness invariant lives here, so every writer (a poll, a webhook, another process's
`zen-tui sync`) obeys it: a stored item is never replaced by an older version of itself.
A copy's version is its `updated_at`; between copies of the same version, the one the server
gave later (its row's `fetched_at`) wins. A full listing removes only the items it has evidence
about: a row seen after the listing was fetched (a webhook's copy, say) is kept. And a copy
fetched before its item left (gone, or not in a newer full listing) never brings it back
(store/gone.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress

import msgspec

from zen_tui.lazy_log import get_logger
from zen_tui.models import Item, as_row, is_row, whole
from zen_tui.store import gone, plain_items
from zen_tui.store.base import StoreBase
from zen_tui.store.codec import CodecError, decode_items, encode_item, sort_key
from zen_tui.store.plain_items import IN_ORDER
from zen_tui.store.rows import StoreFull

log = get_logger(__name__)
_CHUNK = 500  # ids per IN (...) query: under SQLite's bound-variable limit

_UPSERT = (
    "INSERT OR REPLACE INTO items (section_id, item_id, sort_key, fetched_at, data)"
    " VALUES (?, ?, ?, ?, ?)"
)
_TOUCH = (  # a section's fetch time never goes back (a cache hit may be older than a webhook)
    "INSERT INTO sections (section_id, fetched_at) VALUES (?, ?)"
    " ON CONFLICT (section_id) DO UPDATE"
    " SET fetched_at = MAX(COALESCE(sections.fetched_at, 0), excluded.fetched_at)"
)
_Row = tuple[str, str, float, float, str]  # section_id, item_id, sort_key, fetched_at, data


class ItemsMixin(StoreBase):
    _items_writes = 0  # writes to sections' items through this store (see items_version)
    _gone_unwritten: gone.Unrecorded | None = None  # see _unrecorded

    @property
    def _unrecorded(self) -> gone.Unrecorded:
        """What left that the store could not record (the disk full): this process obeys it
        from memory until it is written (store/gone.py)."""
        if self._gone_unwritten is None:
            self._gone_unwritten = gone.Unrecorded()
        return self._gone_unwritten

    def _record_unrecorded(self) -> None:
        """Before each items write: what left while the disk was full, and the copies and
        listings it did not take, written now if they can be (then no longer held in memory),
        else still held."""
        with self._lock:  # no gone is added between the write and the clear
            unrecorded = self._unrecorded
            if not unrecorded or self._unit is not None:  # an atomic() block may be undone
                return  # after the clear: the next write outside one writes them
            with suppress(StoreFull):  # still full: held, and tried again on the next write
                with self._write() as db:
                    unrecorded.write(db)
                    _write_held(db, unrecorded)
                unrecorded.clear()  # committed: the store obeys it from now on
                self._wrote_items()
                log.info("what the full disk could not take is written now")

    def items_version(self) -> tuple[int, int]:
        """Changes whenever what load_section reads may have changed: an item write through
        this store, or a commit on the file by any other connection (SQLite's data_version:
        another zen-tui process's `zen-tui sync`, say). Equal versions: the same items."""
        with self._lock:
            elsewhere = self._connection().execute("PRAGMA data_version").fetchone()[0]
        return self._items_writes, int(elsewhere)

    def _rolled_back(self) -> None:
        self._wrote_items()  # what load_section read inside the block may be gone

    def _wrote_items(self) -> None:
        """After an item write commits (never before: a reader that sees the new version
        must find the new rows), under the lock (two writers' counts never merge)."""
        with self._lock:
            self._items_writes += 1

    def save_section(
        self,
        section_id: str,
        items: Sequence[Item],
        fetched_at: float,
        *,
        times: Mapping[str, float] | None = None,
        rows: bool = False,
    ) -> list[Item]:
        """A full listing fetched at `fetched_at` becomes the section, in one transaction, under
        the freshness invariant. Returns what the section now holds: the listing's order, with
        a newer known copy in place of an older one, then rows seen after the listing.
        `times`: item id -> its page's fetch time where newer than `fetched_at` (each row is
        as old as its own page: FetchResult.fetched). `rows`: see _held."""
        self._record_unrecorded()
        plan = _Plan(_rows(section_id, items, fetched_at, times), list(items))
        written = False  # the disk full: not written, and the section shows `items`
        with self._lock:  # no listing is held after the write that records it
            try:  # derived data: best effort
                with self._write() as db:
                    plan = _plan(db, section_id, items, plan.rows, self._gone_unwritten)
                    _seen_later(db, section_id, fetched_at, plan, self._gone_unwritten)
                    db.execute("DELETE FROM items WHERE section_id = ?", (section_id,))
                    db.executemany(_UPSERT, plan.rows)
                    db.execute(_TOUCH, (section_id, fetched_at))
                    gone.listed(db, section_id, fetched_at)
                written = True
                self._unrecorded.written(section_id, fetched_at)
            except StoreFull:  # held: an older copy adds nothing it left out (gone.py)
                self._unrecorded.listed(section_id, fetched_at, (r[1] for r in plan.rows))
                self._unrecorded.keep(section_id, plan.rows, fetched_at)
        self._wrote_items()
        return _held(plan.items, written, rows)

    def upsert_items(
        self,
        section_id: str,
        items: Sequence[Item],
        fetched_at: float,
        *,
        touch: bool = True,
        times: Mapping[str, float] | None = None,
        rows: bool = False,
    ) -> list[Item]:
        """Add or replace these items (a delta fetch, a webhook); the section's fetched_at
        moves on, unless `touch` is False (a partial listing: the rows it did not read are
        no fresher than before). Returns the copies kept: never older than one stored.
        `times` and `rows` as for save_section."""
        self._record_unrecorded()
        plan = _Plan(_rows(section_id, items, fetched_at, times), list(items))
        written = False  # the disk full: not written, and the copies kept are `items`
        with self._lock:  # nothing held is written between the failure and the keep
            try:  # derived data: best effort
                with self._write() as db:
                    plan = _plan(db, section_id, items, plan.rows, self._gone_unwritten)
                    db.executemany(_UPSERT, plan.rows)
                    if touch:
                        db.execute(_TOUCH, (section_id, fetched_at))
                written = True
            except StoreFull:  # held, read back as if stored, written once the disk frees
                self._unrecorded.keep(section_id, plan.rows, fetched_at if touch else None)
        self._wrote_items()
        return _held(plan.items, written, rows)

    def reconcile(
        self,
        section_id: str,
        items: Sequence[Item],
        fetched_at: float,
        *,
        full: bool,
        times: Mapping[str, float] | None = None,
        rows: bool = False,
    ) -> list[Item]:
        """What save_section (full) or upsert_items would keep, without writing: for a
        listing that is shown but not stored (the gateway's stale copy). `rows`: each item
        the store holds at its version (or a newer one) as a row (models.as_row); one it does
        not hold, never stored or older there, stays whole: the store has nothing to give
        back for it (a stale listing of items the store never saw showed them blank)."""
        with self._read() as db:
            rows_in = _rows(section_id, items, fetched_at, times)
            plan = _plan(db, section_id, items, rows_in, self._gone_unwritten)
            if full:
                _seen_later(db, section_id, fetched_at, plan, self._gone_unwritten)
        if not rows:
            return plan.items
        return [as_row(i) if i.id in plan.stored else i for i in plan.items]

    def remove_items(self, section_id: str, item_ids: Sequence[str]) -> None:
        self._record_unrecorded()
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.executemany(
                "DELETE FROM items WHERE section_id = ? AND item_id = ?",
                ((section_id, item_id) for item_id in item_ids),
            )
        self._wrote_items()

    def forget_items(
        self, item_ids: Iterable[str] = (), prefixes: Iterable[str] = (), *, at: float
    ) -> None:
        """The server said these items (and every item under these id prefixes: a Slack
        channel left) are gone, as learnt at `at`: off every section, and a copy fetched at or
        before `at` never brings one back, whichever process fetched it (store/gone.py).
        The disk full, it is not written (best effort, as all item data): this process holds
        it instead, obeys it as the store would, and writes it once the disk frees."""
        ids, under = sorted(set(item_ids)), sorted(set(prefixes))
        self._record_unrecorded()
        with self._lock:
            try:
                with self._write() as db:
                    db.executemany("DELETE FROM items WHERE item_id = ?", ((i,) for i in ids))
                    db.executemany(
                        "DELETE FROM items WHERE substr(item_id, 1, ?) = ?",
                        ((len(p), p) for p in under),
                    )
                    gone.record(db, ids, under, at)
                self._unrecorded.forgot(ids, under, at)
            except StoreFull:
                self._unrecorded.add(ids, under, at)
        self._wrote_items()

    def set_section_reason(self, section_id: str, reason: str | None) -> None:
        """Why the section's last sync was not live; None (live again) clears it."""
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute(
                "INSERT INTO sections (section_id, fetched_at, reason) VALUES (?, NULL, ?)"
                " ON CONFLICT (section_id) DO UPDATE SET reason = excluded.reason",
                (section_id, reason),
            )

    def section_reason(self, section_id: str) -> str | None:
        with self._read() as db:
            return plain_items.reason(db, section_id)

    def load_section(
        self, section_id: str, known: Mapping[str, Item] | None = None, *, rows: bool = False
    ) -> tuple[list[Item], float | None]:
        """Items newest-updated first (ties keep the saved order), and when they were fetched.
        An item equal to the one of its id in `known` (what the caller already holds) comes
        back as that object (codec.decode_items). `rows`: as the dashboard's rows hold them,
        what a row leaves in the store left here (models.as_row)."""
        with self._read() as db:
            fetched_at = _fetched_at(db, section_id, self._gone_unwritten)
            # Decoded as the cursor streams: the encoded texts are never all held at once
            # (5 MB for 10,000 items, on top of the items, at the dashboard's start-up peak).
            texts = _texts(db, section_id, self._gone_unwritten)
            items = decode_items(texts, _skipped, known, rows=rows)
            # A whole section streamed through the page cache, which now holds the scan's
            # last pages (the cache's size: plain.CACHE_KIB), of no use to the point
            # reads and small writes that follow: given back (0.5 MiB of the dashboard's peak).
            db.execute("PRAGMA shrink_memory")
        return items, fetched_at

    def fetched_times(self, section_id: str) -> dict[str, float]:
        """item id -> when the stored copy of it was fetched (its page's time)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT item_id, fetched_at FROM items WHERE section_id = ?", (section_id,)
            )
            return {item_id: float(at) for item_id, at in rows}

    def section_fetched_at(self, section_id: str) -> float | None:
        with self._read() as db:
            return _fetched_at(db, section_id, self._gone_unwritten)

    def iter_section(self, section_id: str, chunk: int = 500) -> Iterator[Item]:
        """The section's items in load_section's order, decoded `chunk` rows at a time, so a
        reader of 10,000 items holds one chunk in memory (and the lock only while reading one).
        """
        with self._read() as db:
            held = _visible_held(db, section_id, self._gone_unwritten)
        if held:  # copies the full disk refused, in memory: read whole, as load_section does
            yield from self.load_section(section_id)[0]
            return
        with self._read() as db:
            hidden = _hidden(db, section_id, self._gone_unwritten)
        for texts in plain_items.section_chunks(self._read, section_id, chunk):
            yield from (item for item in _decode_all(texts) if item.id not in hidden)

    def find_item(self, item_id: str) -> Item | None:
        """The newest copy of an item (latest version, then latest fetched), in any section;
        none fetched before it left while the disk was full (its rows not deleted then)."""
        with self._read() as db:
            row = _newest(db, [item_id], self._gone_unwritten).get(item_id)
        found = _decode_all([row[4]]) if row else []
        return found[0] if found else None


class _Plan(msgspec.Struct):
    rows: list[_Row] = msgspec.field(default_factory=list)  # what to write
    items: list[Item] = msgspec.field(default_factory=list)  # what the section shows of them
    # Ids of `items` the store already holds at their version or a newer one (before writing)
    stored: set[str] = msgspec.field(default_factory=set)


def _held(items: list[Item], written: bool, rows: bool) -> list[Item]:
    """A write's items as the caller holds them. `rows` (the engine's): as the dashboard's
    rows (models.as_row) once written, their URLs and descriptions read back from the store
    (Backend.full_item); whole when the write did not happen (the disk full), for the store
    has nothing to give back for them then."""
    return list(map(as_row, items)) if rows and written else items


def _plan(
    db: sqlite3.Connection,
    section_id: str,
    items: Sequence[Item],
    rows: list[_Row],
    unrecorded: gone.Unrecorded | None,
) -> _Plan:
    """The freshness invariant applied to incoming rows (each carries its fetch time).
    `unrecorded`: what left that the store could not record (the disk full)."""
    plan = _Plan()
    held = _newest(db, [row[1] for row in rows], unrecorded)
    left = gone.predating(db, section_id, rows, unrecorded)
    for item, row in zip(items, rows, strict=True):
        if item.id in left:  # fetched before it left: older evidence than its leaving
            continue
        best = held.get(item.id)
        kept = _decode_all([best[4]]) if best and best[2:4] > row[2:4] else []
        if best and kept:  # a newer version (or the same one seen later) is already known
            plan.rows.append((section_id, best[1], best[2], best[3], best[4]))
            plan.items.append(kept[0])
            plan.stored.add(item.id)
        else:
            if best and best[2] >= row[2]:  # its version is stored (seen earlier)
                plan.stored.add(item.id)
            if is_row(item):  # a dashboard row: what it left is the stored copy's (_rows)
                row = (*row[:4], encode_item(whole(item, _stored(best))))
            plan.rows.append(row)
            plan.items.append(item)
    return plan


def _stored(row: _Row | None) -> Item | None:
    """The item a stored row holds (None: none stored, or unreadable)."""
    found = _decode_all([row[4]]) if row else []
    return found[0] if found else None


def _seen_later(
    db: sqlite3.Connection,
    section_id: str,
    at: float,
    plan: _Plan,
    unrecorded: gone.Unrecorded | None,
) -> None:
    """A full listing fetched at `at` says nothing about rows seen after it: they stay (not
    one gone while the disk was full, its row not deleted then)."""
    listed = {row[1] for row in plan.rows}
    later = db.execute(
        "SELECT section_id, item_id, sort_key, fetched_at, data FROM items"
        " WHERE section_id = ? AND fetched_at > ? ORDER BY sort_key DESC, rowid",
        (section_id, at),
    ).fetchall()
    held = {} if unrecorded is None else unrecorded.rows.get(section_id, {})
    later = _with_held(later, [row for row in held.values() if row[3] > at])
    for _, item_id, key, fetched_at, data in later:
        if unrecorded is not None and unrecorded.hides(item_id, fetched_at, section_id):
            continue
        kept = [] if item_id in listed else _decode_all([data])
        if kept:
            plan.rows.append((section_id, item_id, key, fetched_at, data))
            plan.items.append(kept[0])
            plan.stored.add(item_id)


def _newest(
    db: sqlite3.Connection, item_ids: Sequence[str], unrecorded: gone.Unrecorded | None = None
) -> dict[str, _Row]:
    """The newest stored copy of each item, in any section: (version, fetched_at) highest;
    none fetched before its item left while the disk was full (`unrecorded`)."""
    best: dict[str, _Row] = {}
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = (
            "SELECT section_id, item_id, sort_key, fetched_at, data FROM items"
            f" WHERE item_id IN ({marks})"  # only placeholders are interpolated
        )
        found: list[_Row] = db.execute(query, chunk).fetchall()
        if unrecorded:  # the copies the disk did not take, as if stored
            found += unrecorded.copies(chunk)
        for row in found:
            if unrecorded and unrecorded.hides(row[1], row[3]):
                continue
            old = best.get(row[1])
            if old is None or row[2:4] > old[2:4]:
                best[row[1]] = row
    return best


def _rows(
    section_id: str,
    items: Sequence[Item],
    fetched_at: float,
    times: Mapping[str, float] | None = None,
) -> list[_Row]:
    # Encoded before the transaction starts, so the write lock is held only for SQLite work.
    times = times or {}
    return [
        (
            section_id,
            item.id,
            sort_key(item.updated_at),
            times.get(item.id, fetched_at),
            "" if is_row(item) else encode_item(item),  # a row's: encoded in _plan, made whole
        )
        for item in items
    ]


def _decode_all(texts: Iterable[str], known: Mapping[str, Item] | None = None) -> list[Item]:
    # An unreadable row (e.g. a kind written by a newer version) is skipped, not a crash.
    return decode_items(texts, _skipped, known)


def _skipped(exc: CodecError) -> None:
    log.warning("local store: skipped an item: %s", exc)


def _hidden(
    db: sqlite3.Connection, section_id: str, unrecorded: gone.Unrecorded | None
) -> set[str]:
    """The section's stored items fetched before they left while the disk was full (gone,
    or out of a full listing not written: their rows could not be deleted then): not shown,
    as if the store had recorded it."""
    if not unrecorded:
        return set()
    rows = db.execute("SELECT item_id, fetched_at FROM items WHERE section_id = ?", (section_id,))
    return {i for i, at in rows if unrecorded.hides(i, float(at), section_id)}


def _texts(
    db: sqlite3.Connection, section_id: str, unrecorded: gone.Unrecorded | None
) -> Iterator[str]:
    """The encoded items the section holds, in load_section's order, as if the disk had
    taken every write: the copies it did not take in place of older stored ones (or added),
    and none gone meanwhile whose row could not be deleted."""
    hidden = _hidden(db, section_id, unrecorded)
    held = _visible_held(db, section_id, unrecorded)
    if not held:  # the common case: streamed, never all held at once
        cursor = db.execute(f"SELECT item_id, data FROM items {IN_ORDER}", (section_id,))
        return (data for item_id, data in cursor if item_id not in hidden)
    query = f"SELECT section_id, item_id, sort_key, fetched_at, data FROM items {IN_ORDER}"
    stored = [row for row in db.execute(query, (section_id,)) if row[1] not in hidden]
    return (row[4] for row in _with_held(stored, held))


def _visible_held(
    db: sqlite3.Connection, section_id: str, unrecorded: gone.Unrecorded | None
) -> list[_Row]:
    """The section's copies the disk did not take that the store would keep if written now:
    none fetched before its item left (gone, or out of a newer listing)."""
    rows = [] if unrecorded is None else list(unrecorded.rows.get(section_id, {}).values())
    left = gone.predating(db, section_id, rows, unrecorded)
    return [row for row in rows if row[1] not in left]


def _with_held(stored: Sequence[_Row], held: Sequence[_Row]) -> list[_Row]:
    """Stored rows (newest-updated first) with each held copy in place of an older one of its
    item, or added: by version, ties as saved (held ones added after)."""
    newer = {row[1]: row for row in held}
    merged = []
    for row in stored:
        copy = newer.pop(row[1], None)
        merged.append(copy if copy is not None and copy[2:4] > row[2:4] else row)
    merged += newer.values()
    return sorted(merged, key=lambda row: -row[2])  # stable


def _write_held(db: sqlite3.Connection, unrecorded: gone.Unrecorded) -> None:
    """The copies the disk did not take, written as upsert_items would have (never over a
    newer one, none fetched before its item left), and the sections' fetch times."""
    for section_id, held in unrecorded.rows.items():
        items = {item.id: item for item in _decode_all(row[4] for row in held.values())}
        rows = [row for row in held.values() if row[1] in items]  # an unreadable one: skipped
        plan = _plan(db, section_id, [items[row[1]] for row in rows], rows, unrecorded)
        db.executemany(_UPSERT, plan.rows)
    for section_id, at in unrecorded.touched.items():
        db.execute(_TOUCH, (section_id, at))


def _fetched_at(
    db: sqlite3.Connection, section_id: str, unrecorded: gone.Unrecorded | None = None
) -> float | None:
    """When the section was fetched, a write the disk did not take counted in."""
    at = plain_items.fetched_at(db, section_id)
    touched = None if unrecorded is None else unrecorded.touched.get(section_id)
    if touched is None:
        return at
    return touched if at is None else max(at, touched)
