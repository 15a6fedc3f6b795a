"""Opening the database file: private permissions, recognising our file, moving bad ones aside.

Durability: WAL with synchronous=NORMAL. A committed transaction is in the WAL file (in the
OS page cache) before COMMIT returns, so it survives a process crash (kill -9); only an OS
crash or power loss can roll back the last few commits. That is acceptable for the outbox too:
an action lost that way was never sent (it is written before sending), and one that was sent is
verified against the server before any resend.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from zen_tui.lazy_log import get_logger
from zen_tui.paths import PRIVATE_DIR, make_private
from zen_tui.store import notices
from zen_tui.store.plain import BUSY_TIMEOUT_S, CACHE_KIB, SIDE_FILES
from zen_tui.store.rows import StoreError, StoreRecovered, StoreTooNew
from zen_tui.store.schema import APPLICATION_ID, SCHEMA_VERSION, migrate

log = get_logger(__name__)

MEMORY = ":memory:"
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def open_database(path: Path | str) -> tuple[sqlite3.Connection, StoreRecovered | None]:
    """A migrated connection (autocommit mode) and a notice if a bad file was moved aside."""
    if str(path) == MEMORY:
        db = _connect(MEMORY)
        _migrate(db, MEMORY)
        return db, None
    path = Path(path).expanduser()
    _create_private(path)
    db = _connect(path)
    try:
        reason = _unusable_reason(db, path)
    except StoreError:
        db.close()
        raise
    recovered = None
    if reason is not None:
        db.close()
        moved_to = _move_aside(path)
        if moved_to is not None:  # else another process recovered it a moment ago
            recovered = StoreRecovered(moved_to, reason)
            log.warning("local store: %s", recovered.message())
            notices.announce(recovered)
        _create_private(path)
        db = _connect(path)
    _configure(db, path)
    _migrate(db, path)
    _restrict_permissions(path)
    return db, recovered


def _connect(path: Path | str) -> sqlite3.Connection:
    try:
        return sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from None


def _migrate(db: sqlite3.Connection, path: Path | str) -> None:
    try:
        migrate(db)
    except sqlite3.Error as exc:  # each step is a transaction: the file keeps its old version
        db.close()
        raise StoreError(
            f"could not upgrade the local store {path}: {exc}; it was left unchanged, "
            "try again (close other zen-tui processes first)"
        ) from None


def _configure(db: sqlite3.Connection, path: Path) -> None:
    try:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # see the module docstring for why
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.Error as exc:
        db.close()
        raise _open_error(path, exc) from None


def _create_private(path: Path) -> None:
    # SQLite gives the -wal and -shm files the main file's mode, so 0600 here covers all three
    # without touching the process-wide umask.
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        warning = make_private(path.parent, PRIVATE_DIR)  # an existing 0755 folder too
        if warning:
            log.warning("local store: %s", warning)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)  # mode applies only if new
    except OSError as exc:
        raise StoreError(
            f"cannot create the local store {path}: {exc.strerror or exc}; "
            "check that the data directory is writable (or choose another with --data-dir)"
        ) from None
    os.close(fd)


def database_files(path: Path) -> list[Path]:
    """The database file and the side files SQLite may keep beside it (WAL, shm, journal)."""
    return [path, *(Path(f"{path}{s}") for s in SIDE_FILES)]


def _restrict_permissions(path: Path) -> None:
    for file in database_files(path):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:
            pass  # missing side file, or not ours to chmod: nothing secret is stored anyway


def _unusable_reason(db: sqlite3.Connection, path: Path) -> str | None:
    """Why the file cannot be used as our store (to move it aside), or None if it can.

    Raises StoreTooNew for a newer schema, and StoreError when the file is fine but cannot be
    read right now (locked, permissions): neither is a reason to move the user's data away.
    """
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        if app_id == 0 and version == 0 and not tables:
            return None  # new (or empty) file
        if app_id != APPLICATION_ID:
            shown = ", ".join(sorted(tables)[:5]) or "none"
            return f"not a zen-tui database: application_id {app_id:#x}, tables: {shown}"
        if version > SCHEMA_VERSION:
            raise StoreTooNew(
                f"the local store {path} was written by a newer zen-tui (schema v{version}, "
                f"this version knows v{SCHEMA_VERSION}): upgrade zen-tui, or move the file "
                "away to start with an empty store"
            )
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # the check reads every page
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        return None if check == "ok" else f"corrupt: {check}"
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return f"corrupt: {exc}"
        raise _open_error(path, exc) from None


def _move_aside(path: Path) -> Path | None:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    for suffix in SIDE_FILES:  # a stale WAL must not be replayed into the new file
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{target}{suffix}"))
    return target


def _open_error(path: Path | str, exc: sqlite3.Error) -> StoreError:
    hint = (
        "another zen-tui process is holding it; close it or try again"
        if "locked" in str(exc) or "busy" in str(exc)
        else "check the file's permissions and free disk space"
    )
    return StoreError(f"cannot open the local store {path}: {exc}; {hint}")
