"""A newer copy of an item one section saw replaces the older copy other sections show
(engine._propagate), with two limits:

- A GitHub notification is a thread about an issue or PR, not the item: its subject has a
  title and the thread's time, but no state, author, labels or assignee. Its copy must not
  replace the fuller copy another section shows, even when the thread is newer (a colleague
  commented between the two polls); that section's own next poll brings the change.
- A row refreshed from another section is not the section's query answered: the section's
  age (in memory and in the store) stays where its own last listing put it."""

from __future__ import annotations

from typing import Any

from tests.fakes.settings import engine_settings
from tests.unit.sync.test_engine import FakeClient, FakeGateway, Result
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.errors import QueryRefused
from zen_tui.gateway.events import EventBus
from zen_tui.models import Issue, PullRequest, SectionInfo
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wired import Wired

ASSIGNED = SectionInfo("issues:0:gh", "issues", "Assigned", "gh", "github", "assignee:@me")
MINE = SectionInfo("prs:0:gh", "prs", "Mine", "gh", "github", "author:@me")
INBOX = SectionInfo("inbox:0:gh", "inbox", "GitHub notifications", "gh", "github", "notifications")
COMMON = {"account": "gh", "service": "github", "url": "u"}
OLD, NEW = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"


def on_o_r(kind: type[Issue] | type[PullRequest], number: int, **fields: Any) -> Any:
    """Issue or pull request `number` of o/r, as the GitHub client hands it."""
    key = f"o/r#{number}"
    return kind(id=f"gh:{key}", key=key, repo="o/r", number=number, **COMMON, **fields)


class ByQuery(FakeClient):
    """One answer per section, by its query (the engine polls them in any order)."""

    async def fetch_section(self, section, **kwargs):
        self.answers = [self.by_query[section.query].pop(0)]
        return await super().fetch_section(section, **kwargs)


def wired(
    store: Store, client: FakeClient, sections: list[SectionInfo] | None = None
) -> SyncEngine:
    sections = sections or [ASSIGNED, MINE, INBOX]
    wire = Wired(
        engine_settings(),
        store,
        EventBus(),
        FakeClock(),
        {"gh": FakeGateway("github")},  # type: ignore[dict-item]
        {"gh": client},  # type: ignore[dict-item]
        sections,
        {s.id: 50 for s in sections},
    )
    return SyncEngine(wire)


async def test_a_newer_thread_does_not_overwrite_the_issue_or_pr_another_section_shows():
    issue = on_o_r(
        Issue, 1, title="t", updated_at=OLD, status="open", assignee="me", labels=("bug",)
    )
    pr = on_o_r(
        PullRequest, 2, title="p", updated_at=OLD, state="merged", author="me", labels=("wip",)
    )
    # The threads, as the GitHub client hands them (test_inbox_sim: summaries=True): a newer
    # version, with what a thread knows.
    thread_issue = on_o_r(
        Issue, 1, title="t", updated_at=NEW, status="unread", thread_id="7", unread=True
    )
    thread_pr = on_o_r(PullRequest, 2, title="p", updated_at=NEW, thread_id="8", unread=True)
    client = ByQuery(service="github")
    client.by_query = {
        ASSIGNED.query: [Result([issue], 10.0)],
        MINE.query: [Result([pr], 10.0)],
        INBOX.query: [Result([thread_issue, thread_pr], 11.0, summaries=True)],
    }
    store = Store.open(":memory:")
    eng = wired(store, client)
    for section in (ASSIGNED, MINE, INBOX):
        await eng.pollers[section.id].poll_now(interactive=False)

    shown = {i.id: i for i in eng.snapshot(ASSIGNED.id).items}
    assert shown["gh:o/r#1"].status == "open"
    assert eng.full_item(shown["gh:o/r#1"]).labels == ("bug",)
    (mine,) = eng.snapshot(MINE.id).items
    assert (mine.state, mine.author) == ("merged", "me")
    stored = {i.id: i for i in store.load_section(ASSIGNED.id)[0]}
    assert stored["gh:o/r#1"].status == "open" and stored["gh:o/r#1"].assignee == "me"
    assert store.load_section(MINE.id)[0][0].state == "merged"
    # The inbox still shows its threads, unread
    assert all(i.unread for i in eng.snapshot(INBOX.id).items)


async def test_a_row_from_another_section_does_not_make_a_section_younger():
    """`All PRs` refused since its first listing (at 10): `Mine` lists a newer copy of a PR
    both show, at 500. The row moves on in `All PRs`; its age stays at 10, its reason too.
    Before, the store's age moved to 500: `zen-tui list` said `local 1m` for a listing
    GitHub had refused for half an hour."""
    every = SectionInfo("prs:1:gh", "prs", "All PRs", "gh", "github", "repo:o/r")
    pr = on_o_r(PullRequest, 2, title="p", updated_at=OLD, author="me")
    newer = on_o_r(PullRequest, 2, title="q", updated_at=NEW, author="me")
    refused = QueryRefused(service="github", account="gh", status=422, message="no such repo")
    client = ByQuery(service="github")
    client.by_query = {
        every.query: [Result([pr], 10.0), refused],
        MINE.query: [Result([newer], 500.0)],
    }
    store = Store.open(":memory:")
    eng = wired(store, client, [every, MINE])
    await eng.pollers[every.id].poll_now(interactive=False)
    await eng.pollers[every.id].poll_now(interactive=False)
    before = eng.snapshot(every.id).freshness
    await eng.pollers[MINE.id].poll_now(interactive=False)

    after = eng.snapshot(every.id)
    assert [i.title for i in after.items] == ["q"]  # the row moved on
    assert after.freshness == before and before.fetched_at == 10.0 and before.reason
    items, fetched_at = store.load_section(every.id)
    assert [i.title for i in items] == ["q"] and fetched_at == 10.0
