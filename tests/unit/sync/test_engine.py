"""SyncEngine with a fake client and gateway over a real in-memory store."""

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.settings import engine_settings
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.gateway.events import EventBus
from zen_tui.models import (
    CacheOutcome,
    Cause,
    FetchResult,
    Freshness,
    FreshnessState,
    Issue,
    SectionInfo,
    as_row,
)
from zen_tui.store import Store
from zen_tui.sync.backend import SectionUpdated
from zen_tui.sync.engine import FULL_EVERY, SyncEngine
from zen_tui.sync.wired import Wired

SECTION = SectionInfo(id="issues:0:j", pane="issues", title="Mine", account="j", service="jira")


def issue(n: int, updated: str = "2026-01-01T00:00:00Z", title: str = "t") -> Issue:
    return Issue(
        id=f"j:P-{n}",
        account="j",
        service="jira",
        key=f"P-{n}",
        title=title,
        url="u",
        updated_at=updated,
    )


def Result(
    items: list, fetched_at: float, cache: CacheOutcome = "miss", **fields: Any
) -> FetchResult:
    """A client's answer, its cache outcome a miss unless said."""
    return FetchResult(list(items), fetched_at, cache, **fields)


@dataclass
class FakeClient:
    service: str = "jira"
    answers: list = field(default_factory=list)
    cursors: list = field(default_factory=list)
    revalidated: list = field(default_factory=list)

    def keep_resolved(self, sink) -> None:
        """Resolves nothing before a write: nothing to keep."""

    def might_list(self, query, item) -> bool:
        return True  # any query might list any item (as BaseClient says)

    def thread_replies(self, event, payload) -> list:
        return []  # no threads (as BaseClient says)

    def state_from_webhook(self, event, payload) -> None:
        return None  # no state of its own in webhooks (as BaseClient says)

    async def fetch_section(
        self, section, *, limit=100, cursor=None, interactive=False, revalidate=False
    ):
        self.cursors.append(cursor)
        self.revalidated.append(revalidate)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeGateway:
    def __init__(self, service: str = "jira") -> None:
        self.service = service

    async def login(self) -> str | None:  # one user throughout: nothing is ever held
        return "one-user"

    def health(self):
        from types import SimpleNamespace

        return SimpleNamespace(
            buckets={},
            breaker="closed",
            half_open_at=None,
            service=self.service,
            retries_total=0,
            cache_hits=0,
            cache_misses=0,
            revalidations=0,
            requests=0,
            errors=0,
            stale_served=0,
            deprecations=[],
        )

    async def aclose(self):
        pass


def engine(store: Store, client: FakeClient) -> SyncEngine:
    settings = engine_settings()
    wired = Wired(
        settings,
        store,
        EventBus(),
        FakeClock(),
        {"j": FakeGateway()},  # type: ignore[arg-type]
        {"j": client},
        [SECTION],
        {SECTION.id: 100},
    )
    return SyncEngine(wired)


async def poll(eng: SyncEngine) -> None:
    """A scheduled poll (not the user's refresh, which re-runs the query in full)."""
    await eng.pollers[SECTION.id].poll_now(interactive=False)


async def test_delta_polls_merge_into_the_store_and_full_listings_come_back():
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1), issue(2)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [Result([issue(2, "2026-02-01T00:00:00Z", "new")], 20.0, cursor="c2")]
    await poll(eng)
    snap = eng.snapshot(SECTION.id)
    assert client.cursors == [None, "c1"]
    assert [i.title for i in snap.items] == ["new", "t"] and len(snap.items) == 2
    assert [i.id for i in store.load_section(SECTION.id)[0]] == ["j:P-2", "j:P-1"]
    for _ in range(FULL_EVERY - 2):
        client.answers = [Result([issue(1)], 30.0, cursor="c2")]
        await poll(eng)
    client.answers = [Result([issue(1)], 40.0, cursor="c3")]
    await poll(eng)  # the 10th poll lists in full: P-2 has left the section
    assert client.cursors[-1] is None
    assert [i.id for i in eng.snapshot(SECTION.id).items] == ["j:P-1"]


async def test_restart_asks_jira_only_for_changes_since_the_stored_cursor():
    store = Store.open(":memory:")
    first = FakeClient(answers=[Result([issue(1)], 10.0, cursor="c1")])
    await poll(engine(store, first))
    second = FakeClient(answers=[Result([issue(3)], 20.0, cursor="c2")])
    eng = engine(store, second)
    assert eng.load_local()[SECTION.id].freshness.state is FreshnessState.LOCAL
    await poll(eng)
    assert second.cursors == ["c1"]
    assert {i.id for i in eng.snapshot(SECTION.id).items} == {"j:P-1", "j:P-3"}


async def test_errors_degrade_to_memory_then_store_and_publish_the_change():
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0)])
    eng = engine(store, client)
    updates = []
    eng.bus.subscribe(lambda e: updates.append(e) if isinstance(e, SectionUpdated) else None)
    await poll(eng)
    client.answers = [CircuitOpen(service="jira", account="j", retry_at=2_000_000_000)]
    await poll(eng)
    snap = eng.snapshot(SECTION.id)
    assert snap.freshness.state is FreshnessState.CACHED and "breaker open" in snap.freshness.reason
    assert snap.items == (as_row(issue(1)),) and len(updates) == 2

    other = FakeClient(answers=[CircuitOpen(service="jira", account="j")])
    eng2 = engine(store, other)
    await poll(eng2)
    assert eng2.snapshot(SECTION.id).freshness.state is FreshnessState.LOCAL


async def test_a_delivery_to_a_section_its_poll_could_not_read_keeps_it_stale():
    # Seen in the demo: Slack down, a colleague's reply delivered by webhook, and Mentions
    # said "live" (age 0) for a minute over a listing its last poll never refreshed.
    client = FakeClient(answers=[Result([issue(1), issue(2)], 10.0)])
    eng = engine(Store.open(":memory:"), client)
    await poll(eng)
    client.answers = [CircuitOpen(service="jira", account="j", retry_at=2_000_000_000)]
    await poll(eng)
    down = eng.snapshot(SECTION.id)
    eng.apply_items(SECTION.id, [issue(1, "2026-02-01T00:00:00Z", "webhook")])
    shown = eng.snapshot(SECTION.id)
    assert [i.title for i in shown.items] == ["webhook", "t"]  # the change is shown
    assert shown.freshness == down.freshness  # CACHED since 10.0, breaker open: as before
    client.answers = [Result([issue(1, "2026-02-01T00:00:00Z", "webhook")], 20.0)]
    await poll(eng)
    eng.apply_items(SECTION.id, [issue(2, "2026-02-02T00:00:00Z", "again")])
    assert eng.snapshot(SECTION.id).freshness.state is FreshnessState.LIVE  # live stays live


async def test_stale_gateway_copy_is_cached_not_written_back():
    store = Store.open(":memory:")
    err = CircuitOpen(service="jira", account="j")
    client = FakeClient(answers=[Result([issue(9)], 5.0, cache="stale", stale_error=err)])
    eng = engine(store, client)
    await poll(eng)
    assert eng.snapshot(SECTION.id).freshness.state is FreshnessState.CACHED
    assert store.load_section(SECTION.id) == ([], None)


async def test_a_listing_the_cache_answered_is_as_old_as_its_answer_not_live():
    """Within the listing's TTL the gateway answers from its cache, the server not asked:
    the section is `cached`, as old as that answer (not `live` as of now), typed as no
    failure; its rows are stored, with no reason for `list` to show. A 304 is live."""
    from zen_tui.commands.list_items import stored_freshness

    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 100.0, cache="miss")])
    eng = engine(store, client)
    await poll(eng)
    assert eng.snapshot(SECTION.id).freshness == Freshness(FreshnessState.LIVE, 100.0)
    client.answers = [Result([issue(1), issue(2)], 100.0, cache="hit")]  # fetched back then
    await poll(eng)
    shown = eng.snapshot(SECTION.id)
    fresh = shown.freshness
    assert (fresh.state, fresh.fetched_at, fresh.cause) == (
        FreshnessState.CACHED,
        100.0,
        Cause.CACHE_HIT,
    )
    assert fresh.answered and fresh.reason == (
        "from the gateway's cache, kept 30s: the server is asked again after that"
    )
    assert fresh.badge(112.0) == "cached 12s"
    assert [i.id for i in shown.items] == ["j:P-1", "j:P-2"]
    assert store.load_section(SECTION.id)[1] == 100.0  # stored, no newer than the answer
    assert stored_freshness(store, SECTION.id).reason == "from the local store"  # no failure
    client.answers = [Result([issue(1), issue(2)], 130.0, cache="revalidated")]  # a 304
    await poll(eng)
    assert eng.snapshot(SECTION.id).freshness == Freshness(FreshnessState.LIVE, 130.0)


async def test_a_cached_listing_older_than_the_sections_age_keeps_the_age():
    """Freshness never goes back: the cache's copy of an answer from before the section's
    last confirmation (a full listing another process stored since) keeps that age."""
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 100.0)])
    eng = engine(store, client)
    await poll(eng)
    store.save_section(SECTION.id, [issue(1)], 150.0)  # another process listed it later
    client.answers = [Result([issue(1)], 100.0, cache="hit")]
    await poll(eng)
    fresh = eng.snapshot(SECTION.id).freshness
    assert (fresh.state, fresh.cause, fresh.fetched_at) == (
        FreshnessState.CACHED,
        Cause.CACHE_HIT,
        150.0,
    )


async def test_an_applied_action_refreshes_the_sections_showing_the_item():
    from zen_tui.models import Action

    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0), Result([issue(1, title="x")], 11.0)])

    async def apply(action, *, idempotency_key):
        from .fakes import Result as Applied

        return Applied(True)

    client.apply = apply
    eng = engine(store, client)
    await poll(eng)
    eng._started = True  # as after start(), without the background pollers
    await eng.submit([Action("assign", "j:P-1", "j")])  # started: the replayer would send it
    await eng.outbox.replay()
    assert eng._refresher is not None
    await eng._refresher
    assert len(client.cursors) == 2 and eng.snapshot(SECTION.id).items[0].title == "x"


async def test_a_stale_delta_answer_still_shows_the_whole_section():
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1), issue(2)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    err = CircuitOpen(service="jira", account="j")
    client.answers = [Result([], 10.0, cache="stale", stale_error=err, cursor="c1")]
    await poll(eng)  # the gateway's stale copy of the (empty) delta answer
    snap = eng.snapshot(SECTION.id)
    assert snap.freshness.state is FreshnessState.CACHED
    assert {i.id for i in snap.items} == {"j:P-1", "j:P-2"}


async def test_a_killed_poller_is_restarted_and_the_section_says_so_meanwhile():
    import asyncio

    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0), Result([issue(1), issue(2)], 20.0)])
    eng = engine(store, client)
    seen: list[SectionUpdated] = []
    changed = asyncio.Event()

    def on_update(event: object) -> None:
        if isinstance(event, SectionUpdated):
            seen.append(event)
            changed.set()

    eng.bus.subscribe(on_update)

    async def next_update() -> SectionUpdated:
        changed.clear()
        await changed.wait()
        return seen[-1]

    await eng.start()
    first = await next_update()
    assert first.snapshot.freshness.state is FreshnessState.LIVE
    eng._supervisor.tasks[SECTION.id].cancel()  # the poller's task dies; nobody stopped the engine
    down = (await next_update()).snapshot
    assert down.freshness.state is FreshnessState.CACHED
    assert down.freshness.reason == "polling stopped (cancelled); restarting in 1s"
    assert down.items == (as_row(issue(1)),)  # what it showed, with its age
    back = (await next_update()).snapshot  # the restarted poller polls again
    assert back.freshness.state is FreshnessState.LIVE
    assert {i.id for i in back.items} == {"j:P-1", "j:P-2"}
    await eng.stop()


@dataclass
class QueryClient(FakeClient):
    asked: list = field(default_factory=list)  # (query, limit, cursor) per fetch

    async def fetch_section(
        self, section, *, limit=100, cursor=None, interactive=False, revalidate=False
    ):
        self.asked.append((section.query, limit, cursor))
        return await super().fetch_section(
            section, limit=limit, cursor=cursor, interactive=interactive, revalidate=revalidate
        )


async def test_set_query_checks_with_the_server_then_lists_the_new_query_in_full():
    import pytest

    from zen_tui.gateway.errors import ApiError, Unavailable
    from zen_tui.sync.backend import QueryRejected

    store = Store.open(":memory:")
    client = QueryClient(answers=[Result([issue(1), issue(2)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    refused = ApiError(service="jira", account="j", status=400, message="Error in the JQL Query")
    client.answers = [refused, Unavailable(service="jira", account="j")]
    with pytest.raises(QueryRejected, match="jira refused the query: 400 Error in the JQL Query"):
        await eng.set_query(SECTION.id, "status = = Done")
    with pytest.raises(QueryRejected, match="could not check the query"):
        await eng.set_query(SECTION.id, "status = Done")
    assert eng.sections[0].query == "" and eng.pollers[SECTION.id].section.query == ""
    assert {i.id for i in store.load_section(SECTION.id)[0]} == {"j:P-1", "j:P-2"}

    client.answers = [Result([issue(3)], 20.0), Result([issue(3), issue(4)], 21.0, cursor="c9")]
    section = await eng.set_query(SECTION.id, " status = Done ")
    assert section.query == "status = Done" == eng.sections[0].query
    assert client.asked[-2:] == [("status = Done", 1, None), ("status = Done", 100, None)]
    assert {i.id for i in eng.snapshot(SECTION.id).items} == {"j:P-3", "j:P-4"}
    assert {i.id for i in store.load_section(SECTION.id)[0]} == {"j:P-3", "j:P-4"}
    client.answers = [Result([], 30.0, cursor="c9")]
    await poll(eng)  # the pollers go on with the new query
    assert client.asked[-1][0] == "status = Done"


async def test_only_malformed_items_fail_a_full_listing_not_a_delta():
    """A full listing whose every item was malformed would empty the section as `live`: it
    fails instead. A delta poll removes nothing, so an empty one is harmless; failing it
    kept the section `cached` at every delta while the one malformed issue stayed newest."""
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1), issue(2)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [Result([], 20.0, skipped=1)]  # the delta's one item was malformed
    await poll(eng)
    snap = eng.snapshot(SECTION.id)
    assert client.cursors == [None, "c1"]
    assert snap.freshness.state is FreshnessState.LIVE and len(snap.items) == 2
    client.answers = [Result([], 30.0, skipped=2)]
    await eng.refresh(SECTION.id)  # the user's refresh: in full
    snap = eng.snapshot(SECTION.id)
    assert client.cursors[-1] is None
    assert snap.freshness.state is not FreshnessState.LIVE and len(snap.items) == 2
    assert "all 2 items the server sent were malformed" in (snap.freshness.reason or "")
