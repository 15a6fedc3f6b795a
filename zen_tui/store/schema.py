"""The database schema as an ordered list of migrations, tracked in PRAGMA user_version.

Migration N (1-based) upgrades a v(N-1) database to vN. Never edit a released migration;
append a new one. `application_id` marks the file as ours so a foreign SQLite file is
recognised (and moved aside) instead of being written into.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
# Only named in types: store/plain.py reads SCHEMA_VERSION without the sqlite3 package.
if TYPE_CHECKING:
    import sqlite3

APPLICATION_ID = 0x5A454E54  # "ZENT"

Migration = Callable[["sqlite3.Connection"], None]


def _v1_core(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE sections (
            section_id TEXT PRIMARY KEY,
            fetched_at REAL
        );
        CREATE TABLE items (
            section_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            sort_key REAL NOT NULL,
            fetched_at REAL NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (section_id, item_id)
        );
        CREATE INDEX items_by_item ON items (item_id);
        -- Response side only: there is deliberately no column for request headers.
        CREATE TABLE http_cache (
            key TEXT PRIMARY KEY,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            etag TEXT,
            last_modified TEXT,
            fetched_at REAL NOT NULL
        );
        CREATE TABLE cursors (
            scope TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (scope, name)
        );
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            action TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            batch_id TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            reason TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX outbox_by_state ON outbox (state, seq);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


def _v2_webhooks_and_health(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE webhook_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            service TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            event TEXT NOT NULL,
            body BLOB NOT NULL,
            received_at REAL NOT NULL,
            done_at REAL,
            UNIQUE (service, delivery_id)
        );
        CREATE INDEX webhook_pending ON webhook_queue (done_at, id);
        CREATE TABLE health (
            account TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            at REAL NOT NULL
        );
        """,
    )


def _v3_section_reason(db: sqlite3.Connection) -> None:
    # Why the last sync of a section was not live (NULL when it was), for `zen-tui list`.
    db.execute("ALTER TABLE sections ADD COLUMN reason TEXT")


def _v4_outbox_leases_and_webhook_digests(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- Who is sending an outbox entry and until when (another process may take it after).
        ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
        ALTER TABLE outbox ADD COLUMN lease_until REAL;
        -- A digest of the signed body: a captured delivery resent under a new id is a replay.
        ALTER TABLE webhook_queue ADD COLUMN digest TEXT;
        CREATE UNIQUE INDEX webhook_by_digest ON webhook_queue (service, digest)
            WHERE digest IS NOT NULL;
        """,
    )


def _v5_outbox_chains_and_links(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- A chained entry waits for `after_id` (its predecessor) and takes what it created;
        -- `link_from` names the item the entry's creation is linked to.
        ALTER TABLE outbox ADD COLUMN after_id TEXT;
        ALTER TABLE outbox ADD COLUMN link_from TEXT;
        -- Cross-links between items of any services (a Slack message and the issue made
        -- from it, an issue and the message that shared it): stored once, read both ways.
        CREATE TABLE links (
            source_id TEXT NOT NULL,
            target_id TEXT NOT NULL,
            target_url TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (source_id, target_id)
        );
        CREATE INDEX links_by_target ON links (target_id)
        """,
    )


def _v6_logins(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- Which login (a keyed, non-secret fingerprint, gateway/identity.py, '' logged out)
        -- each account's saved sections and queued actions belong to (store/logins.py).
        CREATE TABLE logins (
            account TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL
        );
        -- The login recorded for the action's account when it was queued: never sent as another.
        ALTER TABLE outbox ADD COLUMN login TEXT
        """,
    )


def _v7_login_generations(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- Bumped by every `zen-tui auth login`: a re-login as the same user (a new token, the
        -- fingerprint unchanged) is still a change a running process must take (logins.py).
        ALTER TABLE logins ADD COLUMN generation INTEGER NOT NULL DEFAULT 0
        """,
    )


def _v8_gone(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- What left, for every process on the file (store/gone.py): an item the server said
        -- is gone (or every item under an id prefix: a Slack channel left) since `gone_at`...
        CREATE TABLE gone (
            key TEXT NOT NULL,
            prefix INTEGER NOT NULL,
            gone_at REAL NOT NULL,
            PRIMARY KEY (key, prefix)
        );
        CREATE INDEX gone_by_time ON gone (gone_at);
        -- ...and when the section's newest full listing was fetched: what it did not list had
        -- left the section by then
        ALTER TABLE sections ADD COLUMN listed_at REAL
        """,
    )


def _v9_rate_pauses(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- Rate-limit pauses (store/pauses.py): no request of the account's scope goes out
        -- before `until`, in any process on the file, nor after a restart. `recorded_at` caps
        -- a pause at its length if the clock is set back, `step` carries GitHub's doubling
        -- wait for secondary limits that name no time.
        CREATE TABLE rate_pauses (
            account TEXT NOT NULL,
            scope TEXT NOT NULL,
            service TEXT NOT NULL,
            until REAL NOT NULL,
            recorded_at REAL NOT NULL,
            reason TEXT NOT NULL,
            step INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account, scope)
        );
        CREATE INDEX rate_pauses_by_until ON rate_pauses (until)
        """,
    )


def _v10_outbox_cancel_asked(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- When the user cancelled an entry that may have reached the server (unknown): it is
        -- checked there once more, then ends sent if it had landed, else is dropped, never
        -- resent (store/outbox.py). NULL: no cancel asked.
        ALTER TABLE outbox ADD COLUMN cancel_asked REAL
        """,
    )


def _v11_outbox_dropped(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        -- The entries cancelled while they may have reached the server (cancel_asked) that
        -- the check there found had not landed: taken out of the outbox, never sent, and
        -- kept here so `zen-tui outbox` can say how the cancel ended (store/outbox.py).
        -- Pruned with the done entries, by `dropped_at`.
        CREATE TABLE outbox_dropped (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            action TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            reason TEXT NOT NULL,
            created_at REAL NOT NULL,
            cancel_asked REAL NOT NULL,
            dropped_at REAL NOT NULL
        );
        CREATE INDEX outbox_dropped_by_time ON outbox_dropped (dropped_at);
        -- The few entries a cancel was asked of, found without reading every done one.
        CREATE INDEX outbox_cancel_asked ON outbox (seq) WHERE cancel_asked IS NOT NULL
        """,
    )


MIGRATIONS: list[Migration] = [
    _v1_core,
    _v2_webhooks_and_health,
    _v3_section_reason,
    _v4_outbox_leases_and_webhook_digests,
    _v5_outbox_chains_and_links,
    _v6_logins,
    _v7_login_generations,
    _v8_gone,
    _v9_rate_pauses,
    _v10_outbox_cancel_asked,
    _v11_outbox_dropped,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring `db` (in autocommit mode) up to SCHEMA_VERSION; returns the version it had.

    Each step runs in its own transaction with its version bump, so a crash mid-upgrade
    leaves a consistent older version that the next open finishes upgrading. The version is
    read under the write lock, so two processes opening at once never run a step twice.
    """
    start = _version(db)
    if start >= SCHEMA_VERSION:
        return start  # the common case: no write lock taken
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = _version(db)
            if version < SCHEMA_VERSION:
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if version >= SCHEMA_VERSION - 1:
            return start


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _execute_all(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): on Python 3.11 it COMMITs first, breaking the step's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
