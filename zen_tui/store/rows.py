"""Row types the Store hands out, and its errors. Frozen msgspec Structs (cheap to define at
start-up, unlike dataclasses), no I/O."""

from __future__ import annotations

from pathlib import Path

import msgspec

from zen_tui.models import Action, ActionState


class StoreError(Exception):
    """A store problem with a one-line message that says what is wrong and how to fix it."""


class StoreTooNew(StoreError):
    """The database was written by a newer zen-tui; we refuse rather than lose its data."""


class StoreFull(StoreError):
    """The disk (or the database's size limit) is full: nothing more can be written now."""


class InvalidTransition(StoreError):
    """An outbox state change that would risk applying an action twice (e.g. out of DONE)."""


class LeaseHeld(StoreError):
    """Another live process holds this outbox entry's lease: it is sending or verifying it."""


class EntryGone(StoreError):
    """The outbox entry is no longer there: the user cancelled or cleared it (or it was
    pruned, done). Nothing may be sent for it."""


class IdempotencyConflict(StoreError):
    """An idempotency key already used by a different action."""


class StoreRecovered(msgspec.Struct, frozen=True):
    """Notice that the file at open time was unusable and was moved aside."""

    moved_to: Path
    reason: str

    def message(self) -> str:
        return (
            f"the local store was unreadable ({self.reason}); it was moved to {self.moved_to} "
            "and a new empty one was created (cached items will be fetched again)"
        )


class DiskFull(msgspec.Struct, frozen=True):
    """Notice, given once per process, that the store could not be written: what was fetched
    is still shown (from memory) but not saved."""

    path: str

    def message(self) -> str:
        return (
            f"disk full: cannot write {self.path}; what was fetched is shown but not saved. "
            "Free some space and run again"
        )


class HttpCacheRow(msgspec.Struct, frozen=True):
    """A cached HTTP response: response headers and body only, never request headers."""

    key: str
    status: int
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float = 0.0


class OutboxEntry(msgspec.Struct, frozen=True):
    id: str
    seq: int  # insertion order; replay goes in this order
    action: Action
    idempotency_key: str  # defaults to `id` when the caller gives none
    batch_id: str | None
    state: ActionState
    attempts: int
    reason: str | None
    created_at: float
    updated_at: float
    lease_owner: str | None = None  # the process sending (or verifying) it now, see leases.py
    lease_until: float | None = None
    after_id: str | None = None  # a chain step: sent only once this entry is DONE
    link_from: str | None = None  # what it creates is linked to this item (see links.py)
    login: str | None = None  # the account's login when queued (logins.py); None: unknown
    # When the user cancelled it while it may have reached the server: dropped after the
    # check there instead of resent (store/outbox.py); None: no cancel asked.
    cancel_asked: float | None = None


class CancelEnded(msgspec.Struct, frozen=True):
    """How the cancel of an entry that may have reached the server (cancel_asked) ended,
    once the check there told: `landed` (it had landed before the cancel: the entry is
    done, its reason says so), or not (it was dropped, never sent again). Listed by
    `zen-tui outbox` until pruned with the done entries."""

    id: str
    seq: int
    action: Action
    attempts: int
    reason: str | None
    created_at: float
    ended_at: float
    cancel_asked: float
    landed: bool


class Link(msgspec.Struct, frozen=True):
    """One cross-link as seen from one of its ends: the item at the other end."""

    other_id: str
    url: str  # the other item's web page, when known ('' otherwise)
    kind: str  # how it came about: "created_from" (an issue made from a message), "shared"
    outgoing: bool  # True: this item is the source (the message an issue was made from)


class WebhookRow(msgspec.Struct, frozen=True):
    id: int
    service: str
    delivery_id: str
    event: str
    body: bytes
    received_at: float
