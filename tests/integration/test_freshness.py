"""The freshness invariant against the simulator over loopback: an update zen-tui has seen never
goes back (a PR closed upstream with webhooks on, the listing cache at its real 30 s TTL), and a
Jira issue moved to Done leaves a `statusCategory != Done` section once the change lands."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from typing import Any

import httpx
import msgspec
import pytest

from tests.helpers import eventually, listing_ttl
from tests.integration.helpers import running
from zen_tui.commands import health, list_items, sync
from zen_tui.config import SectionConfig, Settings, WebhookConfig
from zen_tui.gateway.events import RequestDone
from zen_tui.gateway.settings import default_settings
from zen_tui.models import Action, ActionState, FreshnessState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.engine import SyncEngine

from .conftest import engine_for

ENV = {"github": "ZT_TEST_GH_HOOK", "jira": "ZT_TEST_JIRA_HOOK", "slack": "ZT_TEST_SLACK_HOOK"}
SECRETS = {"github": "gh-hook-secret", "jira": "jira-hook-secret", "slack": "slack-signing"}
ALL_MINE = "is:pr author:@me"  # keeps closed PRs: the closed state itself must stay shown


def real_listing_ttl(settings: Settings) -> Settings:
    """The shipped cache TTLs (the fixture revalidates listings on every poll)."""
    gateway = {
        service: msgspec.structs.replace(gs, cache=default_settings(service).cache)
        for service, gs in settings.gateway.items()
    }
    return msgspec.structs.replace(settings, gateway=gateway)


def listed(capsys: pytest.CaptureFixture[str], settings: Settings, pane: str) -> dict[str, str]:
    """`zen-tui list PANE --json` (the store, read by the command itself): key -> state."""
    args = argparse.Namespace(pane=pane, account=None, json=True)
    assert list_items.run(args, settings) == 0
    out = json.loads(capsys.readouterr().out)
    return {
        f"{s['title']}|{item['key']}": item.get("state") or item.get("status")
        for s in out["sections"]
        for item in s["items"]
    }


async def test_a_pr_closed_upstream_stays_closed_after_cache_hit_polls(
    sim: SimulatorServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for service, name in ENV.items():
        monkeypatch.setenv(name, SECRETS[service])
    github = next(a for a in settings.accounts if a.service == "github")
    hooked = msgspec.structs.replace(
        real_listing_ttl(settings),
        webhooks=WebhookConfig(enabled=True, port=0, secret_env=dict(ENV)),
        sections=[*settings.sections, SectionConfig("prs", "All mine", github.name, ALL_MINE)],
    )
    engine = engine_for(hooked)
    searches: list[RequestDone] = []
    engine.bus.subscribe(
        lambda e: (
            searches.append(e)
            if isinstance(e, RequestDone) and e.endpoint == "/search/issues"
            else None
        )
    )
    async with running(engine):
        await eventually(lambda: all(_live(engine, s.id) for s in engine.sections))
        engine.set_paused(True)  # only webhooks and what they schedule change sections now
        server = engine.webhooks.server  # type: ignore[union-attr]
        sim.set_webhooks({s: (server.url(s), SECRETS[s]) for s in SECRETS})
        mine = next(s for s in engine.sections if s.title == "All mine")
        open_mine = next(s for s in engine.sections if s.title == "My pull requests")
        pr = engine.snapshot(open_mine.id).items[0]  # type: ignore[union-attr]
        assert pr.state == "open"  # type: ignore[union-attr]
        assert listed(capsys, hooked, "prs")[f"All mine|{pr.key}"] == "open"

        # Upstream, not through zen-tui: PATCH the issue on the simulator's API.
        account = sim.account("github")
        owner_repo, number = pr.key.split("#")
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=account.base_url) as http:
            answer = await http.patch(
                f"/repos/{owner_repo}/issues/{number}",
                json={"state": "closed"},
                headers={"Authorization": f"Bearer {account.token}"},
            )
        assert answer.status_code == 200, answer.text
        before = len(searches)

        def closed_in_store() -> bool:
            rows = {i.id: i for i in engine.store.load_section(mine.id)[0]}
            return rows.get(pr.id) is not None and rows[pr.id].state == "closed"  # type: ignore[union-attr]

        await eventually(closed_in_store, within=3.0)
        assert time.monotonic() - started < 3.0
        await eventually(lambda: engine._refresher is not None and engine._refresher.done())
        refreshed = len(searches)  # the refresh the delivery scheduled has run
        # Further scheduled polls inside the 30 s TTL are cache hits: still closed.
        for section in (mine, open_mine):
            for _ in range(2):
                await engine.pollers[section.id].poll_now(interactive=False)
        assert closed_in_store()
        shown = {i.id: i for i in engine.snapshot(mine.id).items}  # type: ignore[union-attr]
        assert shown[pr.id].state == "closed"  # type: ignore[union-attr]
        open_ids = {i.id for i in engine.snapshot(open_mine.id).items}  # type: ignore[union-attr]
        open_rows = {i.id: i for i in engine.store.load_section(open_mine.id)[0]}
        assert pr.id not in open_ids or open_rows[pr.id].state == "closed"  # type: ignore[union-attr]
        states = listed(capsys, hooked, "prs")
        assert states[f"All mine|{pr.key}"] == "closed"
        assert states.get(f"My pull requests|{pr.key}") in (None, "closed")  # never open again
        # Why: the delivery's refresh asked the server instead of the cache entry fetched
        # before the change; only the later scheduled polls were answered from the cache.
        assert all(e.cache in ("miss", "revalidated") for e in searches[before:refreshed])
        assert searches[before:refreshed] and any(e.cache == "hit" for e in searches[refreshed:])


def _live(engine: SyncEngine, section_id: str) -> bool:
    snapshot = engine.snapshot(section_id)
    return snapshot is not None and snapshot.freshness.state is FreshnessState.LIVE


async def _jira_engine(settings: Settings) -> tuple[SyncEngine, Any, list[Any]]:
    engine = engine_for(settings)
    events: list[Any] = []
    engine.bus.subscribe(events.append)
    await engine.start()
    await eventually(lambda: all(_live(engine, s.id) for s in engine.sections))
    engine.set_paused(True)  # no scheduled poll: only the change-driven refresh can do it
    section = next(s for s in engine.sections if s.service == "jira")
    assert "statusCategory != Done" in section.query
    return engine, section, events


async def test_a_jira_issue_moved_to_done_by_an_own_action_leaves_the_section(
    sim: SimulatorServer, settings: Settings
) -> None:
    engine, section, events = await _jira_engine(settings)
    try:
        issue = engine.snapshot(section.id).items[0]  # type: ignore[union-attr]
        whole = engine.full_item(issue)  # read now: once it leaves, the store has it no more
        [action_id] = await engine.submit(
            [Action("transition", issue.id, issue.account, {"transition": "Done"})]
        )

        def done() -> bool:
            return any(
                isinstance(e, ActionUpdated)
                and e.action_id == action_id
                and e.state is ActionState.DONE
                for e in events
            )

        await eventually(done)
        await eventually(lambda: issue.id not in {i.id for i in engine.snapshot(section.id).items})  # type: ignore[union-attr]
        assert issue.id not in {i.id for i in engine.store.load_section(section.id)[0]}
        client = engine.wired.clients[issue.account]
        # the server says Done: only Reopen is offered (the row read whole, as engine.details)
        detail = await client.details(whole)
        assert "Done" not in detail.transitions
    finally:
        await engine.stop()


async def test_a_jira_issue_moved_to_done_elsewhere_leaves_the_section_on_refresh(
    sim: SimulatorServer, settings: Settings
) -> None:
    engine, section, _ = await _jira_engine(settings)
    try:
        issue = engine.snapshot(section.id).items[0]  # type: ignore[union-attr]
        client = engine.wired.clients[issue.account]
        move = Action("transition", issue.id, issue.account, {"transition": "Done"})
        assert (await client.apply(move, idempotency_key="elsewhere-1")).ok
        await engine.refresh(section.id)  # R
        assert issue.id not in {i.id for i in engine.snapshot(section.id).items}  # type: ignore[union-attr]
        assert issue.id not in {i.id for i in engine.store.load_section(section.id)[0]}
    finally:
        await engine.stop()


def test_zen_tui_act_moving_a_jira_issue_to_done_updates_the_listing(
    sim: SimulatorServer, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from zen_tui.commands import act

    async def first_sync() -> Any:
        engine = engine_for(settings)
        try:
            await engine.sync_once()
            section = next(s for s in engine.sections if s.service == "jira")
            return engine.snapshot(section.id).items[0]  # type: ignore[union-attr]
        finally:
            await engine.stop()

    issue = asyncio.run(first_sync())
    assert f"Jira: mine|{issue.key}" in listed(capsys, settings, "issues")
    args = argparse.Namespace(kind="transition", item=issue.id, params={"transition": "Done"})
    assert act.run(args, settings) == 0
    assert capsys.readouterr().out.startswith("applied transition")
    assert f"Jira: mine|{issue.key}" not in listed(capsys, settings, "issues")


def sync_once(capsys: pytest.CaptureFixture[str], settings: Settings) -> tuple[int, list[str]]:
    """`zen-tui sync --once`, a run of its own (its engine, its gateways): status, lines."""
    code = sync.run(argparse.Namespace(once=True), settings)
    return code, capsys.readouterr().out.splitlines()


def freshness_listed(
    capsys: pytest.CaptureFixture[str], settings: Settings
) -> dict[str, dict[str, Any]]:
    """`zen-tui list PANE --json` for every pane: section title -> its freshness."""
    found = {}
    for pane in ("prs", "issues", "messages"):
        args = argparse.Namespace(pane=pane, account=None, json=True)
        assert list_items.run(args, settings) == 0
        for part in json.loads(capsys.readouterr().out)["sections"]:
            found[part["title"]] = part["freshness"]
    return found


def test_a_second_sync_within_the_ttl_is_as_old_as_the_first_and_a_304_is_live(
    sim: SimulatorServer, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `sync --once` runs within the listing TTL (an hour here: no run takes that long):
    the second one's GitHub listings (always in full, the same URLs) come from the gateway's
    cache, kept on disk between runs, the server not asked. They say so (`cached 2s (from
    the gateway's cache...)`), and `list --json` dates them to the first run's fetch, not to
    the second run; nothing failed, so the exit status is 0. A section the second run asked
    the server for (Jira's searches are POSTs, never cached; a Slack channel's delta is a new
    URL) is live, as of then. A third run with the TTL over asks again: the server's 304s
    are live, as of that run."""
    kept = listing_ttl(settings, 3600.0)
    github = {s.title for s in kept.sections if s.account == sim.account("github").name}
    code, lines = sync_once(capsys, kept)
    assert code == 0 and len(lines) == len(kept.sections), lines
    assert all(line.endswith(" live") for line in lines), lines
    first = freshness_listed(capsys, kept)
    assert github and github < set(first)

    code, lines = sync_once(capsys, kept)
    assert code == 0, lines  # nothing failed: not degraded
    second = freshness_listed(capsys, kept)
    assert all(f["reason"] == "from the local store" for f in second.values())  # no failure
    cached = r" cached \d+s \((from the gateway's cache, kept 1h: .*|same reason as .*)\)$"
    for title, fresh in second.items():
        [line] = [line for line in lines if f" {title} [" in line]
        if title in github or not line.endswith(" live"):
            assert re.search(cached, line), line
            assert fresh["fetched_at"] == first[title]["fetched_at"], (title, fresh)
        else:
            assert fresh["fetched_at"] > first[title]["fetched_at"], (title, fresh)
    assert sum("from the gateway's cache" in line for line in lines) >= 1, lines

    revalidated = listing_ttl(settings, 0.0)
    code, lines = sync_once(capsys, revalidated)
    assert code == 0 and all(line.endswith(" live") for line in lines), lines
    third = freshness_listed(capsys, revalidated)
    assert all(third[t]["fetched_at"] > second[t]["fetched_at"] for t in third)
    assert health.run(argparse.Namespace(json=True), revalidated) == 0
    figures = json.loads(capsys.readouterr().out)["accounts"]
    gh = figures[sim.account("github").name]
    # the unchanged listings were asked again and confirmed (304), not downloaded
    assert gh["revalidations"] >= 1 and gh["cache_misses"] == 0, gh
