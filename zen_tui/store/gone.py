"""What left, kept in the store so that every process on the file obeys it: a copy of an item
fetched before the item left never brings it back, whichever process fetched it and
whenever it lands (a poll answer in flight in another dashboard, a `zen-tui sync` from cron).

Two kinds of record:

- **gone**: the server said the item is gone (deleted, no longer visible, refused 404/410
  and confirmed), or every item under an id prefix is (a Slack channel left), as of
  `gone_at`, when it was learnt. A copy fetched at or before then is dropped, in any section.
- **listed**: when a section's newest full listing was fetched (`sections.listed_at`). An
  item it did not list had left the section by then: a copy fetched before it may update the
  section's held copy of an item, never add one the listing left out.

Times are wall-clock epoch seconds: what a row's `fetched_at` already is (when its request
went out, gateway.py), and the one clock every zen-tui process on the machine reads (a
monotonic clock is per boot, and the file outlives boots). A wall clock stepped back between
a request and a gone seen after it can let that answer count as newer: the section's next
full listing corrects it, as it corrects anything else.

Bounded: a gone record is kept KEEP seconds after the newest one (an answer is in flight for
seconds; one fetched that much earlier is a stale page), and at most MAX_RECORDS of them. A
record forgotten still counts through the floor (the newest time of those forgotten), which
applies to every section as `listed_at` does: a copy fetched before it adds no item.

The disk full: a gone record is written best effort, as all item data is, so one learnt while
the disk is full is not written. This process then holds it (`Unrecorded`), as long as it
stays unwritten and within the same bound, filters with it by the same rule (`predates`),
and writes it once the disk frees; other processes learn it only then.
A full listing not written is held too (the section's newest: when fetched, the ids it
kept): the rows it left out are still in the store, and a copy fetched before it would
otherwise add one of them back, or a re-read show them again. So are the item copies no write
took (a delta's, a listing's, a webhook's: `rows`), newest per section and item: every read
gives them back as if stored, or a delta polled after the disk freed, re-reading the older
stored copies, showed an item as it was before the disk filled. All of it is written at the
first write the disk takes again (the listing with its rows: the snapshot stays whole).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence

KEEP = 3600.0  # seconds a gone record is kept after a newer one is written
MAX_RECORDS = 10_000  # gone records kept at most (the newest)
FLOOR_KEY = "gone-floor"  # settings: the newest time of the gone records forgotten
_CHUNK = 500  # ids per IN (...) query: under SQLite's bound-variable limit

# section_id, item_id, sort_key, fetched_at, data: an incoming row (store/items.py)
Row = tuple[str, str, float, float, str]


def record(db: sqlite3.Connection, ids: Iterable[str], prefixes: Iterable[str], at: float) -> None:
    """These items (and every item under these id prefixes) are gone as of `at`; a record
    already newer stays. Older records beyond the bound are forgotten into the floor."""
    _record(db, dict.fromkeys(ids, at), dict.fromkeys(prefixes, at))


def _record(db: sqlite3.Connection, exact: Mapping[str, float], under: Mapping[str, float]) -> None:
    marks = [(key, 0, at) for key, at in exact.items()]
    marks += [(key, 1, at) for key, at in under.items()]
    if not marks:
        return
    db.executemany(
        "INSERT INTO gone (key, prefix, gone_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key, prefix) DO UPDATE SET gone_at = MAX(gone_at, excluded.gone_at)",
        marks,
    )
    _prune(db, max(at for _, _, at in marks) - KEEP)


def _prune(db: sqlite3.Connection, before: float) -> None:
    """Forget the records at or before `before`, and the oldest beyond MAX_RECORDS; the floor
    takes the newest time forgotten, so what they stood for still holds."""
    over = db.execute(
        "SELECT gone_at FROM gone ORDER BY gone_at DESC LIMIT 1 OFFSET ?", (MAX_RECORDS,)
    ).fetchone()
    cut = before if over is None else max(before, float(over[0]))
    newest = db.execute("SELECT MAX(gone_at) FROM gone WHERE gone_at <= ?", (cut,)).fetchone()[0]
    if newest is None:
        return
    db.execute("DELETE FROM gone WHERE gone_at <= ?", (cut,))
    _raise_floor(db, float(newest))


def _raise_floor(db: sqlite3.Connection, at: float) -> None:
    """The floor is now at least `at` (it never goes back)."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
        " SET value = CASE WHEN CAST(value AS REAL) < CAST(excluded.value AS REAL)"
        " THEN excluded.value ELSE value END",
        (FLOOR_KEY, repr(at)),
    )


def listed(db: sqlite3.Connection, section_id: str, at: float) -> None:
    """A full listing of the section fetched at `at` was saved (it never goes back)."""
    db.execute(
        "INSERT INTO sections (section_id, listed_at) VALUES (?, ?)"
        " ON CONFLICT (section_id) DO UPDATE"
        " SET listed_at = MAX(COALESCE(sections.listed_at, 0), excluded.listed_at)",
        (section_id, at),
    )


def predating(
    db: sqlite3.Connection,
    section_id: str,
    rows: Sequence[Row],
    unrecorded: Unrecorded | None = None,
) -> set[str]:
    """The ids of incoming rows fetched before their item left: at or before a gone record
    of it (written, or `unrecorded`: held by this process while the disk is full), or (an
    item the section does not hold) before the section's floor."""
    if not rows:
        return set()
    oldest = min(row[3] for row in rows)
    floor = _floor(db, section_id)
    found = db.execute(
        "SELECT key, prefix, gone_at FROM gone WHERE gone_at >= ?", (oldest,)
    ).fetchall()
    exact: dict[str, float] = {}
    under: dict[str, float] = {}
    for key, prefix, at in found:
        _keep_newest(under if prefix else exact, key, float(at))
    if unrecorded:
        for key, at in unrecorded.exact.items():
            _keep_newest(exact, key, at)
        for key, at in unrecorded.under.items():
            _keep_newest(under, key, at)
        floor = max(floor, unrecorded.floor)
    # A full listing taken with the disk full: the store still holds what it left out
    listed_at, listed_ids = ({} if unrecorded is None else unrecorded.listings).get(
        section_id, (float("-inf"), frozenset())
    )
    if oldest >= max(floor, listed_at) and not exact and not under:  # the common case
        return set()
    held = _held(db, section_id, [row[1] for row in rows if row[3] < floor])
    out = set()
    for _, item_id, _, fetched_at, _ in rows:
        # A listing's floor is strict: an answer sent at the same instant may follow it
        if (
            predates(fetched_at, item_id, exact, under)
            or (fetched_at < floor and item_id not in held)
            or (fetched_at < listed_at and item_id not in listed_ids)
        ):
            out.add(item_id)
    return out


def predates(
    fetched_at: float, item_id: str, exact: Mapping[str, float], under: Mapping[str, float]
) -> bool:
    """The rule: a copy fetched at or before its item's newest gone (of the item itself, or
    of an id prefix it falls under: a Slack channel left) is older evidence than the gone."""
    left = max(
        [exact.get(item_id, float("-inf"))] + [t for p, t in under.items() if item_id.startswith(p)]
    )
    return fetched_at <= left


def _keep_newest(marks: dict[str, float], key: str, at: float) -> None:
    if at > marks.get(key, float("-inf")):
        marks[key] = at


class Unrecorded:
    """Gone records this process learnt but could not write (the disk full), held in memory
    until written: the same rule (`predates`) and the same bound as the table's (KEEP after
    the newest, at most MAX_RECORDS; the times of those forgotten raise `floor`)."""

    def __init__(self) -> None:
        self.exact: dict[str, float] = {}
        self.under: dict[str, float] = {}
        self.floor = float("-inf")
        # section -> its newest full listing not written (when fetched, the ids it kept):
        # what it left out stays in the store, yet an older copy brings none of it back
        self.listings: dict[str, tuple[float, frozenset[str]]] = {}
        # section -> item id -> its newest copy not written (see `keep`)
        self.rows: dict[str, dict[str, Row]] = {}
        # section -> the newest time a write not taken would have moved its fetched_at to
        self.touched: dict[str, float] = {}

    def __bool__(self) -> bool:
        """Holds anything to write."""
        held = self.exact or self.under or self.listings or self.rows or self.touched
        return bool(held) or self.floor > float("-inf")

    def listed(self, section_id: str, at: float, item_ids: Iterable[str]) -> None:
        """A full listing of the section fetched at `at`, keeping `item_ids`, not written.
        Held until a listing as new is written (`written`, or `write` with its rows)."""
        if at >= self.listings.get(section_id, (float("-inf"), frozenset()))[0]:
            self.listings[section_id] = (at, frozenset(item_ids))

    def keep(self, section_id: str, rows: Iterable[Row], touched: float | None) -> None:
        """Copies a write did not take (the disk full), each kept unless a copy held of it
        is newer (version, then fetch time: the store's rule); `touched`: the section's
        fetched_at that write would have moved on to (None: it would not)."""
        held = self.rows.setdefault(section_id, {})
        for row in rows:
            old = held.get(row[1])
            if row[4] and (old is None or row[2:4] >= old[2:4]):  # "": a row never made whole
                held[row[1]] = row
        if touched is not None:
            self.touched[section_id] = max(touched, self.touched.get(section_id, touched))

    def copies(self, item_ids: Iterable[str]) -> list[Row]:
        """The held copies of these items, in every section."""
        wanted = set(item_ids)
        return [row for held in self.rows.values() for i, row in held.items() if i in wanted]

    def forgot(self, ids: Iterable[str], prefixes: Iterable[str], at: float) -> None:
        """The store recorded these gone as of `at` (forget_items): held copies fetched at or
        before then go with the rows it deleted."""
        exact, under = dict.fromkeys(ids, at), dict.fromkeys(prefixes, at)
        for held in self.rows.values():
            for item_id in [i for i, row in held.items() if predates(row[3], i, exact, under)]:
                del held[item_id]

    def add(self, ids: Iterable[str], prefixes: Iterable[str], at: float) -> None:
        for key in ids:
            _keep_newest(self.exact, key, at)
        for key in prefixes:
            _keep_newest(self.under, key, at)
        self._prune(at - KEEP)

    def hides(self, item_id: str, fetched_at: float, section_id: str | None = None) -> bool:
        """A stored copy (not deleted: the disk was full) fetched before the item left (or,
        in `section_id`, before a listing of it that left the item out)."""
        listing = self.listings.get(section_id) if section_id is not None else None
        if listing is not None and fetched_at < listing[0] and item_id not in listing[1]:
            return True
        return predates(fetched_at, item_id, self.exact, self.under)

    def write(self, db: sqlite3.Connection) -> None:
        """Into the store, as forget_items would have: the rows fetched before each gone off
        every section, the records, the floor; then each full listing held, as save_section
        would have (its rows are `rows`, which the caller writes: store/items.py). Held
        until the transaction commits (clear)."""
        db.executemany(
            "DELETE FROM items WHERE item_id = ? AND fetched_at <= ?", self.exact.items()
        )
        db.executemany(
            "DELETE FROM items WHERE substr(item_id, 1, ?) = ? AND fetched_at <= ?",
            ((len(p), p, at) for p, at in self.under.items()),
        )
        _record(db, self.exact, self.under)
        if self.floor > float("-inf"):
            _raise_floor(db, self.floor)
        for section_id, (at, kept) in self.listings.items():
            _write_listing(db, section_id, at, kept)

    def clear(self) -> None:
        self.exact.clear()
        self.under.clear()
        self.floor = float("-inf")
        self.listings.clear()
        self.rows.clear()
        self.touched.clear()

    def written(self, section_id: str, at: float) -> None:
        """A full listing of the section fetched at `at` was written: one held as old goes."""
        if self.listings.get(section_id, (at, frozenset()))[0] <= at:
            self.listings.pop(section_id, None)

    def _prune(self, before: float) -> None:
        """As the table's _prune: the records at or before `before`, and the oldest beyond
        MAX_RECORDS, are forgotten into the floor."""
        times = sorted([*self.exact.values(), *self.under.values()], reverse=True)
        cut = before if len(times) <= MAX_RECORDS else max(before, times[MAX_RECORDS])
        for marks in (self.exact, self.under):
            for key in [k for k, at in marks.items() if at <= cut]:
                self.floor = max(self.floor, marks.pop(key))


def _write_listing(
    db: sqlite3.Connection, section_id: str, at: float, kept: frozenset[str]
) -> None:
    """A full listing fetched at `at` that kept `kept`, written late (its rows are the
    held copies, written with it): the rows fetched before it that it left out go."""
    rows = db.execute("SELECT item_id, fetched_at FROM items WHERE section_id = ?", (section_id,))
    left = [(section_id, i) for i, fetched in rows.fetchall() if fetched < at and i not in kept]
    db.executemany("DELETE FROM items WHERE section_id = ? AND item_id = ?", left)
    listed(db, section_id, at)


def _floor(db: sqlite3.Connection, section_id: str) -> float:
    """Copies fetched before this add no item to the section."""
    listed_at = db.execute(
        "SELECT listed_at FROM sections WHERE section_id = ?", (section_id,)
    ).fetchone()
    forgotten = db.execute("SELECT value FROM settings WHERE key = ?", (FLOOR_KEY,)).fetchone()
    times = [float("-inf")]
    if listed_at is not None and listed_at[0] is not None:
        times.append(float(listed_at[0]))
    if forgotten is not None:
        times.append(float(forgotten[0]))
    return max(times)


def _held(db: sqlite3.Connection, section_id: str, item_ids: Sequence[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = (  # only placeholders are interpolated
            f"SELECT item_id FROM items WHERE section_id = ? AND item_id IN ({marks})"
        )
        held.update(r[0] for r in db.execute(query, (section_id, *chunk)))
    return held
