"""The connection, its lock and transaction helpers that every part of the Store shares."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from zen_tui.lazy_log import get_logger
from zen_tui.store import notices
from zen_tui.store.rows import DiskFull, StoreError, StoreFull, StoreRecovered

log = get_logger("zen_tui.store")
_SQLITE_FULL = 13

Clock = Callable[[], float]


class StoreBase:
    def __init__(
        self, db: sqlite3.Connection, recovered: StoreRecovered | None, clock: Clock
    ) -> None:
        self._db: sqlite3.Connection | None = db
        self._lock = threading.RLock()
        self._clock = clock
        self.recovered = recovered

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction: durable once the block exits (see connection.py).

        BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock
        upgrading a read to a write; the busy timeout makes the second one wait.
        """
        with self._lock:
            db = self._connection()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:  # SQLite already rolled back after SQLITE_FULL
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _SQLITE_FULL:
                    raise
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise self._full(db) from None

    def _full(self, db: sqlite3.Connection) -> StoreFull:
        """Say "disk full" once per process (log and notice), then raise it each time."""
        row = db.execute("PRAGMA database_list").fetchone()
        notice = DiskFull(str(row[2]) if row and row[2] else "(in memory)")
        if notices.announce_disk_full(notice):
            log.error("%s", notice.message())
        return StoreFull(notice.message())

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs."""
        with self._lock:
            db = self._connection()
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("the local store is closed; open it again with Store.open(path)")
        return self._db
