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

    def _write(self) -> _Write:
        """One committed transaction: `with self._write() as db:`, durable once the block
        exits (see connection.py). A disk-full error in it is StoreFull (said once)."""
        return _Write(self)

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


class _Write:
    """StoreBase._write's transaction. BEGIN IMMEDIATE takes the write lock up front, so two
    processes never deadlock upgrading a read to a write; the busy timeout makes the second
    one wait. A class rather than a @contextmanager generator: every webhook delivery is one
    of these, and the generator's machinery cost more than the rest of the write's Python."""

    __slots__ = ("_db", "_store")

    def __init__(self, store: StoreBase) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        lock = self._store._lock
        lock.acquire()
        try:
            self._db = db = self._store._connection()
            db.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            try:
                self._if_full(exc)
            finally:
                lock.release()
            raise
        return db

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: object
    ) -> None:
        db = self._db
        try:
            if error is None:
                db.execute("COMMIT")
                return
            if db.in_transaction:  # SQLite already rolled back after SQLITE_FULL
                db.execute("ROLLBACK")
            self._if_full(error)  # else the block's own error goes on
        except sqlite3.Error as exc:
            self._if_full(exc)
            raise
        finally:
            self._store._lock.release()

    def _if_full(self, exc: BaseException) -> None:
        """Raise StoreFull (said once) in place of SQLite's disk-full error."""
        if isinstance(exc, sqlite3.Error) and _is_full(exc):
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise self._store._full(self._db) from None


def _is_full(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_FULL
