"""SyncEngine: the real Backend. Pollers keep every section fresh, the outbox sends actions,
and each change is published on the bus as SectionUpdated / ActionUpdated / PollerChanged.

Freshness invariant: what a section shows is never older than what zen-tui has seen. A refresh
made because something changed (a webhook, an own action landing, the user's refresh) asks the
server instead of a fresh cache entry (`revalidate`); the store keeps the newer copy of every
item (zen_tui.store.items); and an item that left a section is not brought back by a listing
fetched before it left, whichever process fetched it (zen_tui.store.gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from zen_tui.config import AccountConfig
from zen_tui.events import Event
from zen_tui.gateway.errors import (
    ApiError,
    BadResponse,
    CircuitOpen,
    GatewayError,
    LoginReplaced,
    LoginUnreadable,
    QueryRefused,
)
from zen_tui.gateway.events import RetryScheduled, WaitingForToken
from zen_tui.gateway.limiter import BucketGauge, ScopedLimiter
from zen_tui.gateway.settings import LISTING
from zen_tui.models import (
    AccountHealth,
    Action,
    ActionState,
    Cause,
    ConnectionState,
    FetchResult,
    FreshnessState,
    Issue,
    Item,
    ItemDetail,
    MergeMethods,
    Message,
    PullDiff,
    PullRequest,
    RatePause,
    ScopePause,
    SectionInfo,
    Snapshot,
    as_row,
    is_row,
    item_label,
    whole,
)
from zen_tui.redaction import redact
from zen_tui.store import Store, outbox_words, take_recovery_messages
from zen_tui.store.codec import sort_key
from zen_tui.store.logins import session_stamp
from zen_tui.store.moves import moved_items
from zen_tui.store.outbox import NO_FIGURES, OutboxFigures
from zen_tui.store.outbox_words import Said, Where
from zen_tui.store.rows import Link, OutboxEntry, StoreError
from zen_tui.store.saver import HEARTBEAT, RECEIVER_KEYS
from zen_tui.sync import freshness, retention
from zen_tui.sync.backend import (
    AccountConnection,
    ActionUpdated,
    Activity,
    Backend,
    NotConnected,
    NotStored,
    PausesStored,
    QueryRejected,
    SectionActivity,
    SectionUpdated,
)
from zen_tui.sync.housekeeping import Housekeeping
from zen_tui.sync.interval import Budget, IntervalPolicy
from zen_tui.sync.outbox import GONE_REFUSALS, STORE_CHECK_SECONDS, Outbox
from zen_tui.sync.outbox_tally import OutboxTally
from zen_tui.sync.poller import Poller, PollerSupervisor, PollOutcome
from zen_tui.sync.session_rows import RowStores
from zen_tui.sync.wired import Wired

if TYPE_CHECKING:
    from zen_tui.gateway.clock import Cancellable
    from zen_tui.gateway.gateway import Gateway
    from zen_tui.services.base import ServiceClient
    from zen_tui.sync.bulk import BulkProcessor, BulkSettings
    from zen_tui.sync.webhook_service import Webhooks

    # Builds one account's gateway and service client (wiring.connect): the engine's network
    # part. The third dict says why the account could not be built.
    Connect = Callable[
        [str], tuple[dict[str, Gateway], dict[str, ServiceClient], dict[str, Exception]]
    ]

T = TypeVar("T")

log = logging.getLogger("zen_tui.sync.engine")

FULL_EVERY = 10  # every Nth poll of a section is a full listing (catches removed items)
# ...and one at least this often (seconds), whatever the interval: an item that leaves a
# section without being updated (access lost, deleted, a channel left) is never returned by a
# delta query. When the last complete full listing was fetched is kept in the store, so a
# restart or `zen-tui sync --once` from cron (one poll per process) does not reset it.
FULL_AFTER = 900.0
FULL_SCOPE = "full-listing"  # cursors table: section id -> when its last full listing was fetched
# Services whose unchanged listings revalidate for free (ETag -> 304, no quota) always list in
# full: a changed delta query would be a new URL, a cache miss that spends quota.
CONDITIONAL = frozenset({"github"})
# A read asked again through the account's new client after a login replaced its client
# meanwhile (SyncEngine._as_current), at most this many times.
REREADS = 3
AFTER_ACTION_DELAY = 1.0  # seconds between an applied action and the refresh that shows it
CURSOR_SCOPE = "section"
MAIN_SCOPE = {"github": "core"}  # the bucket `health` shows per service; else "default"
# Fields a webhook payload may not carry, though the listing did (None = not in the payload).
KEEP_IF_MISSING = ("check_status", "review_decision", "mergeable", "priority", "branch")
_UNSET = (None, (), "")  # a field the copy did not carry
# What only a notifications listing knows: another section's copy of the item keeps them.
NOTIFICATION_FIELDS = ("thread_id", "unread")
# Item fields a query may filter on, and the words that show it does (GitHub qualifiers, JQL
# fields, the Slack "mentions" section): a webhook copy that changes one may leave the section.
# The state (`is:open`, `statusCategory != Done`) always counts.
QUERY_FIELDS = {
    "assignee": ("assignee", "involves"),
    "assignees": ("assignee", "involves"),
    "requested_reviewers": ("review-requested",),
    "labels": ("label",),
    "draft": ("draft",),
    "priority": ("priority",),
    "project": ("project",),
    "mentions_me": ("mention",),
}
# Fields a partly stale poll may lack (GitHub PR rows whose GraphQL part failed).
KEEP_IF_STALE = (*KEEP_IF_MISSING, "requested_reviewers")
CREATES_IN = {"create_issue": "issues", "share": "messages"}
# A pane's reason once its breaker's wait is over (the gateway card says "open, probe due").
PROBE_DUE = "breaker open, probe due: the next poll tries again"
# How often a running engine looks for a login another process recorded (the outbox's store
# check interval): one indexed read per account, the keyring only when it changed.
LOGIN_CHECK_SECONDS = STORE_CHECK_SECONDS
WEBHOOK_LIVE_FOR = 2.0  # webhooks count as live this many max_intervals after a delivery
# The section whose poll is running in this task: the gateway's events (published from inside
# the call) are mapped to it, so its pane can say "retrying 2/4" while the call is retried.
_POLLING: ContextVar[str | None] = ContextVar("zen_tui_polling", default=None)


class SyncEngine:
    def __init__(
        self,
        wired: Wired,
        *,
        bulk: BulkSettings | None = None,
        connect: Connect | None = None,
        role: str = "",
    ) -> None:
        """`connect`: `wired` holds no gateway or client yet; this builds them (an account at a
        time, each in its own thread) when start() runs, so the dashboard paints from the
        store first. A call that needs a client before then (the preview's details, a
        refresh) waits for start(), then for that account's build alone. `role`: who runs
        this ("the dashboard"), for `zen-tui health`'s "saved ... by"."""
        self.wired = wired
        self.role = role
        self._network = connect
        self._building: dict[str, asyncio.Future[None]] = {}  # account -> its running build
        self._failed: dict[str, Exception] = {}  # account -> why its last build failed
        # section -> the call that rewrites its "breaker open until HH:MM" once that is past
        self._reason_timers: dict[str, Cancellable] = {}
        self._go = asyncio.Event()  # start() ran: the network part may be built
        self.bus = wired.bus
        self.store = wired.store
        self._sections = list(wired.sections)
        self._account_of = {s.id: s.account for s in self._sections}
        # Each account's section rows: the shared store's, or (a login of this process
        # alone: a session-only one, this environment's token) this process's own
        self.rows = RowStores.for_settings(self.store, wired.settings, wired.clock.time)
        self._snapshots: dict[str, Snapshot] = {}
        # section -> (the store's items_version, its items, fetched_at) as read last (_stored)
        self._stored_copy: dict[str, tuple[tuple[int, int], tuple[Item, ...], float | None]] = {}
        self._polls: dict[str, int] = {}  # successful polls this run, per section
        # Before the clients exist an action may name any configured account (it is queued,
        # then sent once they do); with them, the clients are the accounts.
        names = [a.name for a in wired.settings.accounts] if connect is not None else None
        self.outbox = Outbox(
            self.store,
            wired.clients,
            self.bus,
            now=wired.clock.time,
            accounts=names,
            login_of=self._login_of,
            stamp_of=self._stamp,
            gone=self._gone_target,
        )
        self._attach(wired.clients)
        # the outbox figures the gateway cards show, read from the store (outbox_tally.py)
        self.tally = OutboxTally(self.store, self.bus, self._services)
        self._bulk_settings = bulk
        self._bulk: BulkProcessor | None = None  # built by the first batch (see `bulk`)
        polling = wired.settings.polling
        policy = IntervalPolicy(
            base=polling.default_interval,
            minimum=polling.min_interval,
            maximum=polling.max_interval,
            backoff=polling.backoff,
            focus_factor=polling.focus_factor,
        )
        self.pollers = {
            s.id: Poller(s, self._tracked_poll, self.bus, policy, wired.clock)
            for s in self._sections
        }
        self._busy: set[str] = set()  # sections whose running poll published an Activity
        self._supervisor = PollerSupervisor(self.pollers.values(), wired.clock, self._poller_down)
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._running = False  # start() launched the outbox and the pollers
        self._hooks_started = False
        self.closed = False
        self._stale_sections: set[str] = set()  # touched by an applied action: refresh soon
        # section -> its poller's `begun` at the latest refresh_soon: the polls that carry it out
        self._asked_at: dict[str, int] = {}
        self._full_next: set[str] = set()  # next poll lists in full (a delta would miss it)
        self._revalidate_next: set[str] = set()  # next poll may not be answered from the cache
        self._refresher: asyncio.Task[None] | None = None
        self._late: asyncio.Task[None] | None = None  # a rebuild of logins read late (one)
        self._sends: set[asyncio.Task[None]] = set()  # queued before the clients existed
        self._rebuilding: dict[str, asyncio.Lock] = {}  # account -> one rebuild at a time
        # account -> the login record (store/logins.py) as this process last saw or wrote it:
        # a record differing from it was written by another process (`zen-tui auth login`;
        # its generation changes even for a re-login as the same user with a new token)
        self._logins_seen: dict[str, tuple[str, int] | None] = {}
        # accounts whose login is this process's alone (a session-only login): another
        # process's record is no change of it, and it is never recorded for the others
        self._local_logins: set[str] = set()
        # account -> a count of the times its rows changed hands (a login change, _show_stored):
        # a poll that began before one fetched as the earlier login
        self._row_epochs: dict[str, int] = {}
        # account -> the login its actions are queued under (store/logins.py): the one this
        # process sends as (a session one's with its prefix), not the store's recorded one,
        # which another process may have changed before this one took it: never sent as
        # another user than the one whose dashboard queued it
        self._stamps: dict[str, str] = {}
        self.login_check = LOGIN_CHECK_SECONDS
        self.store_check = STORE_CHECK_SECONDS  # the outbox's look for what others left
        self._pauses_seen: object = None  # the store's pauses_version at the last check
        self._pauses_said: dict[str, dict[str, float]] = {}  # account -> scope -> until
        self.housekeeping = self._housekeeping()  # the periodic store checks, one timer
        self._health_lock = threading.Lock()  # a heartbeat save vs the stop's "stopped" mark
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self.webhooks: Webhooks | None = None
        if connect is None:  # else at start() (_start_webhooks), after the dashboard's first paint
            self._make_webhooks()

    def _services(self) -> dict[str, str]:
        """account -> its service: the configured accounts (their clients may not be built
        yet) and any given clients."""
        services: dict[str, str] = {a.name: a.service for a in self.wired.settings.accounts}
        return services | {name: c.service for name, c in self.wired.clients.items()}

    def _make_webhooks(self) -> None:
        hooks = self.wired.settings.webhooks
        if not hooks.enabled:
            return
        # The receiver's server stack (uvicorn, Starlette) is imported only when it runs.
        from zen_tui.sync.webhook_service import Webhooks

        services = self._services()
        self.webhooks = Webhooks(
            hooks,
            self.store,
            self.wired.clients,
            services,
            self,
            self.wired.clock,
            live_window=WEBHOOK_LIVE_FOR * self.wired.settings.polling.max_interval,
        )

    # -- Backend: reading ------------------------------------------------------------------
    @property
    def sections(self) -> list[SectionInfo]:
        return list(self._sections)

    @property
    def accounts(self) -> list[AccountConfig]:
        return list(self.wired.settings.accounts)

    def take_recovery_notices(self) -> list[str]:
        return take_recovery_messages()

    def load_local(self) -> dict[str, Snapshot]:
        out = {}
        for section in self._sections:
            items, fetched_at = self._stored(section.id)
            out[section.id] = freshness.from_local_store(
                items, fetched_at, self.wired.settings.sync_command
            )
        return out

    def _stored(self, section_id: str) -> tuple[tuple[Item, ...], float | None]:
        """The section as the store holds it. The copy read last is handed out again while
        the store has not changed since (its items_version): the first polls after start-up
        fail or wait (offline, not logged in) and fall back to the store, and decoding the
        10,000 items the screen already shows a second time held both copies at once
        (+6.4 MiB at the dashboard's peak). Kept only while no poll has replaced it."""
        version = self._rows(section_id).items_version()  # before the read: a later write reloads
        kept = self._stored_copy.get(section_id)
        if kept is not None and kept[0] == version:
            return kept[1], kept[2]
        items, fetched_at = self._reread(section_id)
        shown = tuple(items)
        self._stored_copy[section_id] = (version, shown, fetched_at)
        return shown, fetched_at

    def _reread(self, section_id: str) -> tuple[list[Item], float | None]:
        """store.load_section, handing back the held object (the screen's, the copy kept
        above) for each item whose stored row did not change: a delta poll's re-read of
        10,000 items, or a fallback after another process wrote, held a second copy of
        each (+6.5 MiB) while the screen still showed the first."""
        held: dict[str, Item] = {}
        kept = self._stored_copy.get(section_id)
        if kept is not None:
            held.update((item.id, item) for item in kept[1])
        snapshot = self._snapshots.get(section_id)
        if snapshot is not None:
            held.update((item.id, item) for item in snapshot.items)
        return self._rows(section_id).load_section(section_id, held, rows=True)

    def _rows(self, section_id: str) -> Store:
        """The store the section's rows are read from and written to (session_rows.py)."""
        return self.rows.of(self._account_of.get(section_id, ""))

    def snapshot(self, section_id: str) -> Snapshot | None:
        return self._snapshots.get(section_id)

    def connected(self, account: str | None = None) -> bool:
        """That account's gateway and service client are built (None: every account's): a
        call needing its client answers without waiting for a build. Another account still
        building (or failing) does not count against it."""
        return self._network is None or (account is not None and account in self.wired.clients)

    def connection(self, account: str) -> AccountConnection:
        """Where the account's build stands: connected; failed (its last build's error, one
        line, no secret), while the next call that needs it builds it again; else
        connecting (its first build runs, or waits for start())."""
        state: ConnectionState = "connecting"
        reason = None
        if self.connected(account):
            state = "connected"
        elif account in self._failed:
            state, reason = "failed", build_error(self._failed[account])
        service = next((a.service for a in self.accounts if a.name == account), "")
        return AccountConnection(service=service, account=account, state=state, reason=reason)

    def _say_connection(self, account: str) -> None:
        if not self.closed:
            self.bus.publish(self.connection(account))

    async def service_client(self, account: str) -> Any:
        """The account's service client, for the reads a triage form needs (createmeta,
        editmeta, user search), once the network part is built (a form opened before then
        waits for it); None if no account has that name. Writes go through submit."""
        await self._online(account)
        return self.wired.clients.get(account)

    async def read_current(self, account: str, read: Callable[[Any], Awaitable[T]]) -> T:
        """A triage form's read of the account's client, made as the login it has now: a
        form opened before a login change reads through the new client (_as_current)."""
        await self._online(account)
        return await self._as_current(account, read)

    def full_item(self, item: Item) -> Item:
        """The item whole: a row held in memory leaves its web URL, description and number
        in the store (see _publish), read back when the item is opened or acted on. A row
        whose item the store lost since (another process's full listing dropped it, a
        repository renamed there, its login's rows cleared) raises NotStored, and the
        sections showing it list again in full: that stores it again, or takes it away."""
        if not is_row(item):
            return item
        stored = self.rows.of(item.account).find_item(item.id)
        if stored is None:
            log.info("%s: %s is shown but not stored: listed again", item.account, item.key)
            showing = [s.id for s in self._sections if item.id in self.shown_ids(s.id)]
            self.refresh_soon(showing, full=True)
            raise NotStored(item_label(item))
        return whole(item, stored)

    async def _as_current(self, account: str, read: Callable[[Any], Awaitable[T]]) -> T:
        """`read` of the account's client, once more of the new one if a new login replaced
        that client meanwhile: the old one's gateway refused the rest (LoginReplaced), and
        what it did read was the old login's. The user sees the new login's answer, never
        the refusal. A few tries at most: logins do not change that fast."""
        for left in reversed(range(REREADS)):
            client = self.wired.clients.get(account)
            try:
                answer = await read(client)
            except LoginReplaced:
                if left and self.wired.clients.get(account) is not client:
                    continue
                raise  # not after a swap (or too many of them): said as any refusal
            if not left or self.wired.clients.get(account) is client:
                return answer
        raise AssertionError("unreachable: the last try returns or raises")

    async def details(self, item: Item) -> ItemDetail:
        item = self.full_item(item)  # a GitHub issue's preview body is the listing's
        await self._online(item.account)
        if self.wired.clients.get(item.account) is None:
            return ItemDetail(item.id, error=f"no account named {item.account!r} in the config")
        try:
            detail: ItemDetail = await self._as_current(item.account, lambda c: c.details(item))
        except GatewayError as err:
            return ItemDetail(item.id, error=freshness.reason_for(err))
        if detail.missing and await self.confirm_gone(item):
            why = f"{item.key} is gone, or no longer visible to {item.account}: removed"
            return msgspec.structs.replace(detail, error=why)
        return detail

    async def diff(self, item: Item, *, revalidate: bool = False) -> PullDiff:
        """A pull request's changed files and patches (only GitHub has a diff to show)."""
        await self._online(item.account)
        client = self.wired.clients.get(item.account)
        if getattr(client, "diff", None) is None:
            return PullDiff(item.id, error=f"{item.key}: no diff for this kind of item")
        try:
            diff: PullDiff = await self._as_current(
                item.account, lambda c: c.diff(item, revalidate=revalidate)
            )
            return diff
        except GatewayError as err:
            return PullDiff(item.id, error=freshness.reason_for(err))

    async def merge_methods(self, item: Item) -> MergeMethods:
        """The merge methods the PR's repository allows, read by its account's client."""
        try:
            await self._online(item.account)
        except NotConnected as err:
            return MergeMethods(error=str(err))
        client = self.wired.clients.get(item.account)
        if getattr(client, "merge_methods", None) is None:
            return MergeMethods(error=f"{item.key}: not a pull request of a GitHub account")
        methods: MergeMethods = await self._as_current(
            item.account, lambda c: c.merge_methods(item.key)
        )
        return methods

    # -- Backend: lifecycle ----------------------------------------------------------------
    async def _online(self, account: str | None = None) -> None:
        """What every call that needs a gateway or a client awaits first (see __init__);
        with an account, raises NotConnected: why that account's client could not be built
        (one line, no secret; an import error included)."""
        if self._network is not None:
            await self._go.wait()
            await self._connected(account)

    async def _connected(self, account: str | None = None) -> None:
        """Build the deferred gateways and service clients, each account once, in its own
        daemon thread: neither the imports nor one account's slow keyring hold up the loop
        (the UI), the other accounts or the exit. An account whose build failed is built
        again (alone) by the next call that needs it. `account` None: every account not
        built yet; raises what made a build fail as a whole (an import error)."""
        network = self._network
        if network is None or (account is not None and account in self.wired.clients):
            return
        if self.closed:
            raise RuntimeError("the sync engine is stopped")
        names = [account] if account is not None else self._unbuilt()
        building = asyncio.shield(asyncio.gather(*(self._build(name, network) for name in names)))
        if account is None:  # start(): a build that failed as a whole is raised as it is
            await building
            return
        with contextlib.suppress(Exception):  # that account's error: said just below
            await building
        if account in self._failed:  # why, without its secret
            raise NotConnected(account, build_error(self._failed[account])) from None

    def _unbuilt(self) -> list[str]:
        return [a.name for a in self.wired.settings.accounts if a.name not in self.wired.clients]

    def _build(self, account: str, network: Connect) -> asyncio.Future[None]:
        """The account's running build, or a new one."""
        building = self._building.get(account)
        if building is None:
            building = asyncio.ensure_future(self._connect(network, account))
            # a failed build nobody waits for any more (stopped) is not an unretrieved error
            building.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._building[account] = building
            if account not in self._failed:  # a failed one keeps saying why meanwhile
                self._say_connection(account)
                self.save_health(account)  # `zen-tui health`: not connected yet
        return building

    async def _connect(self, network: Connect, account: str) -> None:
        try:
            gateways, clients, failed = await _in_daemon_thread(lambda: network(account))
        except Exception as exc:  # an import error: said, and the next call retries
            self._failed[account] = exc
            self._settled([account])
            raise
        finally:
            self._building.pop(account, None)
        # Stopped meanwhile (nothing was sent, nothing is kept), or rebuilt meanwhile (a
        # login, see reconnect): that one stays.
        if self.closed or account in self.wired.gateways:
            await _drop(gateways)
            return
        self._adopt(account, gateways, clients)
        for name in clients:
            await self._learn_login(name)
        self._failed.update(failed)  # that account's panes say why; its next poll retries
        self._settled({account, *clients, *failed})
        if self._running and clients:  # the outbox sends what waited for this client
            self.outbox.wake()

    def _stamp(self, account: str) -> str | None:
        """What an action queued now is stamped with: the login this process sends as
        (None: not learnt yet, the account's recorded login, the store's default). Before
        it is learnt, a token from this environment is known ahead (`zen-tui act`, or an
        action queued before the dashboard's build): never the recorded keyring login."""
        learnt = self._stamps.get(account)
        ahead = self.rows.env_identity(account)
        return learnt if learnt is not None or ahead is None else session_stamp(ahead)

    async def _login_of(self, account: str) -> str | None:
        """The fingerprint of the login the account's gateway sends as (None: none)."""
        gateway = self.wired.gateways.get(account)
        return None if gateway is None else await gateway.login()

    async def _learn_login(self, account: str) -> None:
        """At the account's build: learn its login, so the store drops what an earlier login
        saved (store/logins.py) before anything is shown or sent; if it did, the panes show
        the store's rows again (none, until this login's first poll)."""
        state = self.store.login_state(account)
        before = None if state is None else state[0]
        self._stamps.pop(account, None)  # until learnt: the recorded login (the store's)
        try:
            now = await self._login_of(account)
        except Exception as exc:  # its first call says so, with the fix
            log.info("%s: login not known yet: %s", account, freshness.one_line(exc))
            return
        finally:  # what this process wrote (or found) is no other process's login
            self._logins_seen[account] = _seen_after(state, self.store.login_state(account))
        gateway = self.wired.gateways.get(account)
        if gateway is not None and gateway.local_login:  # not recorded: nothing dropped
            self._local_logins.add(account)
            if now:
                self._stamps[account] = session_stamp(now)
                # its rows are this process's, this user's: none of the shared store's
                if self.rows.use_local(account, now):
                    self._show_stored(account)
            return
        self._local_logins.discard(account)
        moved = self.rows.use_shared(account)  # the session login's rows go with it
        if now:  # logged out: the recorded '' (sent by the next login, as before)
            self._stamps[account] = now
        if not moved and (before is None or before == (now or "")):
            return
        self._show_stored(account)

    def _still_recorded(self, account: str, fetched_as: str | None) -> bool:
        """Rows fetched as `fetched_as` may go into the account's store: its own (a login of
        this process alone), or the shared one while it is recorded as that login's. Checked
        just before the write, with no await between: another process's login recorded
        since this one learnt its own (until this one's login check) keeps them out."""
        if fetched_as is None or self.rows.of(account) is not self.store:
            return True
        recorded = self.store.login_recorded(account)
        return recorded is None or recorded == fetched_as

    def _show_stored(self, account: str) -> None:
        """The account's panes show the store's rows again (after a login change: none,
        until this login's first poll). A poll the earlier login began is not applied."""
        self._row_epochs[account] = self._row_epochs.get(account, 0) + 1
        for section in self._sections:
            if section.account == account and not self.closed:
                self._stored_copy.pop(section.id, None)  # maybe another store's: read again
                items, fetched_at = self._stored(section.id)
                shown = freshness.from_local_store(
                    items, fetched_at, self.wired.settings.sync_command
                )
                self._publish(section, shown, self._snapshots.get(section.id))

    def _settled(self, accounts: Iterable[str]) -> None:
        """These accounts' builds ended: each says where it stands now (connected, or failed
        and why), on the bus and in the store (`zen-tui health`: it said "connecting")."""
        for name in sorted(accounts):
            self._say_connection(name)
            self.save_health(name)

    def _adopt(
        self, account: str, gateways: dict[str, Gateway], clients: dict[str, ServiceClient]
    ) -> Gateway | None:
        """Put an account's built gateway and client in place (the outbox, the pollers and
        the webhook receiver read them from these dicts at each call); the gateway they
        replace, if any."""
        old = self.wired.gateways.get(account)
        self.wired.gateways.update(gateways)
        self.wired.clients.update(clients)
        self.outbox.attach(clients)
        self._attach(clients)
        self._failed.pop(account, None)
        if not self._unbuilt():
            self._network = None
        return old

    def _attach(self, clients: dict[str, ServiceClient]) -> None:
        """Each client may read what its account's sections hold (BaseClient.keep_stored)."""
        for account, client in clients.items():
            keep = getattr(client, "keep_stored", None)  # a client that never asks has none
            if keep is not None:
                keep(partial(self._held, account))

    def _held(self, account: str) -> list[Item]:
        """What the account's sections show (or, not shown yet, what the store holds)."""
        return [i for s in self._sections if s.account == account for i in self._shown(s.id)]

    async def reconnect(self, account: str, *, new_login: bool = False) -> None:
        """After a login: build the account's gateway and service client again, so the new
        token is used at once, and a Jira 3LO login's REST base
        (api.atlassian.com/ex/jira/{cloudid}, read from the keyring) with it. The new pair
        replaces the old one; a call running on the old one finishes there (its connections
        close after it). Then the outbox sends what waited for the login. An account whose
        new build fails keeps its old pair; its panes say why at the next poll.
        `new_login`: the login (or logout) was made in this process (the dashboard's login
        screen): it is recorded first, so every other running process takes it too."""
        if self.closed or account not in {a.name for a in self.accounts}:
            return
        if new_login and not await self._session_only_change(account):
            self._record_own_login(account)
        if self._network is not None and not self._go.is_set():
            return  # not started: start() builds every account, with the new login
        with contextlib.suppress(Exception):  # its first build still running: after it
            await self._connected(account)
        async with self._rebuilding.setdefault(account, asyncio.Lock()):
            await self._rebuild(account)
        if self._running and not self.closed:
            self.outbox.wake()  # what waited for the login (PENDING: "not logged in") goes now

    async def _session_only_change(self, account: str) -> bool:
        """The login or logout just made here touched this process's session logins alone
        (keyring_store.SessionOnlyStore): the account's login was one, or is one now. Then
        no other process's login changed, and none is told to set the account up again.
        Not while a token in this environment wins here: the login went to the keyring (or
        the session), which this process does not use, and the others must hear of it."""
        if self.rows.env_identity(account) is not None:
            return False
        if account in self._local_logins:  # a login saves into, a logout pops, the session
            return True
        credentials = self.wired.credentials
        if credentials is None:
            return False
        try:
            credential = await credentials.get(account)
        except Exception:  # no login now (a logout), or an unreadable keyring: others' too
            return False
        return credential is not None and credential.local

    def _record_own_login(self, account: str) -> None:
        """Bump the account's login record (store/logins.py), before the rebuild reads the
        keyring: another process's watch sees it and reads this login (or a later one). This
        process marks the record it wrote as seen in the same step (no await between), so
        its own watch never takes its own login a second time."""
        try:
            written = self.store.login_bump(account)
        except (sqlite3.Error, StoreError) as exc:  # the login works here; others see it late
            log.warning("%s: could not record the login for other processes: %s", account, exc)
            return
        if account in self._logins_seen:  # else its first build learns the record
            self._logins_seen[account] = written

    async def _rebuild(self, account: str) -> None:
        rebuild = self.wired.rebuild
        if rebuild is None or self.closed:
            return
        try:
            gateways, clients, failed = await _in_daemon_thread(partial(rebuild, account))
        except Exception as exc:  # an import error: the old pair (if any) stays
            gateways, clients, failed = {}, {}, {account: exc}
        if self.closed:
            await _drop(gateways)
            return
        if account not in clients:
            why = failed.get(account, RuntimeError("not built"))
            log.warning("could not set up %s again: %s", account, freshness.one_line(why))
            if account not in self.wired.clients:
                self._failed[account] = why
                self._settled([account])
            return
        old = self._adopt(account, gateways, clients)
        if old is not None and old is not gateways[account]:
            # In the same step as the swap (retire sets its flag before any await): from
            # here the old gateway starts no read with the old token, a poll's next page
            # included; a write under way on it finishes.
            await old.retire()
        await self._learn_login(account)
        self._settled([account])
        log.info("%s set up again after a login", account)

    async def start(self) -> None:
        """Run the outbox, the pollers and the webhook receiver at once, and build the
        network part (dashboard) beside them: each account on its own, so one whose build
        fails or hangs (a locked keyring) holds up no other. Each poll waits for its own
        account's build. Returns once every account's first build has ended, or raises at
        once a build that failed as a whole (an import error), but everything runs on: the
        panes say why, and the next poll (or a refresh) builds again. An account that alone
        could not be built raises nothing: its panes say why, its next poll builds it
        again. A second call waits for the same builds."""
        if self._started:
            if not self.closed:
                await self._connected()
            return
        self._started = True
        self.tally.start()
        self._go.set()
        deferred = self._network is not None
        building = asyncio.ensure_future(self._connected()) if deferred else None
        self.outbox.recover()
        self._supervisor.start()
        self._tasks.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self._start_housekeeping()
        self._running = True
        # The receiver needs no client: a delivery for an account not built yet is kept for
        # it (WebhookProcessor._owed_to_unbuilt).
        await self._start_webhooks()
        if building is not None:
            await building

    async def _start_webhooks(self) -> None:
        if self.webhooks is None and not self.closed:
            self._make_webhooks()
        if self.webhooks is not None and not self._hooks_started and not self.closed:
            self._hooks_started = True
            self._tasks += await self.webhooks.start()

    async def stop(self) -> None:
        """Stop polling and sending, close the gateways and the store. Idempotent."""
        if self.closed:
            return
        # No await before `closed`: no save of ours can follow and say the run goes on.
        self._mark_stopped()
        self.closed = True
        self.tally.stop()
        for building in list(self._building.values()):  # a thread may run on; what it
            building.cancel()  # builds is dropped
        for timer in self._reason_timers.values():
            timer.cancel()
        self._go.set()  # calls still waiting for start() give up (_connected raises)
        if self.webhooks is not None:
            await self.webhooks.stop()
        await self._supervisor.stop()
        await self.housekeeping.stop()  # its store calls end before the store closes
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._started = False
        self._unsubscribe()
        for pending in (self._refresher, self._late):
            if pending is not None:
                pending.cancel()
        for task in list(self._sends):  # their entries stay PENDING for the next start
            task.cancel()
        if self._bulk is not None:
            self._bulk.cancel()
        self.outbox.close()
        try:
            await self.wired.aclose()
        finally:  # the store is closed even if a gateway's connections could not be
            self.rows.close()  # a session login's rows: forgotten
            self.store.close()

    async def refresh(self, section_id: str | None = None) -> None:
        """The user's refresh: re-run each section's query for real (in full, revalidated)."""
        targets = [self.pollers[section_id]] if section_id else list(self.pollers.values())
        wanted = {p.section.id for p in targets}
        self._full_next |= wanted
        self._revalidate_next |= wanted
        # counted now: a poll that begins before a gathered task starts carries it out
        await asyncio.gather(*(p.poll_now(interactive=True, since=p.begun) for p in targets))

    async def sync_once(self) -> dict[str, Snapshot]:
        """One refresh of every section, then the outbox: `zen-tui sync --once`."""
        retention.prune(self.store, self.wired.clock.time(), rows=self.rows)
        self.outbox.recover()
        await asyncio.gather(*(p.poll_now(interactive=False) for p in self.pollers.values()))
        await self.outbox.replay()
        self.save_health()
        return dict(self._snapshots)

    def set_focus(self, section_id: str | None, *more: str) -> None:
        focused = {section_id, *more}
        for poller in self.pollers.values():
            poller.set_focused(poller.section.id in focused)

    def set_paused(self, paused: bool) -> None:
        for poller in self.pollers.values():
            poller.set_paused(paused)

    async def set_query(self, section_id: str, query: str) -> SectionInfo:
        """Ask the server with the new query first (one row: cheap); only an answer makes it
        the section's query. Then the section lists again in full, from scratch."""
        poller = self.pollers.get(section_id)
        if poller is None:
            raise QueryRejected(f"no section {section_id!r}")
        text = query.strip()
        if not text:
            raise QueryRejected("the query is empty")
        trial = msgspec.structs.replace(poller.section, query=text)
        await self._online(trial.account)
        try:
            await self._as_current(
                trial.account,
                lambda c: c.fetch_section(trial, limit=1, interactive=True, revalidate=True),
            )
        except QueryRefused as err:  # the query itself: its words, e.g. the JQL parse error
            raise QueryRejected(freshness.reason_for(err) or str(err)) from None
        except ApiError as err:  # the server said no to something else (403, ...)
            raise QueryRejected(f"{trial.service} refused the query: {err.summary()}") from None
        except GatewayError as err:
            raise QueryRejected(f"could not check the query ({err}); try again later") from None
        poller.section = trial
        self._sections = [trial if s.id == section_id else s for s in self._sections]
        self._full_next.add(section_id)
        self._revalidate_next.add(section_id)
        await poller.poll_now(interactive=True)
        return trial

    # -- Backend: actions ------------------------------------------------------------------
    @property
    def bulk(self) -> BulkProcessor:
        """What sends a batch of actions, built (and its module loaded) by the first batch:
        a dashboard that only watches never needs it."""
        if self._bulk is None:
            from zen_tui.sync.bulk import BulkProcessor

            clock = self.wired.clock
            self._bulk = BulkProcessor(
                self.outbox, self._bulk_settings, now=clock.time, sleep=clock.sleep
            )
        return self._bulk

    async def submit(self, actions: list[Action]) -> list[str]:
        """Queue the actions (in the store at once, even before the clients exist: never
        lost), then send them: now, or once the network part is built."""
        if not actions:
            return []
        import uuid  # here: it loads `platform`, which the first paint does not need

        batch_id = str(uuid.uuid4()) if len(actions) > 1 else None
        entries = self.outbox.queue(actions, batch_id=batch_id)
        await self._send_when_online(entries, self._send_queued)
        return [e.id for e in entries]

    async def _send_when_online(
        self, entries: list[Any], send: Callable[[list[Any]], Awaitable[None]]
    ) -> None:
        """Their accounts connected: send now. Else the queued entries are sent once those
        accounts' clients exist (not the others'), by a task that stop() cancels; they stay
        PENDING in the store for the next start if the build fails or the engine stops first."""
        if all(self.connected(e.action.account) for e in entries):
            await send(entries)
            return

        async def later() -> None:
            try:
                for account in sorted({e.action.account for e in entries}):
                    await self._online(account)  # not the other accounts' builds
                await send(entries)
            except Exception as exc:  # kept in the store: the outbox sends them later
                log.warning("queued actions not sent yet: %s", exc)

        task = asyncio.ensure_future(later())
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send_queued(self, entries: list[Any]) -> None:
        if len(entries) == 1 and self._started:
            self.outbox.wake()
        elif len(entries) == 1:
            await self.outbox.replay()
        elif self._started:
            self.bulk.add(entries)
        else:
            await self.bulk.process(entries)
        if not self._started:
            await self.relist_landed(entries)

    async def submit_chain(self, steps: list[tuple[Action, str | None]]) -> list[str]:
        """Queue a chain (each step after the one before, see Outbox.queue_chain) and send it
        now or, when running, on the outbox's next turn (see submit before the clients)."""
        entries = self.outbox.queue_chain(steps)
        await self._send_when_online(entries, self._send_chain)
        return [e.id for e in entries]

    async def _send_chain(self, entries: list[Any]) -> None:
        if self._started:
            self.outbox.wake()
        else:
            await self.outbox.replay()
            await self.relist_landed(entries)

    # --- the outbox view: the store calls and words `zen-tui outbox` uses (outbox_words) ---

    def outbox_entries(self) -> list[OutboxEntry]:
        return outbox_words.listed(self.store)

    async def outbox_retry(self, entry_id: str) -> Said:
        """Queued again and sent now (this engine's outbox is woken), not at its next turn."""
        said = await self._outbox_write(partial(outbox_words.retry, self.store, entry_id))
        if said.code == 0:
            self.outbox.wake()
        return said

    async def outbox_clear(self, entry: OutboxEntry) -> Said:
        return await self._outbox_write(partial(outbox_words.clear, self.store, entry))

    async def outbox_cancel(self, entry: OutboxEntry, where: Where) -> Said:
        servers = outbox_words.servers(self._services())
        cancel = partial(outbox_words.cancel, self.store, entry, servers, where)
        return await self._outbox_write(cancel)

    async def _outbox_write(self, write: Callable[[], Said]) -> Said:
        """One of the outbox view's writes, in the housekeeping's store worker: another
        process holding the write lock (up to the busy timeout) keeps the dashboard drawn
        and answering meanwhile. Then the gateway cards' figures are read again, and the
        rows of this process's entries taken out (a cancel, with the steps chained after
        it) told so: rolled back."""
        house = self.housekeeping
        said = await house.off_loop(write)
        self.tally.changed()
        self.outbox.tell(await house.off_loop(self.outbox.ended_elsewhere()))
        return said

    def links(self, item_ids: Iterable[str] | None = None) -> dict[str, list[Link]]:
        """The cross-links stored for these items (all when None), from the local store."""
        return self.store.links_of(item_ids)

    async def permalink(self, message: Message) -> str:
        """The message's web link from Slack (chat.getPermalink)."""
        await self._online(message.account)
        if getattr(self.wired.clients.get(message.account), "permalink", None) is None:
            raise ValueError(f"{message.account} is not a Slack account")
        link: str = await self._as_current(
            message.account, lambda c: c.permalink(message.channel_id, message.ts)
        )
        return link

    async def share_targets(self, account: str) -> list[tuple[str, str]]:
        """(conversation id, '#name' / '@person') the Slack account can post to."""
        # The services stay unimported here (`zen-tui act` loads no HTTP stack to refuse).
        await self._online(account)
        if getattr(self.wired.clients.get(account), "share_targets", None) is None:
            raise ValueError(f"{account} is not a Slack account")
        found: list[tuple[str, str]] = await self._as_current(account, lambda c: c.share_targets())
        return found

    async def relist_landed(self, entries: list[Any]) -> None:
        """Not running (`zen-tui act`): the sections the applied actions affect re-run their
        query now (in full, revalidated), so the store and `list` show the server's state.
        An action refused as not found asks about its item, as a running engine does
        (_on_event): one confirmed gone leaves the store, not only a later sync's listing."""
        wanted: set[str] = set()
        gone: list[Item] = []
        for entry in entries:
            now = self.store.outbox_get(entry.id) or entry
            action = entry.action
            if now.state is ActionState.DONE:
                wanted |= self._affected(action.account, action.item_id, action.kind)
                wanted |= self._created_in(action.account, action.kind)
            elif now.state is ActionState.FAILED and (now.reason or "").startswith(GONE_REFUSALS):
                item = self._item_of(action.account, action.item_id)
                gone += [item] if item is not None else []
        self._full_next |= wanted
        self._revalidate_next |= wanted
        polls = [self.pollers[s] for s in wanted]
        await asyncio.gather(
            *(p.poll_now(interactive=True, since=p.begun) for p in polls),
            *(self.confirm_gone(item) for item in gone),
        )

    def _on_event(self, event: Event) -> None:
        """An applied action changed an item: the sections it may have entered or left re-run
        their query in full, once, soon (a Jira issue moved to Done leaves `!= Done`).
        A retry or a token wait inside a poll: tell that section's pane."""
        if isinstance(event, RetryScheduled | WaitingForToken):
            self._note_activity(event)
            return
        if not (self._started and isinstance(event, ActionUpdated)):
            return
        self.tally.changed()  # the gateway cards' outbox figures, read again
        if event.state is ActionState.FAILED and (event.reason or "").startswith(GONE_REFUSALS):
            self._ask_if_gone(event.account, event.item_id)
            return
        if event.state is not ActionState.DONE:
            return
        affected = self._affected(event.account, event.item_id, event.kind)
        self.refresh_soon(affected | self._created_in(event.account, event.kind), full=True)

    def _created_in(self, account: str, kind: str) -> set[str]:
        """A new GitHub issue shows in its account's issue sections; a shared message in its
        account's message sections (a Jira `create`: see _affected)."""
        pane = CREATES_IN.get(kind)
        return {s.id for s in self._sections if s.account == account and s.pane == pane}

    def _affected(self, account: str, item_id: str, kind: str = "") -> set[str]:
        """The sections showing the item, and the account's other sections in the same pane;
        for a new item (create), every section of the account: any may list it now."""
        if kind == "create":
            return {s.id for s in self._sections if s.account == account}
        showing = {s.id for s in self._sections if item_id in self.shown_ids(s.id)}
        panes = {s.pane for s in self._sections if s.id in showing}
        return showing | {s.id for s in self._sections if s.account == account and s.pane in panes}

    def refresh_soon(self, section_ids: Iterable[str], *, full: bool = False) -> None:
        """Refresh these sections once, after a short delay that gathers a burst of changes,
        asking the server (never a fresh cache entry: it predates the change); `full` when a
        delta query would not see the change (e.g. a reaction, an item leaving the query)."""
        wanted = {s for s in section_ids if s in self.pollers}
        self._stale_sections |= wanted
        self._revalidate_next |= wanted
        if full:
            self._full_next |= wanted
        for section_id in wanted:  # the latest request's: a poll begun after it carries all out
            self._asked_at[section_id] = self.pollers[section_id].begun
        if self._stale_sections and (self._refresher is None or self._refresher.done()):
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_touched())

    def relist_when_built(self, section_ids: Iterable[str]) -> None:
        """A webhook delivery came for an account whose client is not built yet: these
        sections' next poll (the one that builds it) lists in full, asking the server. The
        stored cursor goes too, so a restart before that poll still lists in full."""
        wanted = {s for s in section_ids if s in self.pollers}
        self._full_next |= wanted
        self._revalidate_next |= wanted
        for section_id in wanted:
            self._rows(section_id).clear_cursor(CURSOR_SCOPE, section_id)

    async def _refresh_touched(self) -> None:
        # Until none is left: a change that came while this task polled found it running
        # (refresh_soon starts no second one), so its sections are refreshed in the next turn.
        while self._stale_sections:
            await self.wired.clock.sleep(AFTER_ACTION_DELAY)  # let a burst of changes land
            touched, self._stale_sections = self._stale_sections, set()
            # A poll (a scheduled one) that began after a request carried it out: it is not
            # made again here, where it would ask nothing and be answered from the cache.
            since = {s: self._asked_at.pop(s, None) for s in touched}
            await asyncio.gather(
                *(self.pollers[s].poll_now(interactive=True, since=since[s]) for s in touched)
            )

    # -- webhooks (the processor places items through these) -------------------------------
    def shown_ids(self, section_id: str) -> set[str]:
        return {item.id for item in self._shown(section_id)}

    def shown_items(self, section_id: str) -> list[Item]:
        return self._shown(section_id)

    def _shown(self, section_id: str) -> list[Item]:
        snapshot = self._snapshots.get(section_id)
        return list(snapshot.items if snapshot else self._stored(section_id)[0])

    def apply_items(self, section_id: str, items: list[Item], *, derived: bool = False) -> None:
        """Webhook copies of items this section shows: store them (an older copy than the one
        held is not taken) and publish the section. A copy whose state moved may have left the
        section's query: the section re-runs it in full. A payload's copy of the shown version
        that says otherwise asks the server; a `derived` one (the shown copy with a thread
        reply counted) is known to be newer, though its `updated_at` did not move."""
        old = self._shown(section_id)
        by_id = {item.id: item for item in old}
        fresh = [
            _keep_known(by_id.get(item.id), item, KEEP_IF_MISSING + NOTIFICATION_FIELDS)
            for item in items
        ]
        now = self.wired.clock.time()
        # Rows, not the query: a section whose last poll failed keeps its age (here and in
        # the store) and its reason; only a live one stays live on deliveries.
        live = self._live(section_id)
        kept = self._rows(section_id).upsert_items(section_id, fresh, now, touch=live, rows=True)
        self._republish(section_id, _merge(old, kept), now)
        query = next((s.query for s in self._sections if s.id == section_id), "")
        if any(_may_have_left(query, by_id.get(item.id), item) for item in kept):
            self.refresh_soon([section_id], full=True)
        elif not derived and any(_undated_change(by_id.get(i.id), i) for i in fresh):
            self.refresh_soon([section_id])

    def repository_moved(self, account: str, old: str, new: str) -> None:
        """The store renamed `old`'s rows: what the account's sections show follows at once,
        freshness unchanged. A section whose query names the old name is refused from now on
        and keeps these rows (from memory), so without this one PR had two names on screen."""
        for section in self._sections:
            snapshot = self._snapshots.get(section.id)
            if section.account != account or snapshot is None:
                continue
            moved = moved_items(snapshot.items, account, old, new)
            if moved is not None:
                self._publish(
                    section, msgspec.structs.replace(snapshot, items=tuple(moved)), snapshot
                )

    # -- items gone without an update (access lost, deleted, a channel left) -------------
    async def confirm_gone(self, item: Item) -> bool:
        """A read of the item answered 404/410 (or Slack's not-found): ask the server about
        the item itself, uncached; only its authoritative "not there" removes it (forget).
        Any failure of that read (a 5xx, a timeout, a 403 rate limit) removes nothing."""
        if self.wired.clients.get(item.account) is None or self.closed:
            return False
        try:
            there = await self._as_current(item.account, lambda c: c.exists(item))
        except Exception:  # a client bug: nothing is removed on it
            log.exception("could not check whether %s is still there", item.id)
            return False
        if there is not False or self.closed:
            return False
        log.info("%s: %s is gone or no longer visible: removed", item.account, item.key)
        self.forget(item.account, [item.id])
        return True

    async def _gone_target(self, action: Action) -> str | None:
        """The outbox's question about an action whose answer was lost: is its item gone?
        Its key once confirmed (and removed, as confirm_gone does); None if it is there, the
        server cannot tell, or the action has no item of its own (a create, a share)."""
        if action.kind == "create" or action.kind in CREATES_IN:
            return None
        item = self._item_of(action.account, action.item_id)
        if item is None or not await self.confirm_gone(item):
            return None
        return item.key

    def _item_of(self, account: str, item_id: str) -> Item | None:
        """The account's item by id: as shown, else as the store holds it."""
        item = self._find_shown(account, item_id) or self.rows.of(account).find_item(item_id)
        return item if item is not None and item.account == account else None

    def _ask_if_gone(self, account: str, item_id: str) -> None:
        """An action on the item was refused as not found: is the item itself gone? (In a
        task of its own: the bus callback that calls this cannot wait.)"""
        item = self._item_of(account, item_id)
        if item is None:
            return

        async def ask() -> None:
            await self.confirm_gone(item)

        task = asyncio.get_running_loop().create_task(ask())
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def _find_shown(self, account: str, item_id: str) -> Item | None:
        for section in self._sections:
            snapshot = self._snapshots.get(section.id)
            if section.account == account and snapshot is not None:
                found = next((i for i in snapshot.items if i.id == item_id), None)
                if found is not None:
                    return found
        return None

    def forget(
        self,
        account: str,
        item_ids: Iterable[str] = (),
        prefixes: Iterable[str] = (),
        *,
        at: float | None = None,
    ) -> list[str]:
        """The server said these items (ids, or every id under a prefix: a Slack channel
        left) are gone for this account: off every section of the account at once, on
        screen and in the store (another process's next read of it sees them gone), and a
        listing fetched before now does not bring them back, in this process or another
        (store/gone.py). `at`: when it was learnt, if before now (a webhook's delivery, as
        received). Each section keeps its freshness. Returns the sections that showed one."""
        ids, under = set(item_ids), tuple(prefixes)
        mine = [s for s in self._sections if s.account == account]
        shown = {s.id: self._shown(s.id) for s in mine}  # before the store forgets them
        learnt = self.wired.clock.time() if at is None else at
        self.rows.of(account).forget_items(ids, under, at=learnt)
        touched = []
        for section in mine:
            doomed = ids | {i.id for i in shown[section.id] if under and i.id.startswith(under)}
            if any(i.id in doomed for i in shown[section.id]):
                touched.append(section.id)
                self._drop_shown(section, doomed)
        return touched

    def _drop_shown(self, section: SectionInfo, doomed: set[str]) -> None:
        snapshot = self._snapshots.get(section.id)
        if snapshot is None:  # shown from the store: it is read again. Not _show_stored: a
            # login change, which would drop the answers of the account's polls in flight
            items, fetched_at = self._stored(section.id)
            stored = freshness.from_local_store(items, fetched_at, self.wired.settings.sync_command)
            self._publish(section, stored, None)
            return
        kept = tuple(i for i in snapshot.items if i.id not in doomed)
        self._publish(section, msgspec.structs.replace(snapshot, items=kept), snapshot)

    def _live(self, section_id: str) -> bool:
        shown = self._snapshots.get(section_id)
        return shown is not None and shown.freshness.state is FreshnessState.LIVE

    def _republish(self, section_id: str, items: list[Item], at: float) -> None:
        """Deliveries' rows in the section: live (as of `at`) if it was, else as it was (a
        refused query, an open breaker, a copy from the store: its reason and age stay)."""
        section = next(s for s in self._sections if s.id == section_id)
        previous = self._snapshots.get(section_id)
        if previous is None:  # not shown yet: the store's copy, as old as it is
            previous = freshness.stored((), self._stored(section_id)[1])
        if previous.freshness.state is not FreshnessState.LIVE:
            self._publish(section, Snapshot(tuple(items), previous.freshness), previous)
            return
        # A delivery about rows says nothing of the source: a channel stays archived, or left
        self._publish(section, freshness.live_again(items, at, previous.freshness), previous)

    # -- what a running poll is doing ------------------------------------------------------
    async def _tracked_poll(self, section: SectionInfo, interactive: bool) -> PollOutcome:
        token = _POLLING.set(section.id)
        try:
            return await self._poll(section, interactive)
        finally:
            _POLLING.reset(token)
            if section.id in self._busy:  # the poll ended, however: no longer retrying
                self._busy.discard(section.id)
                self._announce(section, None)

    def _note_activity(self, event: RetryScheduled | WaitingForToken) -> None:
        section = next((s for s in self._sections if s.id == _POLLING.get()), None)
        if section is None or section.account != event.account:
            return
        activity = freshness.activity_for(event, self._max_attempts(section.service))
        if activity is not None:
            self._busy.add(section.id)
            self._announce(section, activity)

    def _announce(self, section: SectionInfo, activity: Activity | None) -> None:
        self.bus.publish(
            SectionActivity(
                service=section.service,
                account=section.account,
                section_id=section.id,
                activity=activity,
            )
        )

    def _max_attempts(self, service: str) -> int:
        return int(self.wired.settings.gateway_for(service).retry.max_attempts)

    # -- polling ---------------------------------------------------------------------------
    def _poller_down(self, section: SectionInfo, reason: str) -> None:
        """A poller's task stopped and will be restarted: the section says so meanwhile."""
        previous = self._snapshots.get(section.id)
        memory = previous if _in_memory(previous) else None
        stored = self._stored(section.id)
        snapshot = freshness.fallback(reason, memory, stored, Cause.POLLER)
        self._publish(section, snapshot, previous)

    def _cursor(self, section: SectionInfo) -> str | None:
        """None = a full listing; else ask only for what changed since the stored cursor
        (which also holds after a restart). Every FULL_EVERY-th poll lists in full, and
        any poll FULL_AFTER seconds after the last complete full listing."""
        if section.service in CONDITIONAL or section.id in self._full_next:
            return None
        cursor = self._rows(section.id).get_cursor(CURSOR_SCOPE, section.id)
        if cursor is None or self._full_due(section.id):
            return None
        polls = self._polls.get(section.id, 0)
        return None if polls and polls % FULL_EVERY == 0 else cursor

    def _full_due(self, section_id: str) -> bool:
        raw = self._rows(section_id).get_cursor(FULL_SCOPE, section_id)
        try:
            last = float(raw) if raw else None
        except ValueError:  # unreadable: list in full, which writes it again
            last = None
        return last is None or self.wired.clock.time() - last >= FULL_AFTER

    async def _poll(self, section: SectionInfo, interactive: bool) -> PollOutcome:
        """One poll; begun again as the new login if a new login replaced the account's
        client while it ran (_replaced), once the rebuild that did so has ended (its login
        learnt), so a refresh still ends with an answer, the new login's."""
        for _ in range(REREADS):
            outcome = await self._poll_once(section, interactive)
            if outcome is not None:
                return outcome
            async with self._rebuilding.setdefault(section.account, asyncio.Lock()):
                pass
        self.refresh_soon([section.id])  # logins changing that fast: a while later
        return PollOutcome(changed=False)

    async def _poll_once(self, section: SectionInfo, interactive: bool) -> PollOutcome | None:
        # What this poll was asked for when it began, taken now, before its first wait: asked
        # again while it runs (it may have left before that change), or while it waits for
        # its account to be built, the request stays for the next poll, which poll_now runs
        # after this one. Taken after that wait, the user's refresh at start went to the
        # poll already begun, and the refresh's own poll, asked nothing, was answered by the
        # cache: `cached 0s` just after `R`.
        asked_full = section.id in self._full_next
        revalidate = section.id in self._revalidate_next
        self._take(section.id, full=asked_full, revalidate=revalidate)
        try:
            await self._online(section.account)
        except BaseException as err:
            self._hand_back(section.id, full=asked_full, revalidate=revalidate)
            if not isinstance(err, Exception):  # cancelled: the request waits, unread
                raise
            return self._unconnected(section, err)  # could not be built: say why, retry later
        previous = self._snapshots.get(section.id)
        cursor = None if asked_full else self._cursor(section)
        honoured = (False, False)
        client = self.wired.clients[section.account]
        rows_of = self._row_epochs.get(section.account, 0)  # whose rows the fetch is
        fetched_as = self._stamps.get(section.account)  # the login its client sends as
        poll_interval, soon = None, False
        started = self.wired.clock.time()
        try:
            result = await client.fetch_section(
                section,
                limit=self.wired.limits.get(section.id, 100),
                cursor=cursor,
                interactive=interactive,
                revalidate=revalidate,
            )
            if cursor is None:  # a listing in full: what it lacks leaves the section
                _refuse_unreadable(section, result)
        except Exception as err:  # GatewayError, or a client bug: degrade, never crash
            if self._replaced(section, client):
                return None
            if not isinstance(err, GatewayError):
                log.exception("fetching %s failed", section.id)
            if self._row_epochs.get(section.account, 0) != rows_of:
                return PollOutcome(changed=False)  # `previous`: the earlier login's
            memory = previous if _in_memory(previous) else None
            snapshot = freshness.degraded(err, memory, self._stored(section.id), section)
            self._until_probe(section, snapshot, err)
            if isinstance(err, LoginUnreadable):
                self._rebuild_late_soon(section.account)
        else:
            if self._replaced(section, client):
                return None
            if self._row_epochs.get(section.account, 0) != rows_of or not self._still_recorded(
                section.account, fetched_as
            ):
                # Fetched as the login before a switch (its client's; or the shared store is
                # another login's now, recorded by another process): neither stored nor shown
                # as the new one's; the new login's next poll lists the section.
                return PollOutcome(changed=False)
            if result.gone:  # e.g. a Slack channel left: its rows go from every section
                self.forget(section.account, prefixes=result.gone)
            snapshot = self._apply_result(
                section, result, delta=cursor is not None, started=started
            )
            self._until_probe(section, snapshot, result.stale_error)
            poll_interval = result.poll_interval
            soon = result.partial  # the rest is unread: ask again soon, not after a backoff
            full = asked_full and not soon  # a partial listing is not the full one asked for
            honoured = (full, revalidate and result.cache != "stale")
        finally:  # what it could not do (failed, partial, a stale copy) the next poll does
            self._hand_back(
                section.id,
                full=asked_full and not honoured[0],
                revalidate=revalidate and not honoured[1],
            )
        # Deliveries keep a section fresh only once it is: a failed poll (offline, breaker
        # open, stale copy) is retried on the normal schedule, not after the safety net's wait.
        answered = snapshot.freshness.answered  # live, or the cache's answer within its TTL
        if answered and self._webhooks_live(section.account):
            poll_interval = max(poll_interval or 0.0, self.wired.settings.polling.max_interval)
        snapshot = self._publish(section, snapshot, previous)
        changed = previous is None or previous.items != snapshot.items
        self.save_health(section.account)
        return PollOutcome(changed, poll_interval, self._budget(section.account), soon)

    def _replaced(self, section: SectionInfo, client: ServiceClient) -> bool:
        """A new login replaced the client this poll began with: its old gateway refused
        the reads it had left (LoginReplaced), so what came is part of an answer, or none,
        and partly the old login's. Neither stored nor shown, nor said as an error: the
        section polls again as the new login (_poll; its requests stay asked, _hand_back)."""
        if self.wired.clients.get(section.account) is client or self.closed:
            return False
        log.info("%s: the login changed during its poll; polling again as the new one", section.id)
        return True

    def _unconnected(self, section: SectionInfo, err: Exception) -> PollOutcome:
        """The pane keeps what it shows and says why it is not fresh; its next poll (or the
        user's refresh) tries the build again."""
        if self.closed:  # stopping: nothing to say
            return PollOutcome(changed=False)
        log.warning("could not set up syncing for %s: %s", section.id, err)
        previous = self._snapshots.get(section.id)
        memory = previous if _in_memory(previous) else None
        stored = self._stored(section.id)
        why = err.reason if isinstance(err, NotConnected) else build_error(err)
        reason = f"could not set up syncing: {why}"
        self._publish(section, freshness.fallback(reason, memory, stored, Cause.INTERNAL), previous)
        return PollOutcome(changed=False)

    def _until_probe(self, section: SectionInfo, snapshot: Snapshot, error: object) -> None:
        """A pane that says "breaker open until 14:02" stops saying it at 14:02: from then
        on the breaker lets the next call through as its probe, as the gateway card says.
        Set before the snapshot is published (the reason is in the published one)."""
        timer = self._reason_timers.pop(section.id, None)
        if timer is not None:
            timer.cancel()
        until = error.retry_at if isinstance(error, CircuitOpen) else None
        if until is None:
            return
        shown = snapshot.freshness

        def due() -> None:
            self._reason_timers.pop(section.id, None)
            current = self._snapshots.get(section.id)
            if self.closed or current is None or current.freshness != shown:
                return  # a newer poll said something else meanwhile
            fresh = msgspec.structs.replace(shown, reason=PROBE_DUE)
            self._publish(section, msgspec.structs.replace(current, freshness=fresh), current)

        self._reason_timers[section.id] = self.wired.clock.call_later(
            until - self.wired.clock.time(), due
        )

    def _take(self, section_id: str, *, full: bool, revalidate: bool) -> None:
        """A poll takes the requests it carries out; see _hand_back."""
        if full:
            self._full_next.discard(section_id)
        if revalidate:
            self._revalidate_next.discard(section_id)

    def _hand_back(self, section_id: str, *, full: bool, revalidate: bool) -> None:
        """The requests a poll took but did not carry out (it failed; a partial listing is not
        the full one; a stale copy means the server was not asked): the next poll does them."""
        if full:
            self._full_next.add(section_id)
        if revalidate:
            self._revalidate_next.add(section_id)

    def _apply_result(
        self, section: SectionInfo, result: FetchResult, *, delta: bool, started: float
    ) -> Snapshot:
        """The answer as a snapshot (_answer), never older than a confirmation of the section
        that came while it was on the wire (after `started`): a delivery that made the section
        live as of then, another process's newer listing stored. That is newer evidence than
        anything the answer holds, and its rows are merged by version, so whatever its kind
        (live, partial, cut short, a stale copy) the age does not go back to the request's."""
        during = self._confirmed_at(section.id)  # before this answer is written
        snapshot = self._answer(section, result, delta=delta, started=started)
        fresh = snapshot.freshness
        if during is None or during <= started or (fresh.fetched_at or during) >= during:
            return snapshot  # nothing newer came meanwhile (or the answer is as new)
        return msgspec.structs.replace(
            snapshot, freshness=msgspec.structs.replace(fresh, fetched_at=during)
        )

    def _answer(
        self, section: SectionInfo, result: FetchResult, *, delta: bool, started: float
    ) -> Snapshot:
        """The answer, under the freshness invariant: the store keeps the newer copy of each
        item; an item that left the section after this answer was fetched stays out.

        A partial answer (part of the query unread: a page failed, a search timed out) is
        merged like a delta, never a replacement: it removes nothing, keeps the cursor and
        the section's age where they were (what it did not read is no newer than that), and
        says why; the next poll, soon, asks again for what it did not read.

        What left before a row's page was fetched (gone, or not in a newer full listing, known
        by this process or another) the store drops as it takes the rows (store/gone.py)."""
        at = result.fetched_at  # its oldest page's; each row is as old as its own (times)
        times = result.fetched
        partial = result.partial
        since = self._confirmed_at(section.id) if partial else None  # before this answer
        if since is not None:  # never newer than a page it read (a stale one may be older)
            since = min(since, at)
        items = result.items
        rows = self._rows(section.id)  # the login's that fetched it (session_rows.py)
        if result.cache == "stale":  # the gateway served its stale copy: not written back
            items = self._as_moved(section.account, items, at)
            stored_items = self._reread(section.id)[0]
            full = not (delta or partial)
            shown = rows.reconcile(section.id, items, at, full=full, times=times, rows=True)
            if delta or partial:  # the store holds the last full picture; the answer a part
                shown = _merge(stored_items, shown)
            # A part it could not refresh (a PR's checks, say) keeps what the store showed.
            stored = {item.id: item for item in stored_items}
            shown = [_keep_known(stored.get(item.id), item, KEEP_IF_STALE) for item in shown]
            if partial:
                return freshness.partial(
                    shown,
                    at if since is None else since,
                    result.stale_error,
                    result.read_only,
                    result.left_out,
                )
            return freshness.cached(
                shown, at, result.stale_error, result.read_only, result.left_out
            )
        if delta or partial:
            kept = rows.upsert_items(
                section.id, items, at, touch=since is None, times=times, rows=True
            )
            shown = _with_unsaved(self._reread(section.id)[0], kept)
        else:
            shown = rows.save_section(section.id, items, at, times=times, rows=True)
            if section.service not in CONDITIONAL:  # those always list in full
                # when the poll began: its pages are as new (or a cache hit, up to its TTL)
                rows.set_cursor(FULL_SCOPE, section.id, repr(started))
        if result.cursor and not partial:  # a partial delta asks again from the old cursor
            rows.set_cursor(CURSOR_SCOPE, section.id, result.cursor)
        if not partial:  # else the periodic full listing stays due
            self._polls[section.id] = self._polls.get(section.id, 0) + 1
        if not result.summaries:
            self._propagate(section.id, shown, at, times)
        if partial:
            return freshness.partial(
                shown,
                at if since is None else since,
                result.stale_error,
                result.read_only,
                result.left_out,
            )
        if result.stale_error is not None:  # paging stopped early: what came is kept, and why
            return freshness.cached(
                shown, at, result.stale_error, result.read_only, result.left_out
            )
        if result.cache == "hit":
            return self._from_cache(section, shown, at, result)
        # A channel left (Slack's not_in_channel) is an answer as of now, not old rows kept:
        # live, rows or none, saying which channel and why (result.left_out, result.note).
        return freshness.live(shown, at, result.note, result.read_only, result.left_out)

    def _from_cache(
        self, section: SectionInfo, shown: Sequence[Item], at: float, result: FetchResult
    ) -> Snapshot:
        """A listing the gateway answered from its cache within the TTL (the server not
        asked): as old as the cached answer (`at`, its oldest page's), not live. Its age
        never moves back: a section confirmed later (a newer full listing, by this process
        or another, stored) keeps that age."""
        since = self._confirmed_at(section.id)
        as_of = at if since is None else max(at, since)
        types = self.wired.settings.gateway_for(section.service).cache.types
        ttl = types[LISTING].ttl if LISTING in types else None
        return freshness.from_cache(
            shown, as_of, ttl, result.read_only, result.left_out, result.note
        )

    def _as_moved(self, account: str, items: Sequence[Item], at: float) -> list[Item]:
        """A copy fetched at `at`, before a repository moved, under its new name, as the
        store's rows are: else a section showed each of its rows twice, or the old names."""
        for old, new, moved_at in self.store.repo_moves(account):
            if at < moved_at:
                items = moved_items(items, account, old, new) or items
        return list(items)

    def _confirmed_at(self, section_id: str) -> float | None:
        """When the section as a whole was last confirmed (its shown age): what a partial
        answer did not read is no newer than this, so the age stays here (never goes back)."""
        shown = self._snapshots.get(section_id)
        times = [self._rows(section_id).section_fetched_at(section_id)]
        if shown is not None and _in_memory(shown):
            times.append(shown.freshness.fetched_at)
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def _propagate(
        self, source: str, items: Sequence[Item], at: float, times: dict[str, float]
    ) -> None:
        """A newer version one section saw replaces the older one other sections show (their
        freshness unchanged): two panes never disagree about an item's state for long."""
        newest = {item.id: item for item in items}
        for section in self._sections:
            snapshot = self._snapshots.get(section.id)
            if section.id == source or snapshot is None:
                continue
            newer = [
                _keep_known(item, newest[item.id], NOTIFICATION_FIELDS)
                for item in snapshot.items
                if item.id in newest and _version(newest[item.id]) > _version(item)
            ]
            if newer:  # rows, not the section's query: its age stays (touch=False)
                kept = self._rows(section.id).upsert_items(
                    section.id, newer, at, touch=False, times=times, rows=True
                )
                items_now = tuple(_merge(snapshot.items, kept))
                self._publish(section, msgspec.structs.replace(snapshot, items=items_now), snapshot)

    def _publish(
        self, section: SectionInfo, snapshot: Snapshot, previous: Snapshot | None
    ) -> Snapshot:
        """Hold and announce the section's new snapshot. Returns what was published. Its items
        are rows (models.as_row: their URLs and descriptions left in the store) where the store
        holds them, whole where it does not: each store write gives them back so (its `rows`),
        whole when it did not happen (the disk full, the gateway's stale copy), for full_item
        would find nothing to put back (`o` opened "", the preview showed no description).
        Two snapshots compare on what the rows hold: a description edited alone is noticed by
        its version (`updated_at`), which GitHub and Jira move on every edit."""
        self._snapshots[section.id] = snapshot
        kept = self._stored_copy.get(section.id)
        if kept is not None and kept[1] is not snapshot.items:  # replaced: no longer held
            del self._stored_copy[section.id]
        if snapshot != previous:
            # Kept so `zen-tui list` can say why the stored items are not fresh (an answer
            # from the cache within its TTL is no failure: the store's age says its age), or
            # what the source left out: a Slack channel left.
            fresh = snapshot.freshness
            reason = None if fresh.answered and fresh.left_out is None else fresh.reason
            self._rows(section.id).set_section_reason(section.id, reason)
            self.bus.publish(
                SectionUpdated(
                    service=section.service,
                    account=section.account,
                    section_id=section.id,
                    snapshot=snapshot,
                )
            )
        return snapshot

    def _budget(self, account: str) -> Budget | None:
        """The tightest server-reported budget of this account's buckets. One counted in
        points (Jira's hourly quota) says what a read costs of it: a poll spends that."""
        gateway = self.wired.gateways[account]
        pollers = sum(1 for s in self._sections if s.account == account)
        now = self.wired.clock.time()
        budgets = [
            Budget(g.remaining, g.reset_at, pollers=pollers, calls_per_poll=g.cost or 1.0)
            for g in gateway.health().buckets.values()
            if g.remaining is not None and g.reset_at is not None and g.reset_at > now
        ]
        return max(budgets, key=lambda b: _floor(b, now), default=None)

    # -- health ----------------------------------------------------------------------------
    def health(self) -> list[AccountHealth]:
        outbox = self.store.outbox_figures()  # read once for the built and the unbuilt
        if self._network is None:
            return self._built_health(outbox)
        built = {h.account: h for h in self._built_health(outbox)}  # some may be built
        return [built.get(h.account, h) for h in self._unconnected_health(outbox)]

    def _built_health(self, outbox: Mapping[str, OutboxFigures]) -> list[AccountHealth]:
        out = []
        # In the config's order: the deferred builds finish (and fill the dict) in any order.
        rank = {a.name: i for i, a in enumerate(self.wired.settings.accounts)}
        for account in sorted(self.wired.gateways, key=lambda name: rank.get(name, len(rank))):
            h = self.wired.gateways[account].health()
            gauge = _headline_bucket(h.buckets, MAIN_SCOPE.get(h.service, "default"))
            out.append(
                AccountHealth(
                    account=account,
                    service=h.service,
                    breaker=h.breaker,
                    half_open_at=h.half_open_at,
                    tokens=gauge.tokens if gauge else 0.0,
                    capacity=gauge.capacity if gauge else 0.0,
                    remaining=gauge.remaining if gauge else None,
                    reset_at=gauge.reset_at if gauge else None,
                    retries=h.retries_total,
                    cache_hits=h.cache_hits,
                    cache_misses=h.cache_misses,
                    revalidations=h.revalidations,
                    outbox_pending=outbox.get(account, NO_FIGURES).pending,
                    outbox_failed=outbox.get(account, NO_FIGURES).failed,
                    **self._webhook_health(account, h.service),
                    paused=_paused_scopes(h.buckets),
                )
            )
        return out

    def _unconnected_health(self, outbox: Mapping[str, OutboxFigures]) -> list[AccountHealth]:
        """Before the gateways exist: what new ones would report (breakers closed, full
        client-side buckets, nothing counted), with the outbox as the store holds it."""
        stored = self.store.rate_pauses()
        out = []
        for account in self.wired.settings.accounts:
            name, service = account.name, account.service
            connection = self.connection(name)
            gauges = self._stored_gauges(stored, name, service)
            gauge = _headline_bucket(gauges, MAIN_SCOPE.get(service, "default"))
            out.append(
                AccountHealth(
                    account=name,
                    service=service,
                    breaker="closed",
                    half_open_at=None,
                    tokens=gauge.tokens if gauge else 0.0,
                    capacity=gauge.capacity if gauge else 0.0,
                    remaining=None,
                    reset_at=None,
                    retries=0,
                    cache_hits=0,
                    cache_misses=0,
                    revalidations=0,
                    outbox_pending=outbox.get(name, NO_FIGURES).pending,
                    outbox_failed=outbox.get(name, NO_FIGURES).failed,
                    **self._webhook_health(name, service),
                    connection=connection.state,
                    connection_error=connection.reason,
                    paused=_paused_scopes(gauges),
                )
            )
        return out

    def _stored_gauges(
        self, stored: list[RatePause], account: str, service: str
    ) -> dict[str, BucketGauge]:
        """The buckets of a new gateway of the account: full, but for the stored pauses."""
        buckets = self.wired.settings.gateway_for(service).rate_limit.buckets
        limiter = ScopedLimiter(buckets, self.wired.clock)
        _take_stored(limiter, stored, account, service, self.wired.clock.time())
        return limiter.gauges()

    def _webhooks_live(self, account: str) -> bool:
        """Deliveries keep this account fresh: the receiver listens, a verified one came
        recently, and the account is built (until then a delivery only waits for it)."""
        hooks = self.webhooks
        return (
            hooks is not None
            and hooks.server.listening
            and self.connected(account)
            and hooks.live(account)
        )

    def _webhook_health(self, account: str, service: str) -> dict[str, Any]:
        if self.webhooks is None:
            return {}
        rejected = self.webhooks.receiver.stats.rejected
        return {
            "webhooks_live": self._webhooks_live(account),
            "webhooks_rejected": sum(n for k, n in rejected.items() if k.startswith(f"{service}:")),
        }

    def _housekeeping(self) -> Housekeeping:
        """The periodic store checks, each at its own period on the housekeeping's one
        timer (sync/housekeeping.py): the outbox's look for what another process left, the
        login watch, the health heartbeat, the retention prune (at the start, then daily).
        They run from start() to stop()."""
        house = Housekeeping(self.wired.clock)
        house.add("outbox store check", lambda: self.store_check, self._check_outbox_store)
        house.add("pause store check", lambda: self.store_check, self._check_pauses_store)
        house.add("login watch", lambda: self.login_check, self._check_logins)
        house.add("health heartbeat", HEARTBEAT, self._heartbeat)
        retention.keep_pruned(house, self.store, self.wired.clock, rows=self.rows)
        return house

    def _start_housekeeping(self) -> None:
        self.housekeeping.start()
        self._tasks.append(asyncio.create_task(self._learn_built_logins(), name="logins"))

    async def _check_outbox_store(self, house: Housekeeping) -> None:
        if await house.off_loop(self.outbox.left_elsewhere()):
            self.outbox.check_store()
        # the rows of what another process ended: sent, or cancelled (`zen-tui outbox cancel`)
        self.outbox.tell(await house.off_loop(self.outbox.ended_elsewhere()))
        # what another process changed (`zen-tui act`, `zen-tui outbox retry` or `clear`)
        self.tally.check(await house.off_loop(self.store.outbox_figures))

    async def _check_pauses_store(self, house: Housekeeping) -> None:
        """A rate-limit pause another process stored (`zen-tui sync` meeting GitHub's limit)
        for an account whose gateway is not built yet reaches its card now, not once the
        gateway is built. Read only when the store says something changed (pauses_version)."""
        version = await house.off_loop(self.store.pauses_version)
        if version == self._pauses_seen:
            return
        stored = await house.off_loop(self.store.rate_pauses)
        self._pauses_seen = version
        for account in self.wired.settings.accounts:
            name, service = account.name, account.service
            if name in self.wired.gateways:  # it tells of its own (QuotaUpdated)
                continue
            paused = _paused_scopes(self._stored_gauges(stored, name, service))
            ends = {scope: pause.until for scope, pause in paused.items()}
            if ends and ends != self._pauses_said.get(name):
                self._pauses_said[name] = ends
                self.bus.publish(PausesStored(service=service, account=name, paused=paused))

    async def _learn_built_logins(self) -> None:
        for account in list(self.wired.gateways):  # built before start() (`zen-tui sync`)
            if account not in self._logins_seen and not self.closed:
                with contextlib.suppress(sqlite3.Error):  # then its next rebuild learns it
                    await self._learn_login(account)  # records its own login: not a change

    async def _check_logins(self, _house: Housekeeping) -> None:
        """Every `login_check` seconds (a housekeeping chore). On the loop: its reads and
        `_logins_seen` go with the loop's own login writes."""
        await self.take_changed_logins()
        await self._take_logins_read_late()

    def _rebuild_late_soon(self, account: str) -> None:
        """A poll found the account's login read late (after a locked keyring) at a gateway
        that cannot send it (a Jira 3LO login's cloud base is not this build's): build it
        again now, not at the next login check. One such rebuild at a time."""
        gateway = self.wired.gateways.get(account)
        if gateway is None or not gateway.read_late or self.closed:
            return
        if self._late is None or self._late.done():
            self._late = asyncio.get_running_loop().create_task(self._take_logins_read_late())

    async def _take_logins_read_late(self) -> None:
        """Each account whose gateway could not read the login (a locked keyring) and has
        read it since is built again once with it, as after a login: a Jira 3LO login's REST
        base is read at the build. Only a flag is checked here: the polls do the reading, so
        a keyring that hangs never holds up this chore."""
        late = [a for a, g in list(self.wired.gateways.items()) if g.read_late]
        for account in late:
            log.info("%s: the keyring answers again: setting it up again", account)
            try:
                await self.reconnect(account)
            except Exception:  # keep watching; its panes say why at the next poll
                log.exception("%s: could not set it up again", account)
                continue
            self.refresh_soon(s.id for s in self._sections if s.account == account)

    async def take_changed_logins(self) -> list[str]:
        """One login check: each account another process logged in or out since this one
        last looked is set up again with the keyring's login; returns them."""
        changed = self.changed_logins()
        for account in changed:
            try:
                await self.reconnect(account)
            except Exception:  # keep watching; its panes say why at the next poll
                log.exception("%s: could not take the new login", account)
                continue
            self._show_stored(account)  # the other process dropped the earlier login's
            self.refresh_soon(s.id for s in self._sections if s.account == account)
        return changed

    def changed_logins(self) -> list[str]:
        """The built accounts whose login record differs from the one this process last saw
        or wrote; each is marked seen, so a change is acted on once (never in a loop)."""
        changed = []
        for account, seen in list(self._logins_seen.items()):
            try:
                now = self.store.login_state(account)
            except sqlite3.Error as exc:  # the next check reads again
                log.warning("could not read %s's login record: %s", account, exc)
                continue
            if now != seen:
                self._logins_seen[account] = now
                if account in self._local_logins:  # its session login wins here
                    log.info("%s: logged in or out elsewhere; this run keeps its own", account)
                    continue
                log.info("%s: logged in or out elsewhere: setting it up again", account)
                changed.append(account)
        return changed

    async def _heartbeat(self, house: Housekeeping) -> None:
        """Re-save every account's health while running, so a record older than a few beats
        tells `zen-tui health` that its saver is gone or stuck (store/saver.py). The records
        are taken on the loop (the gateways' live state), written off it."""
        records = self._health_records()
        await house.off_loop(partial(self._write_health, records))

    def _write_health(self, records: list[tuple[str, dict[str, Any], float]]) -> None:
        with self._health_lock:  # after the stop's mark, a beat would say the run goes on
            if self.closed:
                return
            for account, data, at in records:
                self.store.save_health(account, data, at)

    def _mark_stopped(self) -> None:
        """The records this run saved last say it stopped (`zen-tui health`: not running
        now). Another process's records are left alone: it may still run."""
        # Best effort, like every health save.
        with self._health_lock, contextlib.suppress(sqlite3.Error):
            for account, (data, at) in self.store.load_health().items():
                if data.get("saved_by") == self.outbox.owner:
                    self.store.save_health(account, data | {"stopped": True}, at)

    def save_health(self, account: str | None = None) -> None:
        """Persist gateway health for `zen-tui health` (one account, or all); an account not
        built yet is saved as such (connecting, or failed and why), its webhooks not live.
        Each record names this run (`saved_by`, a lease owner id: store/saver.py)."""
        if self.closed:  # the store is closed
            return
        for name, data, at in self._health_records(account):
            self.store.save_health(name, data, at)

    def _health_records(
        self, account: str | None = None
    ) -> list[tuple[str, dict[str, Any], float]]:
        """What save_health writes: (account, record, when) for one account or all."""
        out = []
        now = self.wired.clock.time()
        counting = self.webhooks is None or self.webhooks.counting
        stored = {} if counting else self.store.load_health()
        for health in self.health():
            if account is not None and health.account != account:
                continue
            data = msgspec.structs.asdict(health)
            del data["paused"]  # `zen-tui health` reads the pauses as the store has them now
            built = self.wired.gateways.get(health.account)
            if built is not None:
                gateway = built.health()
                data |= {
                    "buckets": {k: msgspec.structs.asdict(v) for k, v in gateway.buckets.items()},
                    "requests": gateway.requests,
                    "errors": gateway.errors,
                    "stale_served": gateway.stale_served,
                    "deprecations": list(gateway.deprecations),
                }
            hooks = self._webhook_counters(health.account, stored)
            if hooks is not None:
                data["webhooks"] = hooks
            data["saved_by"] = self.outbox.owner
            if self.role:
                data["saver_role"] = self.role
            out.append((health.account, data, now))
        return out

    def _webhook_counters(
        self, account: str, stored: dict[str, tuple[dict[str, Any], float]]
    ) -> dict[str, Any] | None:
        """The webhook counters to save: this run's while it counts deliveries; else (no
        receiver nor processor runs, as in `zen-tui sync --once`) the last receiver's as
        stored, with its run's name kept (`receiver`), so they are not replaced by the
        zeros of a receiver that never ran; None when there are none."""
        if self.webhooks is None:
            return None
        if self.webhooks.counting:
            return self.webhooks.health()
        data, at = stored.get(account, ({}, 0.0))
        hooks = data.get("webhooks")
        if not isinstance(hooks, dict):
            return None
        if "receiver" in hooks:  # kept by a run like this one before
            return hooks
        run = {k: data[k] for k in RECEIVER_KEYS if k in data}
        return hooks | {"receiver": run | {"saved_at": at}}


async def _drop(gateways: dict[str, Gateway]) -> None:
    """Close gateways built for nothing (the engine stopped, or another build won)."""
    for gateway in gateways.values():
        await gateway.aclose()


def build_error(error: BaseException) -> str:
    """Why an account could not be built, for a pane, a form or `health`: one line, with
    anything shaped like a secret masked (a keyring backend's message may quote one)."""
    return redact(freshness.one_line(error))


def _headline_bucket(buckets: dict[str, Any], main: str) -> Any:
    """The bucket `health` shows: the main scope once the server reported on it, else any
    scope the server reported on (e.g. GitHub search), else the client-side bucket nearest
    empty (Slack reports no budget and limits each method in a bucket of its own: the
    `default` one no call spends would stand full), the main one while none is spent."""
    ordered = [buckets[main]] if main in buckets else []
    ordered += [g for scope, g in sorted(buckets.items()) if scope != main]
    reported = [g for g in ordered if g.remaining is not None]
    if reported:
        return reported[0]
    return min(ordered, key=_fill, default=None)  # the first of the emptiest: main on a tie


def _take_stored(
    limiter: ScopedLimiter, stored: list[RatePause], account: str, service: str, now: float
) -> None:
    """Pause `limiter` as a new gateway of the account would start (gateway/pauses.py): by
    what is left of each stored pause of its own (another run's, another process's)."""
    for pause in stored:
        left = pause.holds(account, service, now)
        if left > 0:
            limiter.bucket(pause.scope).pause_for(left)


def _paused_scopes(gauges: dict[str, Any]) -> dict[str, ScopePause]:
    """The scopes a rate-limit pause holds now, for the cards' first paint."""
    return {
        scope: ScopePause(g.paused_until, g.tokens, g.capacity)
        for scope, g in gauges.items()
        if g.paused_until is not None
    }


def _fill(gauge: Any) -> float:
    return float(gauge.tokens / gauge.capacity) if gauge.capacity else 1.0


async def _in_daemon_thread(fn: Callable[[], T]) -> T:
    """fn() in a daemon thread: unlike asyncio.to_thread's pool, which the loop's shutdown
    joins, a thread blocked in a keyring call never holds up the exit."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not done.done():  # else the waiter was cancelled (the engine stopped)
            outcome()

    def run() -> None:
        outcome: Callable[[], None]
        try:
            outcome = partial(done.set_result, fn())
        except BaseException as exc:  # handed to the waiter, which raises it
            outcome = partial(done.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=run, name="zen-tui-connect", daemon=True).start()
    return await done


def _refuse_unreadable(section: SectionInfo, result: FetchResult) -> None:
    """A full listing whose every item was malformed (each skipped and logged) is no
    listing: as one, it emptied the section and called it live. It fails like a garbled
    body, so the section keeps its rows and says why. Some items readable: those are the
    answer. (A delta removes nothing: an empty one is harmless, and failing it kept the
    section `cached` at each poll while the malformed item stayed the newest.)"""
    if result.skipped and not result.items:
        raise BadResponse(
            service=section.service,
            account=section.account,
            message=f"all {result.skipped} items the server sent were malformed (see the log)",
        )


def _in_memory(snapshot: Snapshot | None) -> bool:
    live_states = (FreshnessState.LIVE, FreshnessState.CACHED)
    return snapshot is not None and snapshot.freshness.state in live_states


def _merge(old: Sequence[Item], new: Sequence[Item]) -> list[Item]:
    """Old and new copies by id; of two versions the newer wins (a tie: the new copy)."""
    by_id = {item.id: item for item in old}
    for item in new:
        held = by_id.get(item.id)
        if held is None or _version(item) >= _version(held):
            by_id[item.id] = item
    return sorted(by_id.values(), key=_version, reverse=True)


def _undated_change(old: Item | None, new: Item) -> bool:
    """Two GitHub copies of one version that say different things: its `updated_at` counts
    whole seconds, so two changes within one second share it, and their deliveries may come
    in either order. Which copy is the newer one only the server can tell. (Jira's `updated`
    counts milliseconds and a Slack edit's `ts` microseconds: there, same version, same copy.)"""
    if old is None or new.service != "github" or _version(old) != _version(new):
        return False
    return as_row(old) != as_row(new)


def _version(item: Item) -> float:
    """An item's version: when the service last changed it (the store compares the same)."""
    return sort_key(item.updated_at)


def _state(item: Item | None) -> str | None:
    """What decides whether an item still matches a query like `is:open` / `!= Done`."""
    if isinstance(item, PullRequest):
        return item.state
    return item.status if isinstance(item, Issue) else None


def _may_have_left(query: str, old: Item | None, new: Item) -> bool:
    """A webhook copy whose state moved, or whose field the section's query filters on
    changed (unassigned from me, review request removed, label taken off, mention edited
    out), may no longer match it: only the query can tell, and a delta never drops it."""
    if _state(new) != _state(old):
        return True
    if old is None:
        return False
    words = query.casefold()
    return any(
        getattr(old, name, None) != getattr(new, name, None)
        for name, filters in QUERY_FIELDS.items()
        if any(word in words for word in filters)
    )


def _with_unsaved(stored: list[Item], kept: Sequence[Item]) -> list[Item]:
    """The section as re-read after a delta was upserted, with the delta's items the write
    did not take (the disk full: kept whole) merged in: else they were not shown at all."""
    unsaved = [item for item in kept if not is_row(item)]
    return _merge(stored, unsaved) if unsaved else stored


def _keep_known(old: Item | None, new: Item, names: tuple[str, ...] = KEEP_IF_MISSING) -> Item:
    """A webhook payload lacks some of what the listing had (check status, review decision,
    mergeability): those fields, when unset in the new copy, keep the old copy's value."""
    if old is None or type(old) is not type(new):
        return new
    kept = {
        name: getattr(old, name)
        for name in names
        if getattr(new, name, 0) in _UNSET and getattr(old, name, None) not in _UNSET
    }
    return msgspec.structs.replace(new, **kept) if kept else new


def _floor(budget: Budget, now: float) -> float:
    from zen_tui.sync.interval import budget_floor

    return budget_floor(budget, now)


if TYPE_CHECKING:  # the engine is the Backend the UI codes against
    _backend: type[Backend] = SyncEngine


def _seen_after(
    before: tuple[str, int] | None, after: tuple[str, int] | None
) -> tuple[str, int] | None:
    """The record as this process's own learn left it: its fingerprint, but the generation
    read before the keyring was (this process's own bump, _record_own_login, came before
    that read): a later one is another process's login that may have landed after the
    keyring read, and the next check takes it."""
    if after is None:
        return None
    return (after[0], 0 if before is None else before[1])
