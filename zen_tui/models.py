"""Domain models shared by every layer: items normalised across services, and freshness.

Frozen `msgspec.Struct`s (a Struct costs ~0.02 ms to define where a frozen dataclass costs
~1.3 ms at every start, and the store's codec decodes them straight from JSON). No I/O and no
third-party import but msgspec, so the store, the services, the headless commands and the UI
can all use them. Copy with `msgspec.structs.replace`, not `dataclasses.replace`.

The items (and Reaction) are `gc=False`: they hold only strings, numbers and tuples of those,
so they can never be part of a reference cycle, and the collector need not walk the 10,000 a
dashboard holds (each is also 16 bytes smaller).

No `from __future__ import annotations` here: the fields' types are evaluated once, as
the classes are defined, so msgspec reads them as they are. As strings, every decoder built
and every structs.fields() call would compile and evaluate each hint anew (85 for the items,
~0.6 ms of `zen-tui list`). A method returning its own class names it in quotes.
"""

import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

import msgspec

from zen_tui import action_states, freshness_words, pause_rules

# Re-exported: the action kinds live apart so the command line can list them without these
# models.
from zen_tui.action_kinds import ACTION_KINDS as ACTION_KINDS
from zen_tui.action_kinds import ActionKind as ActionKind
from zen_tui.action_kinds import is_action_kind as is_action_kind
from zen_tui.pause_rules import PAUSE_MAX as PAUSE_MAX

# Re-exported: ages are said apart from the models, by code that runs without msgspec too.
from zen_tui.timefmt import format_age as format_age

Service = Literal["github", "jira", "slack"]
Pane = Literal["prs", "issues", "messages", "inbox"]
# How the gateway answered a read ("stale": from its stale copy, the server having failed).
CacheOutcome = Literal["bypass", "miss", "hit", "revalidated", "stale"]


class FreshnessState(StrEnum):
    LIVE = "live"  # fetched from the API in this refresh (a 304 revalidation too)
    # the API failed: the last good answer (in memory, or the gateway's on disk); or, with
    # Cause.CACHE_HIT, the gateway answered from its cache within the TTL, the server not asked
    CACHED = "cached"
    LOCAL = "local"  # the API failed (or not asked yet); served from the local store
    EMPTY = "empty"  # nothing to show; `reason` says why


class Cause(StrEnum):
    """Why a section is not live, as a value the UI can act on (`reason` is for people)."""

    AUTH = "auth"  # the login expired or is missing: only a new login fixes it
    BREAKER = "breaker"  # the service's breaker is open
    RATE_LIMIT = "rate_limit"  # the server asked us to wait
    OFFLINE = "offline"  # no answer: refused, timed out
    SERVER = "server"  # a 5xx after the last retry
    DEADLINE = "deadline"  # the call's time budget ran out
    OFF_ORIGIN = "off_origin"  # a server link pointed at another host: not followed
    BAD_RESPONSE = "bad_response"  # an answer that breaks the contract (or is too large)
    REFUSED = "refused"  # a final 4xx: the server said no
    QUERY = "query"  # the server refused the section's query: only changing it helps
    GONE = "gone"  # 410: the endpoint or API version was removed
    PAGING = "paging"  # pagination stopped early; what came is kept
    NOT_SYNCED = "not_synced"  # nothing fetched yet
    # Answered from the gateway's cache within its TTL, the server not asked: nothing failed,
    # but the data is as old as the cached answer (its age shows)
    CACHE_HIT = "cache_hit"
    LOCAL = "local"  # from the local store, the API not asked yet
    POLLER = "poller"  # the section's poller stopped and is restarting
    INTERNAL = "internal"  # a bug in zen-tui


class Freshness(msgspec.Struct, frozen=True):
    state: FreshnessState
    fetched_at: float | None = None  # epoch seconds of the data shown
    reason: str | None = None  # why not live: "breaker open until 14:02", "offline", ...
    cause: Cause | None = None  # the same, typed: set where the freshness is derived
    # Why the section's source takes no writes, whatever its rows ("#dev archived in Slack:
    # read-only, no new messages"): the pane says so beside its badge, rows or none.
    read_only: str | None = None
    # Part of the section's source this account cannot read, said beside the badge, rows or
    # none, as Slack said it: "#dev left" (read before), "not a member of #dev", "#dev not
    # found"; `reason` then says why and what fixes it. An answer as of `fetched_at`, not a
    # failure: the state stays live.
    left_out: str | None = None

    @property
    def answered(self) -> bool:
        """The last poll got its answer: live, or from the gateway's cache within its TTL
        (the server not asked, nothing failed; the age says how old it is)."""
        return self.state is FreshnessState.LIVE or self.cause is Cause.CACHE_HIT

    def age(self, now: float | None = None) -> float | None:
        return freshness_words.age(self.fetched_at, now)

    def badge(self, now: float | None = None) -> str:
        """Short label for a pane title: 'live', 'cached 2m', 'local 3h', 'empty'."""
        return freshness_words.badge(self.state.value, self.fetched_at, now)

    @classmethod
    def live(cls, fetched_at: float | None = None) -> "Freshness":
        return cls(FreshnessState.LIVE, time.time() if fetched_at is None else fetched_at)


def parse_iso(value: str) -> datetime | None:
    """An ISO 8601 time ('Z', '+00:00', '+0000'); a naive one is UTC, never the machine's
    local time. None when it is not ISO 8601."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ItemBase(msgspec.Struct, frozen=True, gc=False):
    """What every item has, whatever the service.

    `id` is unique across the whole app: f"{account}:{key}" where key is the service's own
    stable id (GitHub "owner/repo#12", Jira "PROJ-7", Slack "C123:1512085950.000216").
    """

    id: str
    account: str
    service: Service
    key: str
    title: str
    url: str | None  # None: left in the store (a dashboard row; see as_row)
    updated_at: str  # ISO 8601, UTC, as the API gave it (or normalised to it)
    # GitHub notifications only: the thread a row came from, and whether it is unread.
    thread_id: str | None = None
    unread: bool | None = None


class PullRequest(ItemBase, frozen=True, gc=False):
    repo: str = ""
    number: int | None = 0  # None: left in the store (a dashboard row; see as_row)
    author: str = ""
    state: str = "open"  # open | closed | merged
    draft: bool = False
    review_decision: str | None = None  # approved | changes_requested | review_required | None
    requested_reviewers: tuple[str, ...] = ()
    check_status: str | None = None  # success | failure | pending | None
    mergeable: bool | None = None  # None while GitHub computes it
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    body: str | None = ""  # None: left in the store (a dashboard row; see as_row)
    branch: str = ""  # the head branch, from the GraphQL row ("" until it is known)


class Issue(ItemBase, frozen=True, gc=False):
    """A GitHub issue or a Jira issue."""

    status: str = "open"
    assignee: str | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()
    repo: str | None = None  # GitHub only
    number: int | None = None  # GitHub only (a row's is left in the store: see as_row)
    project: str | None = None  # Jira only
    body: str | None = ""  # None: left in the store (a dashboard row; see as_row)


class Reaction(msgspec.Struct, frozen=True, gc=False):
    name: str
    count: int
    me: bool = False


class Message(ItemBase, frozen=True, gc=False):
    """A Slack message. `title` is the first line of the text, for list rows."""

    channel: str = ""
    channel_id: str = ""
    author: str = ""
    text: str = ""
    ts: str = ""
    thread_ts: str | None = None
    reply_count: int = 0
    reactions: tuple[Reaction, ...] = ()
    mentions_me: bool = False
    latest_reply: str | None = None  # a thread parent's newest reply ts, as Slack says
    broadcast: bool = False  # a thread reply also sent to the channel (thread_broadcast)


class ThreadReply(msgspec.Struct, frozen=True):
    """A reply a webhook announced: the parent (item id) it went to, the reply's ts and, when
    the event says so (a thread_broadcast's `root`), the thread's reply count after it."""

    parent_id: str
    reply_ts: str
    reply_count: int | None = None


def with_reply(parent: Message, reply: ThreadReply) -> Message:
    """The parent once `reply` is in its thread: one reply more (or the event's count), the
    reply its latest. A reply not newer than the latest one known (a repeat, or one a listing
    already counted) changes nothing, so applying it twice is applying it once."""
    if parent.latest_reply is not None and float(reply.reply_ts) <= float(parent.latest_reply):
        return parent
    count = parent.reply_count + 1 if reply.reply_count is None else reply.reply_count
    return msgspec.structs.replace(
        parent, reply_count=count, latest_reply=reply.reply_ts, thread_ts=parent.ts
    )


Item = PullRequest | Issue | Message


def body_of(item: Item) -> str:
    """An item's own long text: a PR's or issue's description, a message's text."""
    if isinstance(item, Message):
        return item.text
    if item.body is None:
        raise _not_whole(item)
    return item.body


def url_of(item: Item) -> str:
    """An item's web page."""
    if item.url is None:
        raise _not_whole(item)
    return item.url


def _not_whole(item: Item) -> ValueError:
    """A row (as_row) where the whole item was needed: a bug, said loudly, never a blank
    description shown or an empty link sent."""
    return ValueError(f"{item.id} is a row: read it whole first (Backend.full_item)")


def is_row(item: Item) -> bool:
    """A row as the dashboard holds it: its web URL (and a PR's or issue's description and
    number) left in the store (as_row)."""
    return item.url is None


def as_row(item: Item) -> Item:
    """The item as the dashboard's rows hold it: without what the list never shows (nor
    the filter matches on): its web URL, a PR's or issue's description and number (its key
    says it), which the store keeps and are read back when the item is opened or acted on
    (Backend.full_item). Descriptions run to kilobytes: 10,000 rows held over 2 MiB of the
    three. A message keeps its text (its title is cut from it, and `N` and `S` quote it)."""
    if item.url is None:
        return item
    if isinstance(item, Message):
        return msgspec.structs.replace(item, url=None)
    return msgspec.structs.replace(item, url=None, body=None, number=None)


def whole(item: Item, stored: Item | None) -> Item:
    """A row with what it left in the store put back from `stored` (that item's stored
    copy; None: not stored, and nothing is known of them); any other item as it is."""
    if item.url is not None:
        return item
    url = "" if stored is None else url_of(stored)
    if isinstance(item, Message):
        return msgspec.structs.replace(item, url=url)
    body = "" if stored is None else body_of(stored)
    number = stored.number if isinstance(stored, PullRequest | Issue) else None
    if isinstance(item, PullRequest) and number is None:
        number = 0  # as a PR without one is
    return msgspec.structs.replace(item, url=url, body=body, number=number)


def item_label(item: Item, now: float | None = None) -> str:
    """How a person names an item (item_words.item_label): a PR or issue by its key, a Slack
    message by channel and time."""
    if not isinstance(item, Message):
        return item.key
    from zen_tui.item_words import message_label  # loaded by the few that name a message

    return message_label(item.channel, item.channel_id, item.ts, now)


class Snapshot(msgspec.Struct, frozen=True):
    """What a section shows: its items and how fresh they are."""

    items: tuple[Item, ...]
    freshness: Freshness

    @classmethod
    def empty(cls, reason: str, cause: Cause | None = None) -> "Snapshot":
        return cls((), Freshness(FreshnessState.EMPTY, None, reason, cause))


class SectionInfo(msgspec.Struct, frozen=True):
    """A configured section, as the UI and the headless commands see it."""

    id: str  # stable: f"{pane}:{index}:{account}"
    pane: Pane
    title: str
    account: str
    service: Service
    query: str = ""


class ActionState(StrEnum):
    """The states of an outbox entry: zen_tui.action_states says what each means."""

    PENDING = action_states.PENDING
    SENDING = action_states.SENDING
    UNKNOWN = action_states.UNKNOWN
    DONE = action_states.DONE
    FAILED = action_states.FAILED


class Action(msgspec.Struct, frozen=True):
    """A triage action on one item; `params` holds the kind's arguments."""

    kind: ActionKind
    item_id: str
    account: str
    params: dict[str, str] = msgspec.field(default_factory=dict)


# -- Records the layers hand each other (services -> sync -> UI and the commands) -------------
class ActionResult(msgspec.Struct, frozen=True):
    ok: bool
    message: str = ""
    item: Item | None = None
    conflict: bool = False  # final failure the user must know (already merged, ...)
    label: str = "conflict"  # what kind of final failure, as the reason starts: `not found: …`


class ScreenField(msgspec.Struct, frozen=True):
    """A field a Jira transition's screen requires (Get transitions, transitions.fields):
    `allowed` holds its allowedValues' names, `ref` how a value names one ("name" for a
    resolution or a version, "value" for a custom field's option, "" for a bare string),
    `ids` their ids in the same order ("" where one has none: Jira takes {"id": ...} too),
    `kind` its schema's type ("string", "number", "date", "array" for a list: fix versions, a
    multi-select; "richtext" for a string Jira's v3 takes as a document: a textarea, the
    description; "comment" for the comment, which a transition adds through `update`; "" when
    not said). `required` False: a comment the screen lists without requiring it, offered to
    be left empty; `refused`, what Jira said refusing the move without it (a workflow rule
    wants it though the screen's metadata does not say so): it is required then."""

    key: str
    name: str
    allowed: tuple[str, ...] = ()
    ref: str = "name"
    ids: tuple[str, ...] = ()
    kind: str = ""
    required: bool = True
    refused: str = ""

    @property
    def many(self) -> bool:
        """Whether it holds a list (its value is sent as one)."""
        return self.kind == "array"


class ItemDetail(msgspec.Struct, frozen=True):
    """The preview pane's content, fetched on demand."""

    item_id: str
    body: str = ""
    checks: tuple[tuple[str, str], ...] = ()  # (name, status)
    reviews: tuple[tuple[str, str], ...] = ()  # (author, state)
    comments: tuple[tuple[str, str], ...] = ()  # (author, text)
    transitions: tuple[str, ...] = ()  # Jira: names available now
    # Jira: transition name -> the fields its screen requires (none: not in the map)
    screens: dict[str, tuple[ScreenField, ...]] = msgspec.field(default_factory=dict)
    # Jira changelog, when asked for (H): (when, who, what); None = not asked
    history: tuple[tuple[str, str, str], ...] | None = None
    extra: dict[str, str] = msgspec.field(default_factory=dict)  # mergeable, assignee, ...
    error: str | None = None  # why the detail is partial
    # A read of the item answered 404 / 410 (or Slack's not-found codes): it may be gone, or
    # no longer visible. Only a hint: the engine asks about the item itself before it acts.
    missing: bool = False


class FetchResult(msgspec.Struct, frozen=True):
    """One section's read, as a service client hands it to the sync engine."""

    items: list[Item]
    # When the oldest page was fetched: a later page the cache answered (its stale copy after
    # a failed request) may be older than the first, and the listing is no newer than that.
    fetched_at: float
    cache: CacheOutcome  # "stale" => served from the gateway's stale cache
    # Why the items are not (all) live: the gateway's error (a GatewayError; typed as its base
    # here because the shared records sit below the gateway), which the engine turns into the
    # section's freshness reason and cause.
    stale_error: Exception | None = None
    complete: bool = True  # False if pagination stopped early (limit reached / error mid-way)
    # Part of the query was not read (a page failed after the first, paging was stopped, a
    # search timed out server-side): a row missing from `items` is no evidence it left, so
    # the engine keeps the rows it did not see. The limit cutting a listing is not partial.
    partial: bool = False
    cursor: str | None = None  # delta cursor for the next poll
    poll_interval: float | None = None  # server-requested minimum (GitHub X-Poll-Interval)
    skipped: int = 0  # malformed items left out (each logged); the rest of the page is kept
    # item id -> when its page was fetched, for the items whose page is newer than
    # `fetched_at` (services/base.py PageTimes): each row is as old as its own page.
    fetched: dict[str, float] = msgspec.field(default_factory=dict)
    # Item-id prefixes the server said are gone for this account (a Slack channel the user
    # left: `slack:C123:`): the engine removes every row under them, in every section.
    gone: tuple[str, ...] = ()
    # Why a full, live listing is empty, in the server's words (Jira's warning on the JQL:
    # "no issues; Jira says: The value 'bobb' does not exist for the field 'assignee'.");
    # the engine shows it as the section's reason while the section stays empty.
    note: str | None = None
    # The items are summaries of items, not the items (a GitHub notification thread: its
    # subject's title and the thread's time, no state, author or labels): newer or not,
    # they never replace another section's copy (the engine's _propagate).
    summaries: bool = False
    # Why the query's source takes no writes, rows or none (a Slack channel archived).
    read_only: str | None = None
    # Part of the query's source this account cannot read, rows or none ("#dev left", "not
    # a member of #dev", "#dev not found": see Freshness.left_out); `note` says why. The
    # rest is read live.
    left_out: str | None = None

    def fetched_at_of(self, item_id: str) -> float:
        """When the page this item came on was fetched."""
        return self.fetched.get(item_id, self.fetched_at)


class FileDiff(msgspec.Struct, frozen=True):
    """One file a pull request changes. `patch` is the unified diff of it, None when GitHub
    sends none (a binary file, or a diff too large to show)."""

    filename: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    additions: int = 0
    deletions: int = 0
    patch: str | None = None
    previous_filename: str | None = None


class PullDiff(msgspec.Struct, frozen=True):
    """A pull request's changed files, read on demand for the preview's diff view."""

    item_id: str
    files: tuple[FileDiff, ...] = ()
    total_files: int | None = None  # the PR's own count, when known (may exceed the listing)
    cut: str | None = None  # why the listing is not every file (GitHub's 3,000-file cap)
    error: str | None = None  # why the diff is missing or partial


class MergeMethods(msgspec.Struct, frozen=True):
    """The merge methods a pull request's repository allows, in GitHub's order (merge,
    squash, rebase). `allowed` None: the repository does not say (GitHub left its allow_*
    fields out) or could not be read (`error` says why); any may then be refused (405)."""

    allowed: tuple[str, ...] | None = None
    error: str | None = None

    def unknown_why(self) -> str:
        """Why `allowed` is not known, as the picker and `zen-tui act` say it."""
        return f"cannot read its settings: {self.error}" if self.error else "it does not say"


# An account's gateway and client: built, being built, or the last build failed.
ConnectionState = Literal["connecting", "connected", "failed"]


class ScopePause(msgspec.Struct, frozen=True):
    """A scope of an account a rate-limit pause holds now, as its card shows it."""

    until: float  # epoch seconds
    tokens: float  # the scope's client-side bucket
    capacity: float


class AccountHealth(msgspec.Struct, frozen=True):
    account: str
    service: str
    breaker: str  # closed | open | half-open
    half_open_at: float | None
    tokens: float
    capacity: float
    remaining: int | None
    reset_at: float | None
    retries: int
    cache_hits: int
    cache_misses: int
    revalidations: int
    outbox_pending: int
    outbox_failed: int
    webhooks_live: bool = False  # a verified delivery arrived recently: polling backs off
    webhooks_rejected: int = 0  # deliveries refused this run (signature, replay, size, JSON)
    # The account's gateway and client: connected, connecting (being built), or failed with
    # `connection_error` (one line, no secret). Not connected: the figures are a new gateway's.
    connection: ConnectionState = "connected"
    connection_error: str | None = None
    # scope -> its rate-limit pause in force: the gateway's, or (not built yet) the pause a
    # new gateway would start with, read from the store (an earlier run's, another process's)
    paused: dict[str, ScopePause] = msgspec.field(default_factory=dict)


class RatePause(msgspec.Struct, frozen=True):
    """A rate-limit pause as the store keeps it, so it outlives the process that met it and
    holds every process on the data folder: no request of `account`'s `scope` goes out
    before `until`. GitHub's docs ask a client to keep waiting, and warn that requests sent
    while limited may get the integration banned: a restart must not start over."""

    account: str
    service: str
    scope: str  # the limiter's bucket: "core", "search", "tier3:chat.postMessage", ...
    until: float  # epoch seconds: when the server said requests may go again
    recorded_at: float  # epoch seconds, by the wall clock of the process that met it
    reason: str  # one line for `zen-tui health`: "HTTP 429 Retry-After", ...
    # GitHub's secondary limits that named no time, in a row on this scope: each waits twice
    # as long as the last, and the count goes on after a restart (0: not such a limit)
    step: int = 0

    # Their rules are pause_rules', over the row as plain values (`zen-tui health` reads the
    # rows so, without msgspec): each method here asks them.
    @property
    def length(self) -> float:
        """How long the server asked to wait, from when it was met."""
        return pause_rules.length(self.until, self.recorded_at)

    def left(self, now: float) -> float:
        """Seconds of the pause left at wall time `now` (pause_rules.left)."""
        return pause_rules.left(self.until, self.recorded_at, now)

    def holds(self, account: str, service: str, now: float) -> float:
        """Seconds of the pause left at `now` for `account` of `service`, as a gateway of it
        obeys the row: 0 if it is another's, over, or unusable (`problem`)."""
        return pause_rules.holds(self.row(), account, service, now)

    def row(self) -> "pause_rules.Row":
        """The pause as the store keeps it: its fields in pause_rules.COLUMNS' order."""
        return (
            self.account,
            self.service,
            self.scope,
            self.until,
            self.recorded_at,
            self.reason,
            self.step,
        )

    def problem(self) -> str | None:
        """What makes the row unusable (a damaged file, another program's write), or None."""
        return pause_rules.problem(self.until, self.recorded_at, self.step)
