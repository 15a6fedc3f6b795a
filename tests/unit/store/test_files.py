"""Opening files: migrations, corrupt and foreign files moved aside, newer files refused,
private permissions. All on real SQLite files."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.store import Store, StoreError, StoreTooNew, schema
from zen_tui.store.schema import APPLICATION_ID, SCHEMA_VERSION

from .conftest import make_pr

# Frozen copy of the v1 schema as released; never regenerate from the code under test.
V1_SCHEMA = """
CREATE TABLE sections (section_id TEXT PRIMARY KEY, fetched_at REAL);
CREATE TABLE items (section_id TEXT NOT NULL, item_id TEXT NOT NULL, sort_key REAL NOT NULL,
    fetched_at REAL NOT NULL, data TEXT NOT NULL, PRIMARY KEY (section_id, item_id));
CREATE INDEX items_by_item ON items (item_id);
CREATE TABLE http_cache (key TEXT PRIMARY KEY, status INTEGER NOT NULL, headers TEXT NOT NULL,
    body BLOB NOT NULL, etag TEXT, last_modified TEXT, fetched_at REAL NOT NULL);
CREATE TABLE cursors (scope TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (scope, name));
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    action TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, batch_id TEXT,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX outbox_by_state ON outbox (state, seq);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@pytest.fixture
def v1_db(db_path: Path) -> Path:
    """A database as zen-tui schema v1 left it, with a setting and a pending action."""
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.executescript(V1_SCHEMA)
    db.execute("INSERT INTO settings VALUES ('theme', 'nord')")
    db.execute(
        "INSERT INTO outbox (id, action, idempotency_key, state, created_at, updated_at)"
        " VALUES ('e1', ?, 'k1', 'pending', 1, 1)",
        ('{"v":1,"data":{"kind":"close","item_id":"gh:o/r#1","account":"gh","params":{}}}',),
    )
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return db_path


def pragma(path: Path, name: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        db.close()


def aside_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


@pytest.fixture
def notices(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="zen_tui.store"):
        yield caplog


def test_a_new_file_gets_the_current_schema_and_our_id(db_path: Path) -> None:
    Store.open(db_path).close()
    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    assert pragma(db_path, "application_id") == APPLICATION_ID
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_opening_a_v1_file_upgrades_it_and_keeps_its_data(v1_db: Path) -> None:
    with Store.open(v1_db) as store:
        assert store.recovered is None
        assert store.get_setting("theme") == "nord"
        [entry] = store.outbox_by_state(ActionState.PENDING)
        assert (entry.id, entry.action.kind, entry.idempotency_key) == ("e1", "close", "k1")
        assert store.webhook_enqueue("github", "d1", "push", b"{}", 1.0)  # v2 table exists
        store.save_health("gh", {"ok": True}, 2.0)
    assert pragma(v1_db, "user_version") == SCHEMA_VERSION
    assert aside_files(v1_db) == []


def test_a_failing_upgrade_leaves_the_old_file_intact(
    v1_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        db.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(schema, "MIGRATIONS", [schema.MIGRATIONS[0], broken])
    with pytest.raises(StoreError, match=r"could not upgrade .* left unchanged"):
        Store.open(v1_db)
    assert pragma(v1_db, "user_version") == 1
    db = sqlite3.connect(v1_db)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert "half_done" not in tables and "settings" in tables
    monkeypatch.undo()
    with Store.open(v1_db) as store:  # the next open finishes the upgrade
        assert store.get_setting("theme") == "nord"


def test_two_processes_upgrading_at_once_both_succeed(v1_db: Path) -> None:
    script = "import sys; from zen_tui.store import Store; Store.open(sys.argv[1]).close()"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    argv = [sys.executable, "-c", script, str(v1_db)]
    children = [subprocess.Popen(argv, env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    assert pragma(v1_db, "user_version") == SCHEMA_VERSION
    with Store.open(v1_db) as store:
        assert store.get_setting("theme") == "nord"


def test_a_file_from_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
    Store.open(db_path).close()
    _write_db(db_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreTooNew, match=r"newer zen-tui.*upgrade zen-tui"):
        Store.open(db_path)
    assert pragma(db_path, "user_version") == SCHEMA_VERSION + 1
    assert aside_files(db_path) == []


def _assert_moved_aside_and_rebuilt(path: Path, original: bytes, reason: str) -> None:
    with Store.open(path) as store:
        assert store.recovered is not None
        assert reason in store.recovered.reason
        [moved] = aside_files(path)
        assert store.recovered.moved_to == moved
        assert moved.read_bytes() == original
        assert str(moved) in store.recovered.message()
        assert store.load_section("s") == ([], None)
        store.set_setting("theme", "nord")  # the rebuilt store works
    with Store.open(path) as again:
        assert again.recovered is None and again.get_setting("theme") == "nord"


def test_random_bytes_are_moved_aside(db_path: Path, notices: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir(parents=True)
    junk = os.urandom(8192)
    db_path.write_bytes(junk)
    _assert_moved_aside_and_rebuilt(db_path, junk, "corrupt")
    assert "moved to" in notices.text


def test_a_truncated_file_is_moved_aside(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.save_section("s", [make_pr(n) for n in range(500)], 1.0)
    data = db_path.read_bytes()[: len(db_path.read_bytes()) // 2]
    db_path.write_bytes(data)
    _assert_moved_aside_and_rebuilt(db_path, data, "corrupt")


def _write_db(db_path: Path, *statements: str) -> None:
    """Run `statements` on the file as another program (or version) would, creating it."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(db_path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def _write_foreign_db(db_path: Path) -> None:
    """Another program's SQLite file (a browser history) where ours should be."""
    _write_db(db_path, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")


def test_a_foreign_sqlite_file_is_moved_aside(db_path: Path) -> None:
    _write_foreign_db(db_path)
    original = db_path.read_bytes()
    _assert_moved_aside_and_rebuilt(db_path, original, "not a zen-tui database")
    assert not any(db_path.parent.glob("*.corrupt-*-2"))  # moved once, not again


def test_the_notice_names_the_foreign_tables(db_path: Path) -> None:
    _write_foreign_db(db_path)
    with Store.open(db_path) as store:
        assert store.recovered is not None
        assert "tables: moz_places" in store.recovered.reason


def test_a_foreign_file_with_another_application_id_is_moved_aside(db_path: Path) -> None:
    _write_db(db_path, "PRAGMA application_id = 1234")
    _assert_moved_aside_and_rebuilt(db_path, db_path.read_bytes(), "application_id 0x4d2")


def test_the_foreign_files_wal_moves_with_it(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    # Left open: its -wal file exists while we recover, as after a crash.
    wal = Path(f"{db_path}-wal")
    assert wal.exists()
    with Store.open(db_path) as store:
        assert store.recovered is not None
        assert Path(f"{store.recovered.moved_to}-wal").exists()
    db.close()


def test_a_path_that_cannot_be_opened_is_a_clear_error_not_a_move(tmp_path: Path) -> None:
    target = tmp_path / "is-a-dir"
    target.mkdir()
    with pytest.raises(StoreError, match=r"cannot (open|create) the local store .*is-a-dir"):
        Store.open(target)
    assert target.is_dir() and aside_files(target) == []


def test_a_data_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=r"cannot create the local store .*--data-dir"):
        Store.open(blocker / "zen-tui.db")


def test_memory_store_works() -> None:
    with Store.open(":memory:") as store:
        store.outbox_add(Action("close", "gh:o/r#1", "gh"))
        assert store.outbox_counts()[ActionState.PENDING] == 1
        assert store.recovered is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "new" / "zen-tui.db"
    old = os.umask(0o022)
    try:
        store = Store.open(path)
        store.save_section("s", [make_pr()], 1.0)  # creates -wal and -shm
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        store.close()
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(modes, 0o600)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_existing_world_readable_store_is_made_private(db_path: Path) -> None:
    Store.open(db_path).close()
    db_path.chmod(0o644)
    Store.open(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_the_page_cache_is_bounded(db_path: Path) -> None:
    """SQLite's default 2 MiB page cache stayed resident after the start-up read of the
    sections (the dashboard's peak RSS): each connection the store opens keeps 512 KiB."""
    from zen_tui.store.connection import CACHE_KIB

    store = Store.open(db_path)
    try:
        kib = -store._connection().execute("PRAGMA cache_size").fetchone()[0]
    finally:
        store.close()
    assert kib == CACHE_KIB == 512
