"""The connection, its lock and transaction helpers that every part of the Store shares."""

from __future__ import annotations

import sqlite3

# threading's RLock and Lock are these (threading.RLock() makes a _thread.RLock, and
# threading.Lock is allocate_lock): taken from _thread, a store-only command (`list`, `health`,
# `outbox`), which starts no thread, does not load threading and _weakrefset (~3 M
# instructions, a millisecond) for its locks.
from _thread import RLock
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
        self._lock = RLock()
        self._clock = clock
        self.recovered = recovered
        self._unit: _Unit | None = None  # the atomic() block open now, if any

    def atomic(self) -> _Unit:
        """`with store.atomic():` every write through this store in the block (each _write,
        whichever part of the store makes it) commits together, or none does: one SQLite
        transaction. A disk-full error anywhere in it (a write, or the commit) rolls all back
        and is raised as StoreFull at the block's end, also when the write that met it was
        best effort (it held its data in memory and went on); a later write in the block is
        refused at once rather than committed on its own. Any error leaving the block undoes
        it all; a write's other error caught in the block undoes that write alone. Blocks do
        not nest. Writes to another Store (another file) are not part of it."""
        return _Unit(self)

    def _rolled_back(self) -> None:
        """An atomic() block was undone: what was read inside it may be gone (ItemsMixin)."""

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
            if self._unit is not None and db.in_transaction:  # an atomic() block's, seen as is
                yield db
                return
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

    __slots__ = ("_db", "_store", "_unit")

    def __init__(self, store: StoreBase) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        lock = self._store._lock
        lock.acquire()
        self._unit = unit = self._store._unit  # under the lock: this thread's block, if any
        try:
            self._db = db = self._store._connection()
            if unit is not None:
                return unit.enter_write(db)
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
        if self._unit is not None:
            try:
                self._unit.exit_write(db, error)
            finally:
                self._store._lock.release()
            return
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
        _if_full(self._store, self._db, exc)


class _Unit:
    """StoreBase.atomic's transaction. Each _write in it is a savepoint of it: a write's own
    error undoes that write alone; a disk-full one undoes the whole block (SQLite may already
    have) and fails it. Holds the store's lock throughout, so no other thread's write lands
    in it."""

    __slots__ = ("_db", "_store", "failed")

    def __init__(self, store: StoreBase) -> None:
        self._store = store
        self.failed = False  # a disk-full error undid the block: it ends raising StoreFull

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        try:
            if store._unit is not None:
                raise StoreError("atomic() blocks do not nest")
            self._db = db = store._connection()
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                _if_full(store, db, exc)
                raise
        except BaseException:
            store._lock.release()
            raise
        store._unit = self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: object
    ) -> None:
        store, db = self._store, self._db
        store._unit = None
        try:
            if error is None and not self.failed:
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._undo()
                    _if_full(store, db, exc)
                    raise
                return
            self._undo()
            if error is not None:
                _if_full(store, db, error)  # else the block's own error goes on
            else:
                raise store._full(db)
        finally:
            store._lock.release()

    def enter_write(self, db: sqlite3.Connection) -> sqlite3.Connection:
        if not self.failed:
            try:
                db.execute("SAVEPOINT zen_write")
                return db
            except sqlite3.Error as exc:
                if not _is_full(exc):
                    raise
                self.failed = True
                self._undo()
        raise self._store._full(db)  # committed alone it would break the all-or-nothing

    def exit_write(self, db: sqlite3.Connection, error: BaseException | None) -> None:
        try:
            if error is None:
                db.execute("RELEASE zen_write")
                return
            if not (isinstance(error, sqlite3.Error) and _is_full(error)):
                if db.in_transaction:
                    db.execute("ROLLBACK TO zen_write")
                    db.execute("RELEASE zen_write")
                return  # the write's own error goes on
        except sqlite3.Error as exc:
            if not _is_full(exc):
                raise
        self.failed = True
        self._undo()
        raise self._store._full(db) from None

    def _undo(self) -> None:
        if self._db.in_transaction:  # SQLite may have rolled back after SQLITE_FULL
            self._db.execute("ROLLBACK")
        self._store._rolled_back()


def _if_full(store: StoreBase, db: sqlite3.Connection, exc: BaseException) -> None:
    """Raise StoreFull (said once) in place of SQLite's disk-full error."""
    if isinstance(exc, sqlite3.Error) and _is_full(exc):
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise store._full(db) from None


def _is_full(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_FULL
