"""The store opened for reading as it is, with no msgspec: for `list`, `health` and `outbox`
when they answer from the config's kept facts (cli._quick) instead of the settings and the
Store class, whose records load msgspec (~40 M instructions, a fifth of such a command).

`open_as_is` answers only for a store the full open (store/connection.py) would use as it
is: there, current schema, a zen-tui file that passes SQLite's quick check, private files.
Anything else (a store to create, migrate, move aside or make private, or one that cannot
be opened right now) is None, nothing done: the caller runs the full path, which does that
and says what it did.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from zen_tui.paths import store_path
from zen_tui.store.schema import APPLICATION_ID, SCHEMA_VERSION

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from sqlite3 import Connection

# Here, where the full open (connection.py) reads them too, as this module loads no records.
BUSY_TIMEOUT_S = 5.0
SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite may keep beside the file
# SQLite's page cache, per connection (its default: 2 MiB). The store is read in full once
# per section at start-up and then written a page or two per poll, so a full cache stays
# resident for nothing: 1.5 MiB of the dashboard's peak with 10,000 stored items (and of
# `zen-tui list`'s). Pages it does not hold come from the OS's file cache (a WAL read), a
# few microseconds each.
CACHE_KIB = 512


def open_as_is(data_dir: Path) -> Connection | None:
    """A connection to data_dir's store, to read; None when the full open has work to do."""
    path = store_path(data_dir)
    if not _private_files(path):
        return None
    try:
        # mode=rw: never creates the file (a missing store is the full open's to create)
        db = sqlite3.connect(
            f"{path.as_uri()}?mode=rw", uri=True, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error:
        return None
    try:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if _usable(db):
            return db
    except sqlite3.Error:
        pass
    db.close()
    return None


def _private_files(path: Path) -> bool:
    """The store is a regular file and neither it nor a side file is open to others (the full
    open would chmod them)."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDE_FILES)):
        try:
            mode = os.stat(name).st_mode
        except FileNotFoundError:
            if name == str(path):
                return False
            continue
        except OSError:
            return False
        if mode & 0o077 or (name == str(path) and not stat.S_ISREG(mode)):
            return False
    return True


def _usable(db: Connection) -> bool:
    """The checks of connection._unusable_reason, passed with nothing to do."""
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        return False
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    return bool(db.execute("PRAGMA quick_check").fetchone()[0] == "ok")
