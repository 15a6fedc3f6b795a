"""Telling the user, once, that a bad store file was moved aside, or that the disk is full.

The store must not print (it has no idea whether a terminal UI owns the screen), so recovery
notices are handed to whoever listens: the CLI prints them on stderr for headless commands,
the dashboard takes them with `take_recovery_messages()` and shows a notification. Whatever
nobody took is printed by the CLI when the command ends, so a notice is never lost or doubled.
"""

from __future__ import annotations

from _thread import allocate_lock  # threading.Lock itself, without threading (see base.py)
from collections.abc import Callable

# The notices' classes are not loaded for their names: the CLI sets a listener for every
# command, and one that answers without opening the store (cli._quick) loads no msgspec.
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from zen_tui.store.rows import DiskFull, StoreRecovered

    Notice = StoreRecovered | DiskFull
    Listener = Callable[[Notice], None]

_lock = allocate_lock()
_pending: list[Notice] = []
_listener: Listener | None = None
_disk_full = False


def announce(notice: Notice) -> None:
    """Called by the store when it moved a file aside: deliver now, or keep until taken."""
    with _lock:
        listener = _listener
        if listener is None:
            _pending.append(notice)
    if listener is not None:
        listener(notice)


def announce_disk_full(notice: DiskFull) -> bool:
    """Announce the first DiskFull of this process only ("disk full" is said once);
    True if this call announced it."""
    global _disk_full
    with _lock:
        first = not _disk_full
        _disk_full = True
    if first:
        announce(notice)
    return first


def disk_full_seen() -> bool:
    """Whether a write failed for lack of space during this process (the CLI exits 2)."""
    return _disk_full


def reset_disk_full() -> None:
    """Forget a disk-full state (tests; a new command in the same process)."""
    global _disk_full
    with _lock:
        _disk_full = False


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
