"""Store.atomic: the writes of a block commit together or not at all (the webhook processor's
delivery and its done mark). Real SQLite files; another connection reads as another process
would; a full disk as tests/fakes/full_disk.py makes one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import full_disk
from zen_tui.store import Store
from zen_tui.store.rows import StoreError, StoreFull

from .conftest import make_pr


def queued(store: Store) -> int:
    assert store.webhook_enqueue("github", "d1", "issues", b"{}", 0.0)
    return store.webhook_pending()[0].id


def test_a_blocks_writes_are_seen_by_another_process_only_once_it_ends(
    store: Store, db_path: Path
) -> None:
    row = queued(store)
    other = Store.open(db_path)
    with store.atomic():
        store.upsert_items("s", [make_pr(1)], 10.0)
        assert [i.id for i in store.load_section("s")[0]] == ["gh:octo/app#1"]  # its own
        store.webhook_done(row)
        assert other.load_section("s") == ([], None)
        assert len(other.webhook_pending()) == 1
    assert [i.id for i in other.load_section("s")[0]] == ["gh:octo/app#1"]
    assert other.webhook_pending() == []
    other.close()


def test_a_write_refused_mid_block_undoes_it_all_and_refuses_the_rest(
    store: Store, db_path: Path
) -> None:
    """The disk fills after the block's first write: the next one, best effort (it holds its
    copy in memory and goes on), is refused; so is the done mark after it, at once, never
    committed on its own; the block ends in StoreFull with nothing written."""
    row = queued(store)
    with pytest.raises(StoreFull), store.atomic():
        store.set_setting("first", "1")
        full_disk.no_room(store)
        store.upsert_items("s", [make_pr(1)], 10.0)  # held in memory: no error here
        full_disk.room(store)  # room again: still refused, the block is undone
        store.webhook_done(row)
    other = Store.open(db_path)
    assert other.get_setting("first") is None
    assert other.load_section("s") == ([], None)
    assert len(other.webhook_pending()) == 1
    other.close()
    assert [i.id for i in store.load_section("s")[0]] == ["gh:octo/app#1"]  # held: shown
    store.webhook_done(row)  # a write after the block commits as ever
    assert store.webhook_pending() == []


def test_a_refused_commit_undoes_the_block(store: Store, db_path: Path) -> None:
    row = queued(store)
    full_disk.no_room(store, at_commit=True)
    with pytest.raises(StoreFull), store.atomic():
        store.set_setting("first", "1")
        store.webhook_done(row)
    full_disk.room(store)
    assert store.get_setting("first") is None
    assert len(store.webhook_pending()) == 1


def test_another_error_undoes_its_write_alone_or_the_block_it_leaves(store: Store) -> None:
    """A write's own error caught inside the block: that write is undone, the others commit.
    An error leaving the block: all undone, and it is the error raised."""
    with store.atomic():
        store.set_setting("kept", "1")
        with pytest.raises(ZeroDivisionError), store._write() as db:
            db.execute("INSERT INTO settings (key, value) VALUES ('undone', '1')")
            _ = 1 / 0
    assert store.get_setting("kept") == "1"
    assert store.get_setting("undone") is None
    with pytest.raises(KeyError), store.atomic():
        store.set_setting("left", "1")
        raise KeyError("bug")
    assert store.get_setting("left") is None


def test_blocks_do_not_nest(store: Store) -> None:
    with store.atomic(), pytest.raises(StoreError, match="do not nest"), store.atomic():
        pass
    store.set_setting("after", "1")  # the lock and the connection were given back
    assert store.get_setting("after") == "1"
