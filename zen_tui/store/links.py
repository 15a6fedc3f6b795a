"""Cross-links between items of different services, kept across restarts.

A link is written once, source -> target (the Slack message -> the issue made from it; the
issue -> the Slack message that shared it) and read from either end, so both rows can show
it. The outbox writes it in the same transaction that records what a step created
(outbox_merge_params), so a crash never leaves an issue made from a message unlinked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from zen_tui.store.base import StoreBase
from zen_tui.store.rows import Link


def add_link(
    db: sqlite3.Connection, source: str, target: str, url: str, kind: str, at: float
) -> None:
    """Insert inside the caller's transaction; the same pair twice keeps the first."""
    db.execute(
        "INSERT OR IGNORE INTO links (source_id, target_id, target_url, kind, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (source, target, url, kind, at),
    )


class LinksMixin(StoreBase):
    def link_add(self, source: str, target: str, *, url: str = "", kind: str = "link") -> None:
        with self._write() as db:
            add_link(db, source, target, url, kind, self._clock())

    def links_of(self, item_ids: Iterable[str] | None = None) -> dict[str, list[Link]]:
        """Every link touching these items (all items when None), by item, oldest first."""
        wanted = None if item_ids is None else set(item_ids)
        out: dict[str, list[Link]] = {}
        with self._lock:
            rows = self._connection().execute(
                "SELECT source_id, target_id, target_url, kind FROM links ORDER BY created_at"
            )
            for source, target, url, kind in rows.fetchall():
                if wanted is None or source in wanted:
                    out.setdefault(source, []).append(Link(target, url, kind, outgoing=True))
                if wanted is None or target in wanted:
                    out.setdefault(target, []).append(Link(source, "", kind, outgoing=False))
        return out
