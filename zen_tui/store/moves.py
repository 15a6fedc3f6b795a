"""A repository that moved (renamed or transferred): the rows and links naming it by its old
name follow it, so a row shows the new name and keeps its links before the next poll.

GitHub item ids name the repository (`account:owner/repo#12`), so the move changes ids. A row
already stored under the new id (a poll came first) wins over the renamed old one. Queued
outbox actions keep their old ids: GitHub answers the old name with a redirect (307 for a
write) that the gateway follows, and their idempotency keys are unchanged.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from contextlib import suppress

import msgspec

from zen_tui.models import Item
from zen_tui.store.codec import CodecError, decode_items, encode_item
from zen_tui.store.items import ItemsMixin
from zen_tui.store.rows import StoreFull


class RepoMovesMixin(ItemsMixin):
    def repo_moved(self, account: str, old: str, new: str) -> int:
        """`account`'s repository `old` (owner/name) is `new` now: its items' rows (ids,
        keys, names, web URLs) and the links to or from them are renamed, in one
        transaction. Returns how many item rows changed."""
        before = f"{account}:{old}#".lower()
        changed = 0
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            changed = _move_items(db, before, old, new)
            _move_links(db, before, f"{account}:{new}#", old, new)
            _remember(db, account, old, new, time.time())
        if changed:
            self._wrote_items()
        return changed

    def repo_moves(self, account: str) -> list[tuple[str, str, float]]:
        """`account`'s recorded moves, oldest first: (old, new, when). A copy of an answer
        from before a move (the gateway's stale one) names the old repository; the rows
        were renamed, so the copy is renamed too (sync/engine.py), else both would show."""
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT value FROM settings WHERE key = ?", (MOVES_KEY + account,))
                .fetchone()
            )
        return _moves(row[0] if row else None)


MOVES_KEY = "repo-moves:"
KEPT_MOVES = 50  # the newest; an answer older than those has long been replaced


def _moves(raw: str | None) -> list[tuple[str, str, float]]:
    with suppress(ValueError, TypeError, msgspec.DecodeError):
        return [(str(o), str(n), float(t)) for o, n, t in msgspec.json.decode(raw or "[]")]
    return []


def _remember(db: sqlite3.Connection, account: str, old: str, new: str, at: float) -> None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (MOVES_KEY + account,)).fetchone()
    moves = [*_moves(row[0] if row else None), (old, new, at)][-KEPT_MOVES:]
    db.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        (MOVES_KEY + account, msgspec.json.encode(moves).decode()),
    )


def _move_items(db: sqlite3.Connection, before: str, old: str, new: str) -> int:
    rows = db.execute(
        "SELECT section_id, item_id, sort_key, fetched_at, data FROM items"
        " WHERE lower(substr(item_id, 1, ?)) = ?",
        (len(before), before),
    ).fetchall()
    changed = 0
    for section_id, item_id, sort_key, fetched_at, data in rows:
        with suppress(CodecError):  # a row this version cannot read stays as it is
            [item] = decode_items([data], _raise)
            moved = _renamed(item, old, new)
            db.execute(
                "DELETE FROM items WHERE section_id = ? AND item_id = ?", (section_id, item_id)
            )
            db.execute(  # a copy under the new id (a poll came first) is kept as it is
                "INSERT OR IGNORE INTO items (section_id, item_id, sort_key, fetched_at, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (section_id, moved.id, sort_key, fetched_at, encode_item(moved)),
            )
            changed += 1
    return changed


def _raise(exc: CodecError) -> None:
    raise exc


def moved_items(items: Sequence[Item], account: str, old: str, new: str) -> list[Item] | None:
    """`items` (in order) with `account`'s repository `old` renamed `new`, as the store
    renames its rows (a copy already under the new id wins); None when none names `old`."""
    before = f"{account}:{old}#".lower()
    if not any(item.id.lower().startswith(before) for item in items):
        return None
    moved = [_renamed(i, old, new) if i.id.lower().startswith(before) else i for i in items]
    taken = {i.id for i in items}
    return [m for i, m in zip(items, moved, strict=True) if m is i or m.id not in taken]


def _renamed(item: Item, old: str, new: str) -> Item:
    """The item with its repository's new name in its id, key, `repo` and web URL."""
    key = new + item.key[len(old) :]
    url = None if item.url is None else _web_url(item.url, old, new)  # a row's: in the store
    fields: dict[str, object] = {"id": f"{item.account}:{key}", "key": key, "url": url}
    if getattr(item, "repo", None) is not None:
        fields["repo"] = new
    return msgspec.structs.replace(item, **fields)


def _move_links(db: sqlite3.Connection, before: str, after: str, old: str, new: str) -> None:
    n = len(before)
    for column in ("source_id", "target_id"):
        db.execute(  # a link the new id already has is kept once
            f"UPDATE OR IGNORE links SET {column} = ? || substr({column}, ?)"
            f" WHERE lower(substr({column}, 1, ?)) = ?",
            (after, n + 1, n, before),
        )
        db.execute(f"DELETE FROM links WHERE lower(substr({column}, 1, ?)) = ?", (n, before))
    rows = db.execute(  # the web URL of a link to a moved item names the new repository
        "SELECT rowid, target_url FROM links WHERE substr(target_id, 1, ?) = ?",
        (len(after), after),
    ).fetchall()
    db.executemany(
        "UPDATE links SET target_url = ? WHERE rowid = ?",
        ((_web_url(url, old, new), rowid) for rowid, url in rows),
    )


def _web_url(url: str, old: str, new: str) -> str:
    """`https://github.com/{old}/pull/1` -> `.../{new}/pull/1` (GitHub's names are
    case-blind); any other URL as it is."""
    return re.sub(f"/{re.escape(old)}/", f"/{new}/", url, count=1, flags=re.IGNORECASE)
