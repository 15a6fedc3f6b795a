"""Local SQLite store: last-known items, HTTP validators, cursors, outbox, webhook queue.

Names are loaded on first use (PEP 562): the CLI imports `notices` and `rows` for every
command, and a command that never opens the store (a refused `act`) does not load SQLite and
every table's code for them.
"""

from __future__ import annotations

from zen_tui.lazy_names import lazy_names

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:  # the names as type checkers see them; _HOMES is the runtime map
    from .notices import take_recovery_messages as take_recovery_messages
    from .rows import HttpCacheRow as HttpCacheRow
    from .rows import IdempotencyConflict as IdempotencyConflict
    from .rows import InvalidTransition as InvalidTransition
    from .rows import Link as Link
    from .rows import OutboxEntry as OutboxEntry
    from .rows import StoreError as StoreError
    from .rows import StoreRecovered as StoreRecovered
    from .rows import StoreTooNew as StoreTooNew
    from .rows import WebhookRow as WebhookRow
    from .store import Store as Store

_HOMES = {
    "notices": ("take_recovery_messages",),
    "rows": (
        "HttpCacheRow",
        "IdempotencyConflict",
        "InvalidTransition",
        "Link",
        "OutboxEntry",
        "StoreError",
        "StoreRecovered",
        "StoreTooNew",
        "WebhookRow",
    ),
    "store": ("Store",),
}
__all__, __getattr__ = lazy_names(__name__, _HOMES)
