"""Applies queued webhook deliveries: payload -> items (the service client's
items_for_webhook) -> every section that shows them; marks each delivery done.

Whatever cannot be placed cheaply (a new item, a deletion, an event that carries no item, an
item that left the open state) makes the account's matching sections refresh instead.
Deliveries left pending by a crash are applied on the next start (the queue is in SQLite);
those a full disk kept queued, on a timer that backs off until the store takes writes again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from zen_tui.gateway.clock import Clock, SystemClock, sleep_unless
from zen_tui.json_input import loads
from zen_tui.models import Issue, Item, Message, PullRequest, SectionInfo, ThreadReply, with_reply
from zen_tui.services.github_parse import GONE_ACTIONS
from zen_tui.store import Store, WebhookRow
from zen_tui.store.rows import StoreFull
from zen_tui.sync.webhook_verify import RATE_LIMITED
from zen_tui.timefmt import local_time

if TYPE_CHECKING:
    from zen_tui.services.base import ServiceClient

log = logging.getLogger("zen_tui.sync.webhooks")

BATCH = 50  # deliveries applied between yields to the event loop
NO_CHANGE_EVENTS = frozenset({"ping", "url_verification"})  # they say nothing about items
# The GitHub events that can change what zen-tui shows: its issues and PRs, their reviews,
# comments, checks and labels, and their repository's name. A hook may send any other (a
# `push`, a `star`: "Send me everything"); GitHub's advice is to check the event type before
# processing, as it keeps adding events. Those are marked done, never a refresh.
GITHUB_READ = frozenset(
    {
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "check_run",
        "check_suite",
        "status",
        "label",
        "repository",
    }
)
_EVENT_NAME = re.compile(r"[a-z_]{1,64}")  # GitHub's event names, as the log may quote them
# Their payloads carry only part of the issue: refresh the sections showing it instead.
PARTIAL_EVENTS = frozenset({"comment_created", "comment_updated", "comment_deleted"})
PANE_OF = {PullRequest: "prs", Issue: "issues", Message: "messages"}
# A full disk keeps deliveries queued: they are tried again after FULL_RETRY_FIRST seconds,
# the wait doubling to FULL_RETRY_MAX while it stays full (a delivery arriving tries at once).
FULL_RETRY_FIRST = 1.0
FULL_RETRY_MAX = 60.0


class WebhookTarget(Protocol):
    """What the processor needs from the engine."""

    @property
    def sections(self) -> list[SectionInfo]: ...

    def shown_ids(self, section_id: str) -> set[str]: ...

    def shown_items(self, section_id: str) -> list[Item]: ...

    def apply_items(self, section_id: str, items: list[Item], *, derived: bool = False) -> None: ...

    def forget(
        self,
        account: str,
        item_ids: Iterable[str] = (),
        prefixes: Iterable[str] = (),
        *,
        at: float | None = None,
    ) -> list[str]: ...

    def repository_moved(self, account: str, old: str, new: str) -> None: ...

    def refresh_soon(self, section_ids: Iterable[str], *, full: bool = False) -> None: ...

    def relist_when_built(self, section_ids: Iterable[str]) -> None: ...

    def save_health(self) -> None: ...


class WebhookProcessor:
    def __init__(
        self,
        store: Store,
        clients: Mapping[str, ServiceClient],
        target: WebhookTarget,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.clients = clients  # account -> service client
        self.target = target
        self.clock = clock or SystemClock()  # the full-disk retry's timer
        self.processed = 0  # applied since `since`, `carried_over` of them received before
        self.carried_over = 0  # queued by an earlier run (it stopped before applying them)
        self.since: float | None = None
        self.running = False  # run() started: this process applies deliveries
        self.failed = 0  # deliveries whose payload the client could not map (refreshed instead)
        self._wake = asyncio.Event()
        self._unread: set[str] = set()  # GitHub events named in the log as not read

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Apply what is pending (including what a previous run left), then wait for more.
        While a full disk keeps deliveries queued they are tried again on a timer, backing
        off, and at each new delivery; said once when the disk fills, once when it has room."""
        wait: float | None = None  # the disk is full: the time to the next try
        self.running = True
        while True:
            self._wake.clear()
            if not await self._apply_pending():
                if wait is not None:
                    log.info("webhooks: the disk has room again; queued deliveries applied")
                wait = None
                await self._wake.wait()
                continue
            if wait is None:  # the store said "disk full" in one line: no crash report beside it
                log.warning("webhooks: queued deliveries stay queued until the disk has room")
            wait = FULL_RETRY_FIRST if wait is None else min(2 * wait, FULL_RETRY_MAX)
            await sleep_unless(self.clock.sleep, wait, self._wake)  # or a new delivery's wake

    async def _apply_pending(self) -> bool:
        """Apply what is pending; True when a full disk stopped it (the rest stay queued)."""
        try:
            applied = 0
            while batch := self.drain_batch():
                applied += batch
                await asyncio.sleep(0)  # a long backlog must not freeze the dashboard
            if applied:
                self.target.save_health()
        except StoreFull:
            return True
        except Exception:  # e.g. the store failing: keep the rows, try on the next wake
            log.exception("webhooks: applying queued deliveries failed")
        return False

    def drain(self) -> int:
        """Apply every pending delivery; returns how many."""
        count = 0
        while batch := self.drain_batch():
            count += batch
        return count

    def drain_batch(self) -> int:
        """Apply up to BATCH pending deliveries, oldest first, marking each done; returns how
        many. A delivery's store writes and its done mark are one transaction (Store.atomic),
        so each is applied to the store once, whatever stops it: a full disk refusing any of
        them raises StoreFull with none written (that row and the rest stay queued, applied
        whole by a later call), a process stopping before the commit leaves the row queued
        for the next one. What applying does besides (the sections shown, refreshes asked,
        rows of a login kept in another file: session_rows.py) is made again with the same
        result (a copy no newer than the held one changes nothing), so nothing needs
        remembering in memory between tries."""
        rows = self.store.webhook_pending(BATCH)
        for row in rows:
            failed = self.failed
            try:
                with self.store.atomic():
                    self._apply_logged(row)
                    self.store.webhook_done(row.id)
            except BaseException:
                self.failed = failed  # counted once, when it is applied for good
                raise
            self._counted(row)
        return len(rows)

    def _apply_logged(self, row: WebhookRow) -> None:
        try:
            self._apply(row)
        except StoreFull:  # not applied: tried again, whole, once the disk has room
            raise
        except Exception:  # a bug must not replay forever: refresh, mark done
            log.exception("webhook %s %s could not be applied", row.service, row.event)
            self._refresh_service(row.service)

    def _counted(self, row: WebhookRow) -> None:
        self.processed += 1
        if self.since is not None and row.received_at < self.since:
            self.carried_over += 1

    def _refresh_service(self, service: str, *, full: bool = False) -> None:
        accounts = {a for a, c in self.clients.items() if c.service == service}
        sections = (s.id for s in self.target.sections if s.account in accounts)
        self.target.refresh_soon(sections, full=full)

    def unsaved(self, service: str) -> None:
        """A verified delivery the receiver could not save: what it said (a deletion, an item
        leaving a query, anything) is listed in full from the server instead, at once. GitHub
        never resends it by itself; Jira and Slack would, but only minutes later, or never."""
        self._owed_to_unbuilt(service)
        self._refresh_service(service, full=True)

    def _apply(self, row: WebhookRow) -> None:
        if row.event in NO_CHANGE_EVENTS:
            return
        if row.service == "github" and row.event not in GITHUB_READ:
            self._not_read(row.event)
            return
        if row.service == "slack" and row.event == RATE_LIMITED:
            self._rate_limited(row.body)
            return
        self._owed_to_unbuilt(row.service)
        try:
            payload = loads(row.body)
        except ValueError as err:  # the receiver read it, from a shallower stack: a document
            self.failed += 1  # nested near the limit can be too deep here; refresh instead
            log.warning(
                "webhook %s %s (%s): cannot read the body (%s); refreshing",
                row.service,
                row.event,
                row.delivery_id,
                err,
            )
            self._refresh_service(row.service)
            return
        moved = moved_repository(row.service, row.event, payload)
        if moved is not None:
            self._repository_moved(row.service, *moved)
            return
        for account, client in self.clients.items():
            if client.service != row.service:
                continue
            try:
                touches = client.state_from_webhook(row.event, payload)
                items = [] if touches else client.items_for_webhook(row.event, payload)
            except Exception as err:  # an unexpected payload: refresh instead, never stop
                self.failed += 1
                log.warning(
                    "webhook %s %s (%s): cannot read the payload (%s); refreshing",
                    row.service,
                    row.event,
                    row.delivery_id,
                    err,
                )
                self.target.refresh_soon(s.id for s in self._sections(account))
                continue
            if touches:  # e.g. a Slack channel archived: the sections reading it say so
                self.target.refresh_soon(s.id for s in self._sections(account) if touches(s.query))
                continue
            if items:
                self._place(account, client, items, partial=partial_payload(row.event, payload))
            else:
                ref = referenced(row.service, row.event, payload)
                self._without_items(account, ref, row.received_at)
            self._replied(account, client.thread_replies(row.event, payload))

    def _rate_limited(self, body: bytes) -> None:
        """Slack's app_rate_limited: it drops this app's events from the minute named on,
        so what they said (a deletion, a reaction: which a delta poll misses) is listed in
        full from the server. The receiver ended the account's live state, so its sections
        poll as usual until events come again."""
        try:
            minute = loads(body).get("minute_rate_limited")
        except (ValueError, AttributeError):
            minute = None
        valid = isinstance(minute, int) and not isinstance(minute, bool) and 0 <= minute < 2**35
        when = local_time(minute, now=self.clock.time()) if valid else "now"
        log.warning(
            "webhook slack: Slack is not delivering events from %s on (app_rate_limited: "
            "over 30,000 events in an hour); the Slack sections list in full from the server "
            "and poll as usual until events come again",
            when,
        )
        self._owed_to_unbuilt("slack")
        self._refresh_service("slack", full=True)

    def _not_read(self, event: str) -> None:
        """A GitHub event zen-tui does not read: one log line per name and run, saying how
        to stop them (the header is not signed: a name GitHub would never send is not quoted,
        and such names are never remembered)."""
        if event in self._unread:
            return
        if not _EVENT_NAME.fullmatch(event):
            log.info("webhook github: an event zen-tui does not know (ignored)")
            return
        self._unread.add(event)
        log.info(
            "webhook github: zen-tui does not read `%s` events (ignored); untick them in the "
            "hook's events to save deliveries",
            event,
        )

    def _repository_moved(self, service: str, old: str, new: str) -> None:
        """A renamed or transferred repository: the stored rows and links follow it at once,
        then the account's sections list in full (a query naming the old name says so)."""
        for account, client in self.clients.items():
            if client.service == service:
                changed = self.store.repo_moved(account, old, new)
                self.target.repository_moved(account, old, new)
                log.info("webhook: repository %s is now %s (%d rows renamed)", old, new, changed)
                self.target.refresh_soon((s.id for s in self._sections(account)), full=True)

    def _owed_to_unbuilt(self, service: str) -> None:
        """An account of this service whose client is not built yet (its build failed, or is
        still running) cannot read the delivery; it is not lost: the account's sections list
        in full, asking the server, at the poll that builds it, which shows all the delivery
        said (a deletion too, which a delta poll would miss)."""
        waiting = [
            s.id
            for s in self.target.sections
            if s.service == service and s.account not in self.clients
        ]
        if waiting:
            self.target.relist_when_built(waiting)

    def _sections(self, account: str) -> list[SectionInfo]:
        return [s for s in self.target.sections if s.account == account]

    def _without_items(self, account: str, ref: Reference | None, received_at: float) -> None:
        """A deletion is gone as of when the delivery came (the engine's forget: off the
        sections showing it at once, and recorded even if none does, so a poll answer
        requested before then never adds it, here or in another process); another event
        about a shown item (a Slack reaction) refreshes them; one naming nothing refreshes
        the whole account."""
        sections = self._sections(account)
        if ref is None:
            self.target.refresh_soon(s.id for s in sections)
            return
        ids = {f"{account}:{key}" for key in ref.keys}
        if ref.deleted:
            self.target.forget(account, ids, at=received_at)
            return
        showing = [s.id for s in sections if ids & self.target.shown_ids(s.id)]
        self.target.refresh_soon(showing, full=True)  # e.g. a reaction: `updated` did not move

    def _replied(self, account: str, replies: list[ThreadReply]) -> None:
        """A thread reply moves its parent's reply count and latest reply in the sections
        showing the parent, at once and without reading the thread (a repeated or already
        listed reply changes nothing: see with_reply)."""
        if not replies:
            return
        ids = {reply.parent_id for reply in replies}
        for section in self._sections(account):
            changed: list[Item] = []
            for parent in self.target.shown_items(section.id):
                if parent.id not in ids or not isinstance(parent, Message):
                    continue
                new = parent
                for reply in replies:
                    new = with_reply(new, reply) if reply.parent_id == parent.id else new
                if new is not parent:
                    changed.append(new)
            if changed:
                self.target.apply_items(section.id, changed, derived=True)

    def _place(
        self, account: str, client: ServiceClient, items: list[Item], *, partial: bool = False
    ) -> None:
        sections = self._sections(account)
        if partial:
            ids = {i.id for i in items}
            self.target.refresh_soon(s.id for s in sections if ids & self.target.shown_ids(s.id))
            return
        stale: set[str] = set()
        placed: set[str] = set()
        for section in sections:
            shown = self.target.shown_ids(section.id)
            here = [i for i in items if i.id in shown]
            if here:
                self.target.apply_items(section.id, here)
                placed.update(i.id for i in here)
                stale.update(section.id for i in here if _left_open(i))
        for item in items:
            if item.id not in placed:  # maybe it belongs in a section now: the query decides
                # (the Inbox holds every kind: its sections of this service too), unless the
                # client knows the query cannot list it (a Slack message in another channel)
                stale.update(
                    s.id
                    for s in sections
                    if (
                        s.pane == PANE_OF.get(type(item))
                        or (s.pane == "inbox" and s.service == item.service)
                    )
                    and client.might_list(s.query, item)
                )
        if stale:
            self.target.refresh_soon(stale)


def partial_payload(event: str, payload: dict[str, Any]) -> bool:
    """The payload carries only part of its item: a Jira comment event's issue, and a GitHub
    `issue_comment` on a pull request, whose PR comes as an issue (no draft flag, no
    requested reviewers, no head): storing it would wipe what the row knows."""
    if event in PARTIAL_EVENTS:
        return True
    issue = payload.get("issue")
    return event == "issue_comment" and isinstance(issue, dict) and "pull_request" in issue


class Reference(msgspec.Struct, frozen=True):
    keys: tuple[str, ...]  # the service's own item keys (item id = f"{account}:{key}")
    deleted: bool = False


def referenced(service: str, event: str, payload: dict[str, Any]) -> Reference | None:
    """The items an item-less event is about: a deleted Jira issue, a deleted or transferred
    GitHub issue, a deleted Slack message, the message a Slack reaction or pin is on. None
    when the payload names none."""
    if service == "github":
        return _github_gone(event, payload)
    if service == "jira":
        issue = payload.get("issue")
        key = issue.get("key") if isinstance(issue, dict) else None
        return Reference((str(key),), event == "jira:issue_deleted") if key else None
    inner = payload.get("event")
    if service != "slack" or not isinstance(inner, dict):
        return None
    if inner.get("subtype") == "message_deleted" and inner.get("deleted_ts"):
        return Reference((f"{inner.get('channel')}:{inner['deleted_ts']}",), deleted=True)
    item = inner.get("item")
    if isinstance(item, dict) and item.get("channel") and item.get("ts"):
        return Reference((f"{item['channel']}:{item['ts']}",))
    return None


def _github_gone(event: str, payload: dict[str, Any]) -> Reference | None:
    """`issues` deleted / transferred: the issue's row goes (key "owner/repo#number")."""
    issue, repo = payload.get("issue"), payload.get("repository")
    if event != "issues" or payload.get("action") not in GONE_ACTIONS:
        return None
    if not isinstance(issue, dict) or not isinstance(repo, dict):
        return None
    return Reference((f"{repo.get('full_name')}#{issue.get('number')}",), deleted=True)


def moved_repository(service: str, event: str, payload: dict[str, Any]) -> tuple[str, str] | None:
    """(old, new) full names from GitHub's `repository` `renamed` (changes.repository.name.from)
    or `transferred` (changes.owner.from.user|organization.login); None for anything else."""
    if service != "github" or event != "repository":
        return None
    repo, changes = payload.get("repository"), payload.get("changes")
    if not isinstance(repo, dict) or not isinstance(changes, dict):
        return None
    new = repo.get("full_name")
    if not isinstance(new, str) or new.count("/") != 1:
        return None
    owner, name = new.split("/")
    if payload.get("action") == "renamed":
        was = _path(changes, "repository", "name", "from")
        return (f"{owner}/{was}", new) if isinstance(was, str) and was else None
    if payload.get("action") == "transferred":
        source = _path(changes, "owner", "from")
        who = source.get("user") or source.get("organization") if isinstance(source, dict) else None
        login = who.get("login") if isinstance(who, dict) else None
        return (f"{login}/{name}", new) if isinstance(login, str) and login else None
    return None


def _path(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _left_open(item: Item) -> bool:
    """A closed/merged PR or closed GitHub issue may no longer match its section's query."""
    if isinstance(item, PullRequest):
        return item.state != "open"
    return isinstance(item, Issue) and item.service == "github" and item.status == "closed"
