"""The small tables: HTTP cache, poll cursors, webhook queue, account health, settings."""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from typing import Any

from zen_tui.store.base import StoreBase
from zen_tui.store.health_reads import HEALTH, health_records
from zen_tui.store.rows import HttpCacheRow, StoreFull, WebhookRow

# Never persisted even if a caller passes them in: credentials and session cookies.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# A settings key + account: the login (account@fingerprint, never a token) last learnt from
# a saved place (the keyring, `gh`), whose cached answers a temporary login leaves alone.
_SAVED_LOGIN = "http_cache.saved_login:"


class HttpCacheMixin(StoreBase):
    def http_get(self, key: str) -> HttpCacheRow | None:
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT key, status, headers, body, etag, last_modified, fetched_at"
                    " FROM http_cache WHERE key = ?",
                    (key,),
                )
                .fetchone()
            )
        if row is None:
            return None
        key, status, headers, body, etag, last_modified, fetched_at = row
        return HttpCacheRow(key, status, json.loads(headers), body, etag, last_modified, fetched_at)

    def http_keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        """Delete `account`'s cached answers but those of the logins it may still use:
        `owner` (account@login: its current one; None: logged out) and, when that login is
        `local` (one process's alone: a token in its environment, a session-only login), the
        account's saved login, whose entries wait for its return. Any other login becomes
        the saved one (None: none is), so the one it replaced goes, as do the temporary
        logins' and keys from before logins were named. Read and delete are one transaction:
        a login saved meanwhile by another process is never dropped by a stale read."""
        with suppress(StoreFull), self._write() as db:
            saved = _saved_login(db, account, owner, local=local)
            kept = [f"{who} " if who else "\n" for who in (owner, saved)]  # no key begins "\n"
            # Key ranges (the primary key's index): "acct@" .. "acct@\uffff" is ["acct@",
            # "acctA"), '@' + 1 being 'A'; legacy keys "acct " likewise up to "acct!".
            db.execute(
                "DELETE FROM http_cache"
                " WHERE ((key >= ? AND key < ?) OR (key >= ? AND key < ?))"
                " AND substr(key, 1, ?) != ? AND substr(key, 1, ?) != ?",
                (
                    *(f"{account}@", f"{account}A", f"{account} ", f"{account}!"),
                    *(len(kept[0]), kept[0], len(kept[1]), kept[1]),
                ),
            )

    def http_put(self, row: HttpCacheRow) -> None:
        """Store a response; credential and cookie headers are dropped, not stored."""
        headers = {k: v for k, v in row.headers.items() if k.lower() not in _SECRET_HEADERS}
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute(
                "INSERT OR REPLACE INTO http_cache"
                " (key, status, headers, body, etag, last_modified, fetched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.key,
                    row.status,
                    json.dumps(headers),
                    row.body,
                    row.etag,
                    row.last_modified,
                    row.fetched_at,
                ),
            )

    def http_prune(self, fetched_before: float) -> int:
        """Drop responses fetched before this time (URLs no longer polled); returns how many."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM http_cache WHERE fetched_at < ?", (fetched_before,))
        return cursor.rowcount

    def http_newest(self) -> float | None:
        """When the most recent response was stored (None if none): the store's last activity."""
        with self._lock:
            row = self._connection().execute("SELECT MAX(fetched_at) FROM http_cache").fetchone()
        return None if row is None or row[0] is None else float(row[0])


def _saved_login(
    db: sqlite3.Connection, account: str, owner: str | None, *, local: bool
) -> str | None:
    """The account's saved login (account@login) whose cached answers stay besides `owner`'s:
    for a `local` login, the one recorded; otherwise `owner` is recorded as it (None: the
    record goes) and no other stays."""
    key = _SAVED_LOGIN + account
    if local:
        row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
    if owner is None:
        db.execute("DELETE FROM settings WHERE key = ?", (key,))
    else:
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, owner))
    return None


class CursorsMixin(StoreBase):
    def get_cursor(self, scope: str, name: str) -> str | None:
        return self._value("SELECT value FROM cursors WHERE scope = ? AND name = ?", scope, name)

    def set_cursor(self, scope: str, name: str, value: str) -> None:
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute(
                "INSERT OR REPLACE INTO cursors (scope, name, value) VALUES (?, ?, ?)",
                (scope, name, value),
            )

    def clear_cursor(self, scope: str, name: str) -> None:
        """Forget a cursor: the next poll lists in full (across a restart too)."""
        with self._write() as db:
            db.execute("DELETE FROM cursors WHERE scope = ? AND name = ?", (scope, name))

    def get_setting(self, key: str) -> str | None:
        return self._value("SELECT value FROM settings WHERE key = ?", key)

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def _value(self, sql: str, *params: str) -> str | None:
        with self._lock:
            row = self._connection().execute(sql, params).fetchone()
        return None if row is None else str(row[0])


class WebhooksMixin(StoreBase):
    def webhook_enqueue(
        self,
        service: str,
        delivery_id: str,
        event: str,
        body: bytes,
        received_at: float,
        *,
        digest: str | None = None,
    ) -> bool:
        """Persist a delivery; False if this service saw its delivery id before (a replay),
        or the same `digest` of a signed body (a captured delivery resent under a fresh id),
        even if that earlier delivery was already processed, until webhook_prune forgets it."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO webhook_queue"
                " (service, delivery_id, event, body, received_at, digest)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (service, delivery_id, event, body, received_at, digest),
            )
        return cursor.rowcount == 1

    def webhook_pending(self, limit: int = 100) -> list[WebhookRow]:
        """Unprocessed deliveries, oldest first."""
        with self._lock:
            rows = self._connection().execute(
                "SELECT id, service, delivery_id, event, body, received_at FROM webhook_queue"
                " WHERE done_at IS NULL ORDER BY id LIMIT ?",
                (limit,),
            )
            return [WebhookRow(*r) for r in rows.fetchall()]

    def webhook_done(self, row_id: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE webhook_queue SET done_at = ? WHERE id = ? AND done_at IS NULL",
                (self._clock(), row_id),
            )

    def webhook_prune(self, done_before: float) -> int:
        """Forget processed deliveries done before this time. Their ids stop being deduped,
        so keep them longer than providers retry (GitHub redelivers for days)."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM webhook_queue WHERE done_at < ?", (done_before,)
            ).rowcount


class HealthMixin(StoreBase):
    def save_health(self, account: str, data: dict[str, Any], at: float) -> None:
        """`data` must be JSON-serialisable (numbers, strings, lists, dicts)."""
        text = json.dumps(data)
        with suppress(StoreFull), self._write() as db:  # derived data: best effort
            db.execute(
                "INSERT OR REPLACE INTO health (account, data, at) VALUES (?, ?, ?)",
                (account, text, at),
            )

    def load_health(self) -> dict[str, tuple[dict[str, Any], float]]:
        with self._lock:
            rows = self._connection().execute(HEALTH).fetchall()
        return health_records(rows)
