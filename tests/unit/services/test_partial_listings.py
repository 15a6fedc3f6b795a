"""A listing that did not read the whole query says so (`partial`), for each kind of paging:
GitHub Link pages and its search timing out (`incomplete_results`), Jira nextPageToken,
Slack cursors and channels. The engine then keeps the rows it did not see (tests/unit/sync/
test_partial_lists.py); a listing cut by the limit is not partial: it is the window asked for.
Each row is as old as the page it came on (the section at the end)."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from tests.fakes.settings import engine_settings
from tests.unit.sync.test_engine import SECTION, FakeClient, FakeGateway, Result, engine, issue
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.errors import GatewayError, IncompleteResults
from zen_tui.gateway.events import EventBus
from zen_tui.models import FetchResult, SectionInfo
from zen_tui.services.github import GitHubClient
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wired import Wired

from .conftest import BASES, load, section
from .test_jira import API as JIRA_API
from .test_jira import issue as jira_issue

GH = BASES["github"]
SLACK = BASES["slack"]


def gh_row(n: int) -> dict:
    return {
        "number": n,
        "title": f"issue {n}",
        "state": "open",
        "updated_at": f"2026-01-01T00:00:{n:02d}Z",
        "html_url": f"https://github.com/o/r/issues/{n}",
        "repository_url": f"{GH}/repos/o/r",
        "user": {"login": "ann"},
        "labels": [],
    }


def search_page(rows: list[int], *, incomplete: bool = False, next_page: int | None = None):
    body = {"total_count": 9, "incomplete_results": incomplete, "items": [gh_row(n) for n in rows]}
    headers = {}
    if next_page is not None:
        headers["link"] = f'<{GH}/search/issues?q=x&page={next_page}>; rel="next"'
    return httpx.Response(200, json=body, headers=headers)


ISSUES = section("github", "is:open", pane="issues")


async def test_github_a_failed_second_page_makes_the_listing_partial(gh, router) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(503, json={"message": "unavailable"})
        return search_page([3, 2], next_page=2)

    router.get(f"{GH}/search/issues").mock(side_effect=answer)
    result = await gh.fetch_section(ISSUES)
    assert [i.key for i in result.items] == ["o/r#3", "o/r#2"]  # what came is kept
    assert result.partial and not result.complete
    assert "503" in str(result.stale_error)


async def test_github_incomplete_results_make_the_listing_partial(gh, router) -> None:
    router.get(f"{GH}/search/issues").mock(return_value=search_page([3], incomplete=True))
    result = await gh.fetch_section(ISSUES)
    assert result.partial and not result.complete
    assert isinstance(result.stale_error, IncompleteResults)
    assert "GitHub search timed out" in str(result.stale_error)


async def test_github_a_listing_cut_by_the_limit_is_not_partial(gh, router) -> None:
    router.get(f"{GH}/search/issues").mock(return_value=search_page([3, 2, 1], next_page=2))
    result = await gh.fetch_section(ISSUES, limit=3)
    assert not result.complete and not result.partial and result.stale_error is None


async def test_github_search_timing_out_on_the_simulator_is_partial(sim, sim_client) -> None:
    gh = sim_client("github")
    whole = await gh.fetch_section(ISSUES, limit=1000)
    assert not whole.partial
    sim.world.services["github"].search_incomplete_rate = 1.0
    try:
        cut = await gh.fetch_section(ISSUES, limit=1000, revalidate=True)
    finally:
        sim.world.services["github"].search_incomplete_rate = 0.0
    assert cut.partial and isinstance(cut.stale_error, IncompleteResults)
    assert {i.id for i in cut.items} < {i.id for i in whole.items}


def jira_later_pages_fail(router, status: int, says: str) -> None:
    """/search/jql answers its first page (A-1, a next page token); a page asked for with the
    token is `status`, saying `says`."""

    def answer(request: httpx.Request) -> httpx.Response:
        if b"nextPageToken" in request.content:
            return httpx.Response(status, json={"errorMessages": [says]})
        body = {"issues": [jira_issue("A-1")], "nextPageToken": "t2", "isLast": False}
        return httpx.Response(200, json=body)

    router.post(f"{JIRA_API}/search/jql").mock(side_effect=answer)


async def test_jira_a_failed_next_page_token_page_makes_the_listing_partial(jira, router) -> None:
    jira_later_pages_fail(router, 503, "down")
    result = await jira.fetch_section(section("jira", "project = A", pane="issues"))
    assert [i.key for i in result.items] == ["A-1"]
    assert result.partial and "503" in str(result.stale_error)


async def test_jira_a_listing_cut_by_the_limit_is_not_partial(jira, router) -> None:
    body = {"issues": [jira_issue("A-1"), jira_issue("A-2")], "nextPageToken": "t2"}
    router.post(f"{JIRA_API}/search/jql").respond(200, json={**body, "isLast": False})
    result = await jira.fetch_section(section("jira", "project = A", pane="issues"), limit=2)
    assert not result.complete and not result.partial


@pytest.fixture
def basics(router, contracts):
    router.get(f"{SLACK}/auth.test").respond(
        200, json={"ok": True, "user_id": "U012AB3CDE", "url": "https://team.slack.test/"}
    )
    channels = load(contracts, "slack-api-specs/examples/conversations.list.200.json")
    channels["response_metadata"]["next_cursor"] = ""
    router.get(f"{SLACK}/conversations.list").respond(200, json=channels)
    router.get(f"{SLACK}/users.info").respond(200, json={"ok": False, "error": "user_not_found"})


def history(ts: str, cursor: str = "") -> httpx.Response:
    body = {
        "ok": True,
        "messages": [{"ts": ts, "text": "m", "user": "W1"}],
        "response_metadata": {"next_cursor": cursor},
    }
    return httpx.Response(200, json=body)


async def test_slack_a_failed_cursor_page_makes_the_listing_partial(slack, router, basics):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "c2":
            return httpx.Response(200, json={"ok": False, "error": "internal_error"})
        return history("2.0", cursor="c2")

    router.get(f"{SLACK}/conversations.history").mock(side_effect=answer)
    result = await slack.fetch_section(section("slack", "#general", pane="messages"))
    assert [m.key for m in result.items] == ["C012AB3CD:2.0"]
    assert result.partial and "internal_error" in str(result.stale_error)


async def test_slack_a_failed_second_channel_makes_the_listing_partial(slack, router, basics):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("channel") == "C0456DEFGH":
            return httpx.Response(200, json={"ok": False, "error": "internal_error"})
        return history("2.0")

    router.get(f"{SLACK}/conversations.history").mock(side_effect=answer)
    result = await slack.fetch_section(section("slack", "C012AB3CD C0456DEFGH", pane="messages"))
    assert [m.key for m in result.items] == ["C012AB3CD:2.0"]
    assert result.partial


async def test_slack_a_history_cut_by_the_limit_is_not_partial(slack, router, basics):
    router.get(f"{SLACK}/conversations.history").mock(return_value=history("2.0", cursor="c2"))
    result = await slack.fetch_section(section("slack", "#general", pane="messages"), limit=1)
    assert not result.complete and not result.partial


# ---- Each row is as old as its page -------------------------------------------------------
# A later page that failed and was answered from the gateway's stale cache (or a page the
# cache answered within its TTL) is older than the first page; its rows were labelled with
# the first page's fetch time, so the store and the pane claimed them newer than they are.
# Seeded random rounds of page failures and clock steps over the real gateway (its retries,
# breaker and stale cache) and the GitHub client, then the engine and a real SQLite store: no
# row's fetch time, stored or shown, is later than the time its page's data was really
# fetched (the server's last answer for that page).

PAGES, ROWS = 4, 3  # rows per page: page p lists issues p*10 .. p*10+2


class Server:
    """GitHub search over PAGES pages; each round says which pages answer 503. Records when
    each page last answered 200: the real age of what a cached copy of it holds."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.failing: set[int] = set()
        self.answered: dict[int, list[float]] = {}  # page -> every time it answered 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        if page in self.failing:
            return httpx.Response(503, json={"message": "unavailable"})
        self.answered.setdefault(page, []).append(self.clock.time())
        rows = [gh_row(page * 10 + i) for i in range(ROWS)]
        headers = {}
        if page < PAGES:
            headers["link"] = f'<{GH}/search/issues?q=x&page={page + 1}>; rel="next"'
        body = {"total_count": PAGES * ROWS, "incomplete_results": False, "items": rows}
        return httpx.Response(200, json=body, headers=headers)

    def page_of(self, key: str) -> int:
        return int(key.rsplit("#", 1)[1]) // 10

    def round(self, rng: random.Random) -> None:
        self.clock.advance(rng.choice([1.0, 5.0, 20.0, 45.0, 300.0]))
        self.failing = {p for p in range(1, PAGES + 1) if rng.random() < 0.35}


@pytest.fixture
def server(router, clock: FakeClock) -> Server:
    answering = Server(clock)
    router.get(f"{GH}/search/issues").mock(side_effect=answering)
    return answering


def check_result(server: Server, result: FetchResult) -> None:
    """Every row's label is a time its page really answered, the latest it could be."""
    for item in result.items:
        page = server.page_of(item.key)
        at = result.fetched_at_of(item.id)
        assert at in server.answered[page], (item.key, at, server.answered[page])
        assert result.fetched_at <= at  # the listing is as old as its oldest page


async def test_a_listing_with_a_page_the_cache_answered_says_so(
    gh: GitHubClient, server: Server
) -> None:
    """Another query's first page, then the same next pages (their links name the same URLs),
    within the TTL: the first page is asked, the rest come from the cache. The listing is
    no more live than its oldest page (`hit`, as old as those), though its first was a miss."""
    await gh.fetch_section(ISSUES, limit=PAGES * ROWS)  # every page cached, at 0
    server.clock.advance(10.0)
    other = section("github", "is:closed", pane="issues")
    result = await gh.fetch_section(other, limit=PAGES * ROWS)
    assert (result.cache, result.fetched_at) == ("hit", server.clock.time() - 10.0)
    assert sorted(len(times) for times in server.answered.values()) == [1, 1, 1, 2]


@pytest.mark.parametrize("seed", range(6))
async def test_a_listing_labels_each_row_with_its_own_pages_fetch_time(
    seed: int,
    gh: GitHubClient,
    server: Server,
) -> None:
    rng = random.Random(seed)
    mixed_ages = 0
    for _ in range(40):
        server.round(rng)
        try:
            result = await gh.fetch_section(ISSUES, limit=PAGES * ROWS)
        except GatewayError:  # the first page failed with no copy to serve
            continue
        check_result(server, result)
        mixed_ages += len(result.fetched)  # rows newer than the listing's oldest page
    assert mixed_ages > 0  # the rounds did mix pages of different ages


def engine_over(client: GitHubClient, store: Store, clock: FakeClock) -> SyncEngine:
    section = SectionInfo(
        id=ISSUES.id, pane="issues", title="Mine", account="github", service="github"
    )
    wired = Wired(
        engine_settings(),
        store,
        EventBus(),
        clock,
        {"github": FakeGateway()},  # type: ignore[dict-item]
        {"github": client},  # type: ignore[dict-item]
        [section],
        {section.id: PAGES * ROWS},
    )
    return SyncEngine(wired)


@pytest.mark.parametrize("seed", range(6))
async def test_no_row_stored_or_shown_claims_to_be_newer_than_its_page(
    seed: int,
    gh: GitHubClient,
    server: Server,
    tmp_path: Path,
) -> None:
    clock = server.clock
    rng = random.Random(seed)
    store = Store.open(tmp_path / "zen.db", clock=clock.time)
    eng = engine_over(gh, store, clock)
    fetch = gh.fetch_section
    answers: list[FetchResult] = []

    async def kept(*args, **kwargs) -> FetchResult:  # what the engine is handed, to compare
        answers.append(await fetch(*args, **kwargs))
        return answers[-1]

    gh.fetch_section = kept  # type: ignore[method-assign]
    poller = eng.pollers[ISSUES.id]
    try:
        for _ in range(40):
            server.round(rng)
            answers.clear()
            await eng.refresh(ISSUES.id) if rng.random() < 0.5 else await poller.poll_now()
            for item_id, at in store.fetched_times(ISSUES.id).items():
                page = server.page_of(item_id)  # every stored row: a time its page answered
                assert at in server.answered[page], (item_id, at, server.answered[page])
            if not answers:
                continue
            [result] = answers
            check_result(server, result)
            shown_at = eng.snapshot(ISSUES.id).freshness.fetched_at  # type: ignore[union-attr]
            oldest = min((result.fetched_at_of(i.id) for i in result.items), default=None)
            if oldest is not None:  # the pane never says its rows are newer than their pages
                assert shown_at is not None and shown_at <= oldest, (shown_at, result.fetched)
    finally:
        await eng.stop()


async def test_a_partial_answer_with_a_page_older_than_the_last_listing_ages_the_pane() -> None:
    """The section was confirmed whole at 100; a partial answer then came with its first page
    live (200) and its second from a stale copy of 50: the pane says 50, not 100, for it
    shows that page's rows. (P-2 is in the listing of 100 too: one it left out, a copy of 50
    may not add back, store/gone.py.)"""
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1), issue(2)], 100.0)])
    eng = engine(store, client)
    await eng.pollers[SECTION.id].poll_now(interactive=False)
    assert eng.snapshot(SECTION.id).freshness.fetched_at == 100.0  # type: ignore[union-attr]
    client.answers = [
        Result(
            [issue(1, "2026-01-02T00:00:00Z"), issue(2)],
            50.0,
            "stale",
            partial=True,
            fetched={issue(1).id: 200.0},
        )
    ]
    await eng.refresh(SECTION.id)
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None and {i.id for i in snapshot.items} == {issue(1).id, issue(2).id}
    assert snapshot.freshness.fetched_at == 50.0
    await eng.stop()


async def test_slack_a_channel_served_from_its_stale_copy_keeps_that_copys_age(
    slack,
    router,
    basics,
    clock: FakeClock,
) -> None:
    down: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        channel = request.url.params.get("channel")
        if channel in down:
            return httpx.Response(503, json={"ok": False, "error": "unavailable"})
        return history("2.0" if channel == "C012AB3CD" else "3.0")

    router.get(f"{SLACK}/conversations.history").mock(side_effect=answer)
    both = section("slack", "C012AB3CD C0456DEFGH", pane="messages")
    cached_at = clock.time()
    await slack.fetch_section(both)
    clock.advance(100.0)
    down.add("C0456DEFGH")
    result = await slack.fetch_section(both)
    ages = {m.key: result.fetched_at_of(m.id) for m in result.items}
    assert result.cache == "stale"
    assert ages == {"C0456DEFGH:3.0": cached_at, "C012AB3CD:2.0": cached_at + 100.0}
    assert result.fetched_at == cached_at
