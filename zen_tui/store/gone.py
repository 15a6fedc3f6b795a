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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

KEEP = 3600.0  # seconds a gone record is kept after a newer one is written
MAX_RECORDS = 10_000  # gone records kept at most (the newest)
FLOOR_KEY = "gone-floor"  # settings: the newest time of the gone records forgotten
_CHUNK = 500  # ids per IN (...) query: under SQLite's bound-variable limit

# section_id, item_id, sort_key, fetched_at, data: an incoming row (store/items.py)
Row = tuple[str, str, float, float, str]


def record(db: sqlite3.Connection, ids: Iterable[str], prefixes: Iterable[str], at: float) -> None:
    """These items (and every item under these id prefixes) are gone as of `at`; a record
    already newer stays. Older records beyond the bound are forgotten into the floor."""
    marks = [(key, 0, at) for key in ids] + [(key, 1, at) for key in prefixes]
    db.executemany(
        "INSERT INTO gone (key, prefix, gone_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key, prefix) DO UPDATE SET gone_at = MAX(gone_at, excluded.gone_at)",
        marks,
    )
    _prune(db, at - KEEP)


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
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
        " SET value = CASE WHEN CAST(value AS REAL) < CAST(excluded.value AS REAL)"
        " THEN excluded.value ELSE value END",
        (FLOOR_KEY, repr(float(newest))),
    )


def listed(db: sqlite3.Connection, section_id: str, at: float) -> None:
    """A full listing of the section fetched at `at` was saved (it never goes back)."""
    db.execute(
        "INSERT INTO sections (section_id, listed_at) VALUES (?, ?)"
        " ON CONFLICT (section_id) DO UPDATE"
        " SET listed_at = MAX(COALESCE(sections.listed_at, 0), excluded.listed_at)",
        (section_id, at),
    )


def predating(db: sqlite3.Connection, section_id: str, rows: Sequence[Row]) -> set[str]:
    """The ids of incoming rows fetched before their item left: at or before a gone record
    of it, or (an item the section does not hold) before the section's floor."""
    if not rows:
        return set()
    oldest = min(row[3] for row in rows)
    floor = _floor(db, section_id)
    found = db.execute(
        "SELECT key, prefix, gone_at FROM gone WHERE gone_at >= ?", (oldest,)
    ).fetchall()
    if oldest >= floor and not found:  # the common case: an answer newer than all of it
        return set()
    exact = {key: float(at) for key, prefix, at in found if not prefix}
    under = [(key, float(at)) for key, prefix, at in found if prefix]
    held = _held(db, section_id, [row[1] for row in rows if row[3] < floor])
    out = set()
    for _, item_id, _, fetched_at, _ in rows:
        left = max(
            [exact.get(item_id, float("-inf"))] + [t for p, t in under if item_id.startswith(p)]
        )
        # A listing's floor is strict: an answer sent at the same instant may follow it
        if fetched_at <= left or (fetched_at < floor and item_id not in held):
            out.add(item_id)
    return out


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
