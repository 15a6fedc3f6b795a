"""Schema v3: each section keeps why its last sync was not live (for `zen-tui list`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from zen_tui.models import Message
from zen_tui.store import Store, schema

from .conftest import write_old_row


def test_a_v2_file_gains_the_reason_column_and_keeps_its_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "z.db"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    Store.open(path).close()
    write_old_row(path, "s1", _msg(), 5.0)
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.section_reason("s1") is None
        items, fetched_at = store.load_section("s1")
        assert fetched_at == 5.0 and [i.key for i in items] == ["C1:1.0"]
        store.set_section_reason("s1", "breaker open until 14:02")
        assert store.section_reason("s1") == "breaker open until 14:02"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    db.close()


def test_reason_is_set_cleared_and_independent_of_items() -> None:
    with Store.open(":memory:") as store:
        store.set_section_reason("never-synced", "login expired")
        assert store.section_reason("never-synced") == "login expired"
        assert store.load_section("never-synced") == ([], None)  # still "not synced yet"
        store.save_section("never-synced", [_msg()], 7.0)  # a save keeps the reason...
        assert store.section_reason("never-synced") == "login expired"
        store.set_section_reason("never-synced", None)  # ...until a live sync clears it
        assert store.section_reason("never-synced") is None
        assert store.load_section("never-synced")[1] == 7.0
        assert store.section_reason("unknown") is None


def _msg() -> Message:
    return Message(
        id="sl:C1:1.0",
        account="sl",
        service="slack",
        key="C1:1.0",
        title="hi",
        url="https://x",
        updated_at="2026-01-01T00:00:00Z",
    )
