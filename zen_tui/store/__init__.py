"""Local SQLite store: last-known items, HTTP validators, cursors, outbox, webhook queue."""

from zen_tui.store.notices import take_recovery_messages
from zen_tui.store.rows import (
    HttpCacheRow,
    IdempotencyConflict,
    InvalidTransition,
    Link,
    OutboxEntry,
    StoreError,
    StoreRecovered,
    StoreTooNew,
    WebhookRow,
)
from zen_tui.store.store import Store

__all__ = [
    "HttpCacheRow",
    "IdempotencyConflict",
    "InvalidTransition",
    "Link",
    "OutboxEntry",
    "Store",
    "StoreError",
    "StoreRecovered",
    "StoreTooNew",
    "WebhookRow",
    "take_recovery_messages",
]
