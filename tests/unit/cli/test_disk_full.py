"""A full disk (issue 9): real SQLite refusing writes with SQLITE_FULL (PRAGMA max_page_count
on the store's own connection) and a log file on /dev/full (ENOSPC from the kernel). Fetched
sections stay shown from memory, "disk full" is said once, headless commands exit 2."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes import full_disk
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.models import Issue
from zen_tui.store import Store, StoreError, notices
from zen_tui.store import store as store_module
from zen_tui.store.connection import open_database


def filled(extra_pages: int = 0) -> Callable[[Path | str], tuple[sqlite3.Connection, object]]:
    """open_database, then cap the file at its current size (+ a few pages): every write that
    needs a new page gets a real SQLITE_FULL from SQLite."""

    def open_full(path: Path | str) -> tuple[sqlite3.Connection, object]:
        db, recovered = open_database(path)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + extra_pages}")
        return db, recovered

    return open_full


def issue(n: int) -> Issue:
    return Issue(
        id=f"gh:o/r#{n}",
        key=f"o/r#{n}",
        service="github",
        account="gh",
        title="x" * 2000,
        url=f"https://github.com/o/r/issues/{n}",
        updated_at="2024-01-01T00:00:00Z",
    )


def test_a_full_store_keeps_what_it_had_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "zen-tui.db"
    with Store.open(db_path) as store:
        store.save_section("s", [issue(1)], 1.0)
    monkeypatch.setattr(store_module, "open_database", filled())
    with Store.open(db_path) as store:
        for n in range(2, 6):  # derived data: the write is dropped, nothing raises
            store.save_section("s", [issue(n) for n in range(n * 50, n * 50 + 50)], float(n))
        items, fetched_at = store.load_section("s")  # the newest listing, held in memory
        assert [i.key for i in items] == [f"o/r#{n}" for n in range(250, 300)]
        assert fetched_at == 5.0
        with full_disk.on_disk(store) as written:  # the file: as it was
            items, fetched_at = written.load_section("s")
            assert [i.key for i in items] == ["o/r#1"] and fetched_at == 1.0
        assert notices.disk_full_seen()
        [message] = notices.take_recovery_messages()  # said once, not per failed write
        assert message.startswith(f"disk full: cannot write {db_path}")
        with pytest.raises(StoreError) as info:  # an action that can't be saved is refused
            for n in range(200):
                store.set_setting(f"k{n}", "v" * 4000)
        assert "\n" not in str(info.value) and "disk full" in str(info.value)


def test_space_freed_means_writes_work_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "open_database", filled())
    with Store.open(tmp_path / "zen-tui.db") as store:
        store.save_section("s", [issue(n) for n in range(60)], 1.0)
        with full_disk.on_disk(store) as written:
            assert written.load_section("s") == ([], None)
        store._connection().execute("PRAGMA max_page_count = 1000000")  # space again
        store.save_section("s", [issue(1)], 2.0)
        assert [i.key for i in store.load_section("s")[0]] == ["o/r#1"]


def test_headless_sync_on_a_full_disk_shows_the_fetch_and_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(store_module, "open_database", filled())
    logs = paths.log_dir(tmp_path)
    logs.mkdir(parents=True)
    (logs / paths.LOG_FILE_NAME).symlink_to("/dev/full")  # every log write: ENOSPC
    status = main(["--demo", "--data-dir", str(tmp_path), "--log-level", "DEBUG", "sync", "--once"])
    out, err = capfd.readouterr()
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("zen-tui: disk full: cannot write")
    assert "Traceback" not in err and "Logging error" not in err
    lines = out.splitlines()
    assert len(lines) == 6 and all("live" in line for line in lines), out
    assert "not synced yet" not in out and " 0 items" not in out
    assert oct(Path("/dev/full").stat().st_mode & 0o777) == "0o666"  # a link is not followed


def outbox_filled(path: Path | str) -> tuple[sqlite3.Connection, object]:
    """Capped like `filled`, then the outbox's pages packed with finished entries until
    SQLite itself says SQLITE_FULL: the next action cannot be written."""
    db, recovered = filled()(path)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for n in range(100_000):
            db.execute(
                "INSERT INTO outbox (id, action, idempotency_key, state, created_at, updated_at)"
                " VALUES (?, '{}', ?, 'done', 0, 0)",
                (f"f{n}", f"k{n}"),
            )
    return db, recovered


def test_an_action_that_cannot_be_queued_is_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(store_module, "open_database", outbox_filled)
    argv = ["--demo", "--data-dir", str(tmp_path), "act", "comment", "github:o/r#1", "body=hi"]
    status = main(argv)
    out, err = capfd.readouterr()
    assert status == 2 and out == ""  # no "applied"/"failed": nothing was sent
    assert err.count("\n") == 1 and err.startswith("zen-tui: disk full: cannot write")
