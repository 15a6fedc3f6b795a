"""A full disk for a real SQLite store, as the disk-full tests make one (PRAGMA max_page_count
on the store's own connection: a write needing a new page gets a real SQLITE_FULL), with the
gone table's pages packed too: else a record of a few bytes fits the free room of a page a
real full disk would refuse to extend (its WAL), and a gone could still be written."""

from __future__ import annotations

import sqlite3

from zen_tui.store import Store

FREE = 10**6  # pages: room again


def fill(store: Store) -> None:
    """The file capped at its size; filler gone records (keys no item has, sorting after every
    id, shorter than any, at time 0: forgotten into a floor of 0 by the next real write)
    fill the gone table's last pages until SQLite refuses one."""
    db = store._connection()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    n = db.execute("SELECT COUNT(*) FROM gone WHERE key LIKE '~%'").fetchone()[0]  # filled
    while True:
        n += 1
        try:
            db.execute("INSERT INTO gone (key, prefix, gone_at) VALUES (?, 0, 0)", (f"~{n:x}",))
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != 13:  # not SQLITE_FULL
                raise
            return


def free(store: Store) -> None:
    store._connection().execute(f"PRAGMA max_page_count = {FREE}")


def recorded(store: Store) -> set[str]:
    """The keys of the gone records written (the filler left out)."""
    with store._read() as db:
        rows = db.execute("SELECT key FROM gone WHERE key NOT LIKE '~%'").fetchall()
    return {row[0] for row in rows}


def on_disk(store: Store) -> Store:
    """The same file opened again, as another process reads it: what was written, none of
    the copies `store` holds in memory while the disk is full. Closed by the caller."""
    with store._read() as db:
        path = db.execute("PRAGMA database_list").fetchone()[2]
    return Store.open(path)


_WRITES = ("INSERT", "UPDATE", "DELETE")


class _NoRoom:
    """A store's connection with no room on the disk at all: every write is refused with
    SQLite's own SQLITE_FULL error (the store's `_write` turns it into StoreFull, saying
    "disk full" once), reads go through. `fill` refuses only writes needing a new page, so
    a small one (a delivery's done mark, a short row) can still fit there. `at_commit`: as a
    real full disk in WAL mode refuses them, the transaction and its writes go through (they
    are in SQLite's page cache) and the COMMIT of one that wrote is refused (the log cannot
    grow)."""

    def __init__(self, db: sqlite3.Connection, *, at_commit: bool = False) -> None:
        self.db = db
        self.at_commit = at_commit
        self.wrote = False  # at_commit: the open transaction has written

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        word = sql.lstrip().upper()
        if not self.at_commit:
            if word.startswith(("BEGIN IMMEDIATE", *_WRITES)):
                raise _full()
        elif word.startswith(_WRITES):
            self.wrote = True
        elif word.startswith("BEGIN") or word.rstrip() == "ROLLBACK":  # not ROLLBACK TO
            self.wrote = False
        elif word.startswith("COMMIT") and self.wrote:
            raise _full()
        return self.db.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.db, name)


def _full() -> sqlite3.OperationalError:
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # SQLITE_FULL, as SQLite sets it
    return full


def no_room(store: Store, *, at_commit: bool = False) -> None:
    """Every write refused until `room` (see _NoRoom)."""
    db = store._connection()
    if not isinstance(db, _NoRoom):
        store._db = _NoRoom(db, at_commit=at_commit)  # type: ignore[assignment]


def room(store: Store) -> None:
    """Writes work again after `no_room`."""
    db = store._connection()
    if isinstance(db, _NoRoom):
        store._db = db.db
