"""The Inbox preset's sections and the notification actions, each client against the
simulator over loopback: GitHub notifications (read: PATCH 205, done: DELETE 204, both
verified), Jira `watcher = currentUser() OR assignee = currentUser()`, Slack mentions."""

from __future__ import annotations

from typing import Any

from zen_tui.config_schema import INBOX_QUERIES
from zen_tui.models import Action, SectionInfo
from zen_tui.simulator.jira.service import JiraSim

from .conftest import section


def inbox(service: str) -> SectionInfo:
    _title, query = INBOX_QUERIES[service]
    return section(service, query, pane="inbox")


async def test_notification_rows_carry_thread_and_unread(sim: Any, sim_client: Any) -> None:
    gh = sim_client("github")
    threads = sim.world.services["github"].state.threads
    found = await gh.fetch_section(section("github", "notifications all", pane="inbox"))
    assert found.items
    assert found.summaries  # threads: never a fuller copy for other sections (engine)
    assert not (await gh.fetch_section(section("github", "is:open"))).summaries
    for item in found.items:
        thread = threads[item.thread_id]
        assert item.unread == thread.unread
        assert item.key == f"{thread.item.repo.full_name}#{thread.item.number}"


async def test_mark_read_then_done_land_and_verify(sim: Any, sim_client: Any) -> None:
    gh = sim_client("github")
    github = sim.world.services["github"]
    items = (await gh.fetch_section(inbox("github"))).items
    first, second = items[0], items[1]

    read = Action("mark_read", first.id, "github", {"thread_id": first.thread_id or ""})
    assert await gh.verify(read, idempotency_key="r1") is False
    assert (await gh.apply(read, idempotency_key="r1")).ok
    assert await gh.verify(read, idempotency_key="r1") is True
    assert github.state.threads[first.thread_id].unread is False

    done = Action("mark_done", second.id, "github", {"thread_id": second.thread_id or ""})
    assert (await gh.apply(done, idempotency_key="d1")).ok
    assert second.thread_id not in github.state.threads
    assert await gh.verify(done, idempotency_key="d1") is True
    again = await gh.apply(done, idempotency_key="d1")  # a resend after a lost answer
    assert again.ok  # GitHub no longer knows the thread: done is what was wanted

    log = [m for m in sim.counters()["mutation_log"] if m["service"] == "github"]
    assert [m["kind"] for m in log if m.get("thread") == first.thread_id] == ["thread_read"]
    assert [m["kind"] for m in log if m.get("thread") == second.thread_id] == ["thread_done"]
    unread = (await gh.fetch_section(inbox("github"), revalidate=True)).items
    assert first.id not in {i.id for i in unread} and second.id not in {i.id for i in unread}


async def test_jira_inbox_is_what_i_watch_or_am_assigned(sim: Any, sim_client: Any) -> None:
    """Valid JQL on Jira Cloud, which the simulator runs as Jira does (on today's main the
    inbox's `text ~ currentUser()` was a 400 here, as there)."""
    jira: JiraSim = sim.world.services["jira"]
    me = jira.me
    target = next(i for i in jira.issues.values() if me not in i.watching())
    target.assignee = me  # assigned, not watching (auto-watch off in Jira's preferences)

    client = sim_client("jira")
    found = await client.fetch_section(inbox("jira"), limit=1000)
    keys = {i.key for i in found.items}
    watching = {i.key for i in jira.issues.values() if me in i.watching()}
    assigned = {i.key for i in jira.issues.values() if i.assignee == me}
    assert target.key in keys
    assert keys == watching | assigned
    assert watching - assigned  # the seed has issues I reported or commented on (auto-watch)


async def test_slack_inbox_section_is_my_mentions(sim_client: Any) -> None:
    slack = sim_client("slack")
    found = await slack.fetch_section(inbox("slack"))
    assert found.items and all(m.mentions_me for m in found.items)
