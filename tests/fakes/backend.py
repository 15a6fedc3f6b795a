"""A scriptable in-memory Backend for UI tests, snapshots and the UI benchmarks.

Lives in tests/ rather than the package: nothing the product runs needs it (the screenshots
use the real demo stack in tools/), and benchmarks/ run from a checkout, where `tests` imports.

Deterministic: items come from a seeded generator and freshness timestamps from `now`.
Tests drive it with `go_degraded()`, `go_offline()`, `recover()` and `publish()`; whatever
the UI submits is recorded in `submitted` (one list per `submit` call). No Textual import.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from msgspec.structs import replace

from zen_tui.config import AccountConfig
from zen_tui.gateway.events import (
    BreakerChanged,
    Event,
    EventBus,
    QuotaUpdated,
    RequestDone,
    RetryScheduled,
)
from zen_tui.models import (
    AccountHealth,
    Action,
    ActionState,
    FileDiff,
    Freshness,
    FreshnessState,
    Issue,
    Item,
    ItemDetail,
    MergeMethods,
    Message,
    PullDiff,
    PullRequest,
    Reaction,
    SectionInfo,
    Snapshot,
    body_of,
)
from zen_tui.store import Link, OutboxEntry, Store, outbox_words, take_recovery_messages
from zen_tui.store.outbox_words import Said, Where
from zen_tui.sync.backend import (
    AccountConnection,
    ActionUpdated,
    LinkAdded,
    OutboxCounted,
    PollerChanged,
    QueryRejected,
)
from zen_tui.sync.backend import SectionUpdated as SectionUpdated

T = TypeVar("T")
FROZEN_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z: snapshots never depend on the real clock

DEFAULT_SECTIONS = (
    SectionInfo("prs:0:gh", "prs", "Review requested", "gh", "github", "review-requested:@me"),
    SectionInfo("prs:1:gh", "prs", "Mine", "gh", "github", "author:@me"),
    SectionInfo("issues:0:gh", "issues", "Assigned", "gh", "github", "assignee:@me"),
    SectionInfo("issues:1:jira", "issues", "Sprint", "jira", "jira", "sprint in openSprints()"),
    SectionInfo("messages:0:slack", "messages", "Mentions", "slack", "slack", "@me"),
    SectionInfo("messages:1:slack", "messages", "#incidents", "slack", "slack", "#incidents"),
)

_WORDS = (
    "fix",
    "flaky",
    "retry",
    "in",
    "gateway",
    "cache",
    "bump",
    "httpx",
    "handle",
    "304",
    "revalidation",
    "add",
    "breaker",
    "lamp",
    "refactor",
    "store",
    "schema",
    "migrate",
    "sqlite",
    "wal",
    "speed",
    "up",
    "poller",
    "rename",
    "config",
    "key",
    "docs",
    "outbox",
    "idempotency",
    "jira",
    "transition",
    "picker",
    "slack",
    "thread",
    "reply",
    "rate",
    "limit",
    "header",
    "parse",
    "webhook",
)
_PEOPLE = ("ada", "linus", "grace", "ken", "barbara", "guido", "margaret", "dennis")
_SERVICES = ("github", "jira", "slack")


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7))).capitalize()


def _iso(rng: random.Random) -> str:
    return f"2025-12-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"


def make_items(section: SectionInfo, count: int, seed: int = 0) -> tuple[Item, ...]:
    """`count` plausible items for `section`, the same for the same seed."""
    rng = random.Random(f"{seed}:{section.id}")
    make: Callable[[SectionInfo, int, random.Random], Item]
    kind = section.pane
    if kind == "inbox":  # the Inbox's sources: notifications and Jira issues, Slack mentions
        kind = "messages" if section.service == "slack" else "issues"
    make = {"prs": _pr, "issues": _issue, "messages": _message}[kind]  # type: ignore[assignment]
    return tuple(make(section, i, rng) for i in range(count))


def _pr(section: SectionInfo, i: int, rng: random.Random) -> PullRequest:
    repo = rng.choice(("zen/tui", "zen/gateway", "acme/api"))
    n = 100 + i
    return PullRequest(
        id=f"{section.account}:{repo}#{n}",
        account=section.account,
        service="github",
        key=f"{repo}#{n}",
        title=_title(rng),
        url=f"https://github.com/{repo}/pull/{n}",
        updated_at=_iso(rng),
        repo=repo,
        number=n,
        author=rng.choice(_PEOPLE),
        draft=rng.random() < 0.1,
        review_decision=rng.choice(("approved", "review_required", "changes_requested", None)),
        check_status=rng.choice(("success", "failure", "pending")),
        mergeable=rng.choice((True, False, None)),
        labels=tuple(rng.sample(("bug", "ux", "perf", "docs"), rng.randint(0, 2))),
        body=f"This PR {_title(rng).lower()}.",
    )


def _issue(section: SectionInfo, i: int, rng: random.Random) -> Issue:
    if section.service == "jira":
        key = f"ZEN-{200 + i}"
        return Issue(
            id=f"{section.account}:{key}",
            account=section.account,
            service="jira",
            key=key,
            title=_title(rng),
            url=f"https://zen.atlassian.net/browse/{key}",
            updated_at=_iso(rng),
            status=rng.choice(("To Do", "In Progress", "In Review")),
            assignee=rng.choice((*_PEOPLE, None)),
            priority=rng.choice(("High", "Medium", "Low")),
            project="ZEN",
            body=f"As a user I want to {_title(rng).lower()}.",
        )
    repo = rng.choice(("zen/tui", "zen/gateway"))
    n = 500 + i
    return Issue(
        id=f"{section.account}:{repo}#{n}",
        account=section.account,
        service="github",
        key=f"{repo}#{n}",
        title=_title(rng),
        url=f"https://github.com/{repo}/issues/{n}",
        updated_at=_iso(rng),
        status="open",
        assignee=rng.choice((*_PEOPLE, None)),
        labels=tuple(rng.sample(("bug", "ux", "perf", "docs"), rng.randint(0, 2))),
        repo=repo,
        number=n,
        body=f"Steps: {_title(rng).lower()}.",
    )


def _message(section: SectionInfo, i: int, rng: random.Random) -> Message:
    ts = f"{1_767_000_000 + i * 37}.{i:06d}"
    channel = section.title if section.title.startswith("#") else "#dev"
    text = _title(rng)
    return Message(
        id=f"{section.account}:C0DEV:{ts}",
        account=section.account,
        service="slack",
        key=f"C0DEV:{ts}",
        title=text,
        url=f"https://zen.slack.com/archives/C0DEV/p{ts.replace('.', '')}",
        updated_at=_iso(rng),
        channel=channel,
        channel_id="C0DEV",
        author=rng.choice(_PEOPLE),
        text=text,
        ts=ts,
        reply_count=rng.randint(0, 4),
        reactions=(Reaction("eyes", rng.randint(1, 3)),) if rng.random() < 0.3 else (),
        mentions_me=section.title == "Mentions",
    )


class FakeBackend:
    """Implements `zen_tui.sync.backend.Backend` in memory. See the module docstring."""

    def __init__(
        self,
        sections: Iterable[SectionInfo] = DEFAULT_SECTIONS,
        *,
        items_per_section: int = 12,
        seed: int = 0,
        now: float = FROZEN_NOW,
        local_age: float = 3 * 3600.0,
        fail_kinds: Iterable[str] = (),
        auto_complete: bool = True,
    ) -> None:
        self.bus = EventBus()
        self._sections = list(sections)
        self.accounts: list[AccountConfig] = []  # none configured: the login screen offers defaults
        self.now = now
        self.local_age = local_age
        self.fail_kinds = set(fail_kinds)  # action kinds that fail when submitted
        self.auto_complete = auto_complete  # publish done/failed right after pending
        self.items = {s.id: make_items(s, items_per_section, seed) for s in self._sections}
        self.submitted: list[list[Action]] = []
        self.chains: list[list[Action]] = []
        self.links_made: list[tuple[str, str, str]] = []  # (source, target, kind)
        self.refuse_queries: dict[str, str] = {}  # word -> the error set_query raises
        self.queries: list[tuple[str, str]] = []  # (section id, query) taken by set_query
        self.refreshed: list[str | None] = []
        self.reconnected: list[str] = []  # accounts rebuilt after a login, in order
        self.new_logins: list[bool] = []  # reconnect's new_login, beside each of those
        self.paused = False
        self.focus: str | None = None
        self.focus_more: tuple[str, ...] = ()  # the other sections on screen (the Inbox's All)
        self.started = False
        # repository ('acme/api') -> the merge methods it allows; one not listed allows
        # merge commits only (so `m` asks its old "Really merge …?"); merge_reads: asked of.
        self.merge_settings: dict[str, MergeMethods] = {}
        self.merge_reads: list[str] = []
        self._next_id = 0
        self._outbox: dict[str, tuple[str, ActionState]] = {}  # action id -> account, state
        self._health = {svc: self._default_health(svc) for svc in _SERVICES}
        # The outbox view's entries: a real store's outbox when a test gives one (no
        # sender: its entries stay as the test put them), else none.
        self.outbox_store: Store | None = None

    # --- the Backend protocol -------------------------------------------------------------

    @property
    def sections(self) -> list[SectionInfo]:
        return list(self._sections)

    def take_recovery_notices(self) -> list[str]:
        return take_recovery_messages()  # as the engine: the store's own notices

    def load_local(self) -> dict[str, Snapshot]:
        fresh = Freshness(FreshnessState.LOCAL, self.now - self.local_age, "loaded from disk")
        return {sid: Snapshot(items, fresh) for sid, items in self.items.items()}

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def refresh(self, section_id: str | None = None) -> None:
        self.refreshed.append(section_id)

    async def reconnect(self, account: str, *, new_login: bool = False) -> None:
        self.reconnected.append(account)
        self.new_logins.append(new_login)

    def set_focus(self, section_id: str | None, *more: str) -> None:
        self.focus = section_id
        self.focus_more = more

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        for s in self._sections:
            self.bus.publish(
                PollerChanged(
                    service=s.service,
                    account=s.account,
                    section_id=s.id,
                    paused=paused,
                    interval=60.0,
                    at=self.now,
                )
            )

    async def submit(self, actions: list[Action]) -> list[str]:
        self.submitted.append(list(actions))
        ids = [f"a{self._next_id + n + 1}" for n in range(len(actions))]
        self._next_id += len(actions)
        for action_id, action in zip(ids, actions, strict=True):
            self._action_event(action_id, action, ActionState.PENDING)
        if self.auto_complete:
            for action_id, action in zip(ids, actions, strict=True):
                self.complete(action_id, action)
        return ids

    async def submit_chain(self, steps: list[tuple[Action, str | None]]) -> list[str]:
        """Each step as a submit of its own; a step with a link target links its item to a
        made-up created key (`created:N`), as the outbox records what a step created."""
        ids: list[str] = []
        for action, link_from in steps:
            ids += await self.submit([action])
            if link_from is not None:
                target = f"{action.account}:created:{len(self.links_made) + 1}"
                self.links_made.append((link_from, target, action.kind))
                self.bus.publish(
                    LinkAdded(service="", account=action.account, source=link_from, target=target)
                )
        self.chains.append([a for a, _ in steps])
        return ids

    def links(self, item_ids: Iterable[str] | None = None) -> dict[str, list[Link]]:
        out: dict[str, list[Link]] = {}
        for source, target, kind in self.links_made:
            out.setdefault(source, []).append(Link(target, f"https://x/{target}", kind, True))
            out.setdefault(target, []).append(Link(source, "", kind, False))
        wanted = None if item_ids is None else set(item_ids)
        return {k: v for k, v in out.items() if wanted is None or k in wanted}

    async def permalink(self, message: Message) -> str:
        return f"https://fake.slack.com/archives/{message.channel_id}/p{message.ts}"

    async def share_targets(self, account: str) -> list[tuple[str, str]]:
        return [("C1", "#dev"), ("C2", "#ops"), ("D1", "@ada")]

    async def merge_methods(self, item: Item) -> MergeMethods:
        repo = item.key.rpartition("#")[0]
        self.merge_reads.append(repo)
        return self.merge_settings.get(repo, MergeMethods(("merge",)))

    async def diff(self, item: Item, *, revalidate: bool = False) -> PullDiff:
        patch = "@@ -1,2 +1,2 @@\n-old line\n+new line\n context"
        return PullDiff(item.id, (FileDiff("src/app.py", "modified", 1, 1, patch),), 1)

    def connected(self, account: str | None = None) -> bool:
        return True

    def connection(self, account: str) -> AccountConnection:
        service = next((a.service for a in self.accounts if a.name == account), "")
        return AccountConnection(service=service, account=account, state="connected")

    async def service_client(self, account: str) -> Any:
        return None  # no services behind the fake: Jira forms say so

    async def read_current(self, account: str, read: Callable[[Any], Awaitable[T]]) -> T:
        return await read(await self.service_client(account))

    def full_item(self, item: Item) -> Item:
        return item  # the fake's rows keep their bodies

    async def details(self, item: Item) -> ItemDetail:
        if isinstance(item, PullRequest):
            return ItemDetail(
                item.id,
                body=body_of(item),
                checks=(("build", item.check_status or "pending"), ("lint", "success")),
                reviews=(("grace", "APPROVED"), ("ken", "COMMENTED")),
                comments=(("linus", "Looks good, one nit."),),
                extra={"mergeable": str(item.mergeable).lower()},
            )
        if isinstance(item, Issue):
            transitions = ("To Do", "In Progress", "Done") if item.service == "jira" else ()
            return ItemDetail(
                item.id,
                body=body_of(item),
                comments=(("ada", "I can reproduce this."),),
                transitions=transitions,
                extra={"assignee": item.assignee or "unassigned"},
            )
        return ItemDetail(
            item.id,
            body=item.text,
            comments=(("grace", "On it."), ("ken", "Thanks!"))[: max(item.reply_count, 1)],
        )

    def health(self) -> list[AccountHealth]:
        return list(self._health.values())

    def outbox_entries(self) -> list[OutboxEntry]:
        return [] if self.outbox_store is None else outbox_words.listed(self.outbox_store)

    # Off the event loop, as the engine writes them (SyncEngine._outbox_write).

    async def outbox_retry(self, entry_id: str) -> Said:
        assert self.outbox_store is not None, "the view lists no entry without a store"
        return await asyncio.to_thread(outbox_words.retry, self.outbox_store, entry_id)

    async def outbox_clear(self, entry: OutboxEntry) -> Said:
        assert self.outbox_store is not None, "the view lists no entry without a store"
        return await asyncio.to_thread(outbox_words.clear, self.outbox_store, entry)

    async def outbox_cancel(self, entry: OutboxEntry, where: Where) -> Said:
        assert self.outbox_store is not None, "the view lists no entry without a store"
        services = outbox_words.servers({s.account: s.service for s in self._sections})
        cancel = outbox_words.cancel
        return await asyncio.to_thread(cancel, self.outbox_store, entry, services, where)

    async def set_query(self, section_id: str, query: str) -> SectionInfo:
        """A query containing a word of `refuse_queries` is refused as a server would."""
        bad = next((w for w in self.refuse_queries if w in query), None)
        if bad is not None:
            raise QueryRejected(f"refused the query: {self.refuse_queries[bad]}")
        section = replace(next(s for s in self._sections if s.id == section_id), query=query)
        self._sections = [section if s.id == section_id else s for s in self._sections]
        self.queries.append((section_id, query))
        return section

    # --- scripting helpers for tests and screenshots --------------------------------------

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

    def complete(self, action_id: str, action: Action) -> None:
        """Publish the outcome of one submitted action (done, or failed if its kind fails)."""
        if action.kind in self.fail_kinds:
            self._action_event(action_id, action, ActionState.FAILED, "422 Validation Failed")
        else:
            self._action_event(action_id, action, ActionState.DONE)

    def go_live(self, traffic: bool = True) -> None:
        """Every section live; some healthy traffic on every service."""
        for s in self._sections:
            snap = Snapshot(self.items[s.id], Freshness(FreshnessState.LIVE, self.now))
            self.bus.publish(self._section_event(s, snap))
        if traffic:
            self._traffic()

    def go_read_only(
        self,
        title: str = "#incidents",
        why: str | None = "#incidents archived in Slack: read-only, no new messages",
    ) -> None:
        """The section titled `title` live with its rows, its source taking no writes for
        `why` (a Slack channel archived); None: writable again."""
        s = next(s for s in self._sections if s.title == title)
        fresh = Freshness(FreshnessState.LIVE, self.now, read_only=why)
        self.bus.publish(self._section_event(s, Snapshot(self.items[s.id], fresh)))

    def go_left(self, title: str, left_out: str | None, why: str | None) -> None:
        """The section titled `title` read live, with its rows, as the engine says it when one
        of its Slack channels was left (`left_out`, "#dev left"; `why`: Slack's code and its
        fix); None: nothing left out."""
        from zen_tui.sync import freshness

        s = next(s for s in self._sections if s.title == title)
        self.bus.publish(
            self._section_event(s, freshness.live(self.items[s.id], self.now, why, None, left_out))
        )

    def go_degraded(self, services: Iterable[str] = ("github", "jira")) -> None:
        """Breakers open on `services`: their sections fall back to cached data with a reason."""
        down = set(services)
        for svc in down:
            self.bus.publish(
                BreakerChanged(
                    service=svc,
                    account=self._account(svc),
                    name=svc,
                    old="closed",
                    new="open",
                    half_open_at=self.now + 30,
                    at=self.now,
                )
            )
            self.bus.publish(
                RequestDone(
                    service=svc,
                    account=self._account(svc),
                    method="GET",
                    endpoint=self._endpoint(svc),
                    status=503,
                    latency=2.5,
                    cache="stale",
                    attempts=3,
                    error="503 Service Unavailable after 3 attempts",
                    at=self.now,
                )
            )
        for s in self._sections:
            if s.service in down:
                reason = f"{s.service} breaker open until 00:00:30"
                fresh = Freshness(FreshnessState.CACHED, self.now - 120, reason)
                self.bus.publish(self._section_event(s, Snapshot(self.items[s.id], fresh)))

    def go_offline(self) -> None:
        """No network: everything served from the local store, one section empty."""
        for i, s in enumerate(self._sections):
            if i == len(self._sections) - 1:
                snap = Snapshot.empty("offline: nothing stored yet for this section")
            else:
                fresh = Freshness(FreshnessState.LOCAL, self.now - self.local_age, "offline")
                snap = Snapshot(self.items[s.id], fresh)
            self.bus.publish(self._section_event(s, snap))

    def recover(self) -> None:
        """Breakers close again and every section is live."""
        for svc in _SERVICES:
            self.bus.publish(
                BreakerChanged(
                    service=svc,
                    account=self._account(svc),
                    name=svc,
                    old="half-open",
                    new="closed",
                    at=self.now,
                )
            )
        self.go_live(traffic=False)

    def set_items(self, section_id: str, items: tuple[Item, ...]) -> None:
        self.items[section_id] = items

    # --- internals ------------------------------------------------------------------------

    def _account(self, service: str) -> str:
        return next((s.account for s in self._sections if s.service == service), service)

    @staticmethod
    def _endpoint(service: str) -> str:
        return {
            "github": "/repos/{owner}/{repo}/pulls",
            "jira": "/rest/api/3/search/jql",
            "slack": "/api/conversations.history",
        }.get(service, "/")

    def _section_event(self, s: SectionInfo, snap: Snapshot) -> SectionUpdated:
        return SectionUpdated(
            service=s.service, account=s.account, section_id=s.id, snapshot=snap, at=self.now
        )

    def _action_event(
        self, action_id: str, action: Action, state: ActionState, reason: str | None = None
    ) -> None:
        service = action.item_id and self._service_of(action.item_id)
        self.bus.publish(
            ActionUpdated(
                service=service,
                account=action.account,
                action_id=action_id,
                item_id=action.item_id,
                kind=action.kind,
                state=state,
                reason=reason,
                at=self.now,
            )
        )
        self._count_outbox(action_id, action.account, service, state)

    def _count_outbox(self, action_id: str, account: str, service: str, state: ActionState) -> None:
        """As the engine: the account's outbox figures after each change (OutboxCounted)."""
        self._outbox[action_id] = (account, state)
        mine = [s for a, s in self._outbox.values() if a == account]
        waiting = (ActionState.PENDING, ActionState.UNKNOWN, ActionState.SENDING)
        self.bus.publish(
            OutboxCounted(
                service=service,
                account=account,
                pending=sum(1 for s in mine if s in waiting),
                failed=mine.count(ActionState.FAILED),
                at=self.now,
            )
        )

    def _service_of(self, item_id: str) -> str:
        for items in self.items.values():
            for item in items:
                if item.id == item_id:
                    return item.service
        return "github"

    def _traffic(self) -> None:
        rng = random.Random(7)
        for i in range(40):
            svc = _SERVICES[i % 3]
            at = self.now - 40 + i
            self.bus.publish(
                RequestDone(
                    service=svc,
                    account=self._account(svc),
                    method="GET",
                    endpoint=self._endpoint(svc),
                    status=200 if i % 5 else 304,
                    latency=round(0.05 + rng.random() * 0.3, 3),
                    cache="revalidated" if i % 5 == 0 else ("hit" if i % 3 == 0 else "miss"),
                    attempts=1,
                    at=at,
                )
            )
        self.bus.publish(
            RetryScheduled(
                service="jira",
                account=self._account("jira"),
                method="GET",
                endpoint=self._endpoint("jira"),
                attempt=1,
                wait=1.5,
                reason="503",
                at=self.now,
            )
        )
        self.bus.publish(
            QuotaUpdated(
                service="github",
                account=self._account("github"),
                scope="core",
                tokens=812,
                capacity=900,
                limit=5000,
                remaining=4321,
                reset_at=self.now + 1800,
                at=self.now,
            )
        )

    def _default_health(self, service: str) -> AccountHealth:
        capacity = {"github": 900.0, "jira": 100.0, "slack": 50.0}[service]
        return AccountHealth(
            account=self._account(service),
            service=service,
            breaker="closed",
            half_open_at=None,
            tokens=capacity,
            capacity=capacity,
            remaining=None,
            reset_at=None,
            retries=0,
            cache_hits=0,
            cache_misses=0,
            revalidations=0,
            outbox_pending=0,
            outbox_failed=0,
        )


def with_health(backend: FakeBackend, service: str, **changes: object) -> None:
    """Change the AccountHealth the fake reports for `service` (for start-up state tests)."""
    backend._health[service] = replace(backend._health[service], **changes)
