"""The contract between the UI and everything below it.

The Textual app depends only on this protocol and on the events below (published on the
same `EventBus` as the gateway's). The real implementation lives in `zen_tui.sync.engine`;
UI tests may use a fake. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import msgspec

from zen_tui.config import AccountConfig
from zen_tui.events import Event, EventBus
from zen_tui.models import (
    AccountHealth,
    Action,
    ActionState,
    ConnectionState,
    Item,
    ItemDetail,
    MergeMethods,
    Message,
    PullDiff,
    ScopePause,
    SectionInfo,
    Snapshot,
    format_age,
)
from zen_tui.store.rows import Link, OutboxEntry

if TYPE_CHECKING:  # the outbox view's words load with it, not with every command
    from zen_tui.store.outbox_words import Said, Where

T = TypeVar("T")


@dataclass
class NotStored(Exception):
    """A row on screen (models.as_row) whose whole item the store no longer holds, so its
    URL and description are unknown: another zen-tui's listing dropped or renamed it, or its
    login's rows were cleared. Never shown blank, never an empty link opened: its section is
    listed again (which stores it, or takes it off the screen) and the user told so."""

    label: str  # how a person names the item (models.item_label)

    def __str__(self) -> str:
        why = "is not in the local store: refreshing its section; try again in a moment"
        return f"{self.label} {why}"


class SectionUpdated(Event, frozen=True, kw_only=True):
    """A section has a new snapshot (after a poll, a webhook, or an optimistic action)."""

    section_id: str
    snapshot: Snapshot


class Activity(msgspec.Struct, frozen=True):
    """What a section's refresh is doing while it has no answer yet: retrying a failed call,
    or waiting for a rate-limit token. Shown beside the age of what the pane shows."""

    kind: Literal["retrying", "waiting"]
    attempt: int = 0  # retrying: the attempt about to be made (2 = the first retry)
    attempts: int = 0  # retrying: how many attempts a call may make
    until: float | None = None  # waiting: epoch seconds when the wait should end

    def label(self, now: float) -> str:
        """`retrying 2/4`, `waiting for rate limit 12s`; "" once a wait has run out."""
        if self.kind == "retrying":
            return f"retrying {self.attempt}/{self.attempts}"
        left = (self.until or now) - now
        return f"waiting for rate limit {format_age(left)}" if left >= 1 else ""


class AccountConnection(Event, frozen=True, kw_only=True):
    """An account's network part (its gateway and service client): being built, built, or
    its last build failed (`reason`: one line, no secret; the next call that needs the
    account builds it again). Published on each change; `Backend.connection` says it now."""

    state: ConnectionState
    reason: str | None = None

    def describe(self) -> str:
        """`connecting to work…`, `work: not connected (keyring locked)`; "" when connected."""
        if self.state == "connecting":
            return f"connecting to {self.account}…"
        if self.state == "failed":
            return not_connected(self.account, self.reason or "unknown error")
        return ""


class SectionActivity(Event, frozen=True, kw_only=True):
    """A section's refresh started retrying or waiting (`activity`), or ended (None)."""

    section_id: str
    activity: Activity | None


class ActionUpdated(Event, frozen=True, kw_only=True):
    """An outbox entry moved: pending -> sending -> done | failed (| unknown)."""

    action_id: str
    item_id: str
    kind: str
    state: ActionState
    reason: str | None = None
    progress: tuple[int, int] | None = None  # (done, total) for a bulk batch


class OutboxCounted(Event, frozen=True, kw_only=True):
    """An account's outbox as the store holds it now (store.outbox_figures): its entries not
    sent yet and its failed ones. Published by a running engine after each change of its
    outbox and when its store check finds another process's (`zen-tui act`, `zen-tui outbox
    retry`); an account's figures only when they changed, every account's at the start."""

    pending: int
    failed: int


class PausesStored(Event, frozen=True, kw_only=True):
    """The rate-limit pauses the store holds for an account whose gateway is not built yet
    (scope -> what its card shows), as a new gateway of it would obey them. Published by a
    running engine's store check when another process stored one (a built gateway takes it
    before its next request and tells of it itself: QuotaUpdated)."""

    paused: dict[str, ScopePause]


class LinkAdded(Event, frozen=True, kw_only=True):
    """A cross-link was stored (an issue made from a message, an item shared to Slack): both
    rows and the preview show it."""

    source: str
    target: str


class PollerChanged(Event, frozen=True, kw_only=True):
    section_id: str
    paused: bool
    interval: float  # seconds until the next poll
    next_poll_at: float | None = None


class QueryRejected(Exception):
    """A section's new query was not taken: the server refused it (its words in `str()`), or
    it could not be asked. The section keeps its old query."""


@dataclass
class NotConnected(Exception):
    """A call needed an account whose gateway and client could not be built (its keyring
    raised, a bad setting): which, and why in one line with no secret."""

    account: str
    reason: str

    def __str__(self) -> str:
        return not_connected(self.account, self.reason)


def not_connected(account: str, reason: str) -> str:
    """How a failed account's build is said everywhere: the card, a form, an error."""
    return f"{account}: not connected ({reason})"


class Backend(Protocol):
    bus: EventBus

    @property
    def sections(self) -> list[SectionInfo]: ...

    @property
    def accounts(self) -> list[AccountConfig]:
        """The configured accounts (the login screen offers them)."""
        ...

    def take_recovery_notices(self) -> list[str]:
        """One-line notices the user has not seen yet (a bad store file was moved aside);
        each is returned once."""
        ...

    def load_local(self) -> dict[str, Snapshot]:
        """Snapshots from the local store only: fast, no network. Paints the first screen."""
        ...

    async def start(self) -> None:
        """Start the pollers (and webhooks, outbox replay). Returns at once."""
        ...

    async def stop(self) -> None: ...

    async def refresh(self, section_id: str | None = None) -> None:
        """Poll one section (or all) now, without overlapping a running poll."""
        ...

    def set_focus(self, section_id: str | None, *more: str) -> None:
        """The sections on screen (one, or the Inbox's All tab: several) poll more often."""
        ...

    def set_paused(self, paused: bool) -> None: ...

    async def submit(self, actions: list[Action]) -> list[str]:
        """Queue actions in the outbox (one batch when several). Returns outbox ids."""
        ...

    def full_item(self, item: Item) -> Item:
        """The item whole: a snapshot's rows leave their web URLs and PRs' and issues'
        descriptions in the store (models.as_row). For the preview and whatever acts on
        an item (open, copy, a command, a share). Raises NotStored for a row whose item the
        store no longer holds (and has its sections listed again)."""
        ...

    async def details(self, item: Item) -> ItemDetail:
        """The preview's content (the item completed first: its body may be the listing's)."""
        ...

    async def submit_chain(self, steps: list[tuple[Action, str | None]]) -> list[str]:
        """Queue outbox steps that run one after another, each linked to its item when given
        (an issue from a message, then the reply with its link). Returns outbox ids."""
        ...

    def links(self, item_ids: Iterable[str] | None = None) -> dict[str, list[Link]]:
        """Stored cross-links of these items (all when None)."""
        ...

    async def permalink(self, message: Message) -> str:
        """A Slack message's web link (chat.getPermalink)."""
        ...

    async def share_targets(self, account: str) -> list[tuple[str, str]]:
        """(conversation id, label) a Slack account can share to: channels, then DMs."""
        ...

    async def diff(self, item: Item, *, revalidate: bool = False) -> PullDiff:
        """A pull request's changed files and patches, for the preview's diff view."""
        ...

    async def merge_methods(self, item: Item) -> MergeMethods:
        """The merge methods a pull request's repository allows (only GitHub's say), or
        why they are not known."""
        ...

    def connected(self, account: str | None = None) -> bool:
        """That account's service client exists (None: every account's): service_client()
        answers at once (else it waits for that account's build alone)."""
        ...

    def connection(self, account: str) -> AccountConnection:
        """Where that account's build stands now: connecting, connected, or failed and why."""
        ...

    async def reconnect(self, account: str, *, new_login: bool = False) -> None:
        """After a login: the account's client is built again with the new token (and a Jira
        3LO login's REST base), and what the outbox holds for it is sent. No refresh.
        `new_login`: made here (login screen, logout): recorded for other processes too."""
        ...

    async def service_client(self, account: str) -> Any:
        """The account's service client (reads for triage forms), or None; waits for the
        network part the dashboard builds after its first paint."""
        ...

    async def read_current(self, account: str, read: Callable[[Any], Awaitable[T]]) -> T:
        """`read` of the account's service client, asked again of the new one when a login
        replaced it meanwhile (never refused as `the login changed`): the forms' reads."""
        ...

    async def set_query(self, section_id: str, query: str) -> SectionInfo:
        """Run `query` (GitHub search, JQL, Slack channels or search) for the section on the
        server; if it answers, the section uses it from now on (this session) and is listed
        again. Raises QueryRejected with the server's error otherwise."""
        ...

    def outbox_entries(self) -> list[OutboxEntry]:
        """The outbox entries not done, as `zen-tui outbox` lists them (the outbox view)."""
        ...

    # The three below write the store off the event loop: another process's write lock
    # (its busy timeout) must not freeze the dashboard meanwhile.

    async def outbox_retry(self, entry_id: str) -> Said:
        """Queue a failed entry again (and send it soon); what was done, in one line."""
        ...

    async def outbox_clear(self, entry: OutboxEntry) -> Said:
        """Forget a failed entry."""
        ...

    async def outbox_cancel(self, entry: OutboxEntry, where: Where) -> Said:
        """Take back a pending entry (with the steps chained after it), or one that may
        have reached the server (checked there, never resent), or say why not in `where`'s
        words; the rows showing it pending are rolled back."""
        ...

    def health(self) -> list[AccountHealth]: ...
