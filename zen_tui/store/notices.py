"""Telling the user, once, that a bad store file was moved aside.

The store must not print (it has no idea whether a terminal UI owns the screen), so recovery
notices are handed to whoever listens: the CLI prints them on stderr for headless commands,
the dashboard takes them with `take_recovery_messages()` and shows a notification. Whatever
nobody took is printed by the CLI when the command ends, so a notice is never lost or doubled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from zen_tui.store.rows import StoreRecovered

Listener = Callable[[StoreRecovered], None]

_lock = threading.Lock()
_pending: list[StoreRecovered] = []
_listener: Listener | None = None


def announce(notice: StoreRecovered) -> None:
    """Called by the store when it moved a file aside: deliver now, or keep until taken."""
    with _lock:
        listener = _listener
        if listener is None:
            _pending.append(notice)
    if listener is not None:
        listener(notice)


def set_listener(listener: Listener | None) -> None:
    """Deliver notices to `listener` as they happen (None: keep them for take_*)."""
    global _listener
    with _lock:
        _listener = listener


def take_recovery_messages() -> list[str]:
    """One-line messages of the notices nobody has shown yet; each is returned only once."""
    with _lock:
        taken = list(_pending)
        _pending.clear()
    return [notice.message() for notice in taken]
