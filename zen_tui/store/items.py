"""Sections' last-known items, so the first screen paints from disk before the network."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import suppress

from zen_tui.models import Item
from zen_tui.store.base import StoreBase
from zen_tui.store.codec import CodecError, decode_item, encode_item, sort_key
from zen_tui.store.rows import StoreFull

log = logging.getLogger(__name__)

_UPSERT = (
    "INSERT OR REPLACE INTO items (section_id, item_id, sort_key, fetched_at, data)"
    " VALUES (?, ?, ?, ?, ?)"
)
_TOUCH = (
    "INSERT INTO sections (section_id, fetched_at) VALUES (?, ?)"
    " ON CONFLICT (section_id) DO UPDATE SET fetched_at = excluded.fetched_at"
)


class ItemsMixin(StoreBase):
    def save_section(self, section_id: str, items: Sequence[Item], fetched_at: float) -> None:
        """Replace the section's items with `items`, in one transaction."""
        rows = _rows(section_id, items, fetched_at)
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute("DELETE FROM items WHERE section_id = ?", (section_id,))
            db.executemany(_UPSERT, rows)
            db.execute(_TOUCH, (section_id, fetched_at))

    def upsert_items(self, section_id: str, items: Sequence[Item], fetched_at: float) -> None:
        """Add or replace these items (a delta fetch); the section's fetched_at moves on."""
        rows = _rows(section_id, items, fetched_at)
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.executemany(_UPSERT, rows)
            db.execute(_TOUCH, (section_id, fetched_at))

    def remove_items(self, section_id: str, item_ids: Sequence[str]) -> None:
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.executemany(
                "DELETE FROM items WHERE section_id = ? AND item_id = ?",
                ((section_id, item_id) for item_id in item_ids),
            )

    def set_section_reason(self, section_id: str, reason: str | None) -> None:
        """Why the section's last sync was not live; None (live again) clears it."""
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute(
                "INSERT INTO sections (section_id, fetched_at, reason) VALUES (?, NULL, ?)"
                " ON CONFLICT (section_id) DO UPDATE SET reason = excluded.reason",
                (section_id, reason),
            )

    def section_reason(self, section_id: str) -> str | None:
        with self._read() as db:
            row = db.execute(
                "SELECT reason FROM sections WHERE section_id = ?", (section_id,)
            ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def load_section(self, section_id: str) -> tuple[list[Item], float | None]:
        """Items newest-updated first (ties keep the saved order), and when they were fetched."""
        with self._read() as db:
            row = db.execute(
                "SELECT fetched_at FROM sections WHERE section_id = ?", (section_id,)
            ).fetchone()
            data = db.execute(
                "SELECT data FROM items WHERE section_id = ? ORDER BY sort_key DESC, rowid",
                (section_id,),
            ).fetchall()
        return _decode_all(r[0] for r in data), (row[0] if row else None)

    def find_item(self, item_id: str) -> Item | None:
        """The most recently fetched copy of an item, whichever section holds it."""
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT data FROM items WHERE item_id = ? ORDER BY fetched_at DESC LIMIT 1",
                    (item_id,),
                )
                .fetchone()
            )
        found = _decode_all([row[0]]) if row else []
        return found[0] if found else None


def _rows(
    section_id: str, items: Sequence[Item], fetched_at: float
) -> list[tuple[str, str, float, float, str]]:
    # Encoded before the transaction starts, so the write lock is held only for SQLite work.
    return [
        (section_id, item.id, sort_key(item.updated_at), fetched_at, encode_item(item))
        for item in items
    ]


def _decode_all(texts: Iterable[str]) -> list[Item]:
    items: list[Item] = []
    for text in texts:
        try:
            items.append(decode_item(text))
        except CodecError as exc:  # e.g. a kind written by a newer version: skip, don't crash
            log.warning("local store: skipped an item: %s", exc)
    return items
