"""The dashboard's start while one account cannot be built (its keyring raises or hangs):
the others sync, the webhook receiver listens (a real socket on 127.0.0.1), and nothing a
delivery said is lost for the account that is not built yet."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import eventually
from tests.unit.sync.test_deferred_network import deferred, hooked, settings_in
from zen_tui import wiring
from zen_tui.events import EventBus, Subscriber
from zen_tui.models import Issue, SectionInfo
from zen_tui.sync.engine import CURSOR_SCOPE, SyncEngine
from zen_tui.sync.webhook_verify import hub_signature
from zen_tui.wiring import build_local, connect

NOW = 1_767_225_600.0


def section(engine: SyncEngine, account: str, pane: str) -> SectionInfo:
    return next(s for s in engine.sections if s.account == account and s.pane == pane)


def github_issue(title: str) -> Issue:
    return Issue(
        id="github:o/r#1",
        account="github",
        service="github",
        key="o/r#1",
        title=title,
        url="https://github.com/o/r/issues/1",
        updated_at="2026-01-01T00:00:00Z",
        status="open",
        repo="o/r",
        number=1,
    )


def jira_issue(n: int) -> Issue:
    return Issue(
        id=f"jira:P-{n}",
        account="jira",
        service="jira",
        key=f"P-{n}",
        title=f"issue {n}",
        url=f"https://jira.example/browse/P-{n}",
        updated_at="2026-01-01T00:00:00Z",
        status="To Do",
        project="P",
    )


def github_delivery(title: str) -> tuple[bytes, dict[str, str]]:
    issue = {
        "number": 1,
        "title": title,
        "html_url": "https://github.com/o/r/issues/1",
        "updated_at": "2026-01-02T00:00:00Z",
        "state": "open",
        "labels": [],
    }
    body = json.dumps({"action": "edited", "issue": issue, "repository": {"full_name": "o/r"}})
    raw = body.encode()
    return raw, {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "gh-1",
        "X-Hub-Signature-256": hub_signature("s", raw),
        "Content-Type": "application/json",
    }


def jira_deletion(key: str) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps({"webhookEvent": "jira:issue_deleted", "issue": {"key": key}}).encode()
    return raw, {
        "X-Hub-Signature": hub_signature("s", raw),
        "X-Atlassian-Webhook-Identifier": "jira-1",
        "Content-Type": "application/json",
    }


async def test_the_receiver_listens_while_an_account_fails_and_keeps_its_deliveries(
    tmp_path: Path, keyring_faults: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira's keyring raises at start: GitHub's delivery (over a real socket) is applied at
    once; Jira's is answered 202 and kept for Jira: the poll that builds Jira lists its
    sections in full and asks the server (a delta poll would never see the deletion)."""
    keyring_faults["jira"] = RuntimeError("keyring locked")
    engine = deferred(hooked(settings_in(tmp_path)))
    engine.set_paused(True)  # only the deliveries and the polls below change anything
    issues, tickets = section(engine, "github", "issues"), section(engine, "jira", "issues")
    engine.store.save_section(issues.id, [github_issue("old title")], NOW)
    engine.store.save_section(tickets.id, [jira_issue(1), jira_issue(2)], NOW)
    engine.store.set_cursor(CURSOR_SCOPE, tickets.id, "updated >= 2026-01-01")
    try:
        await engine.start()  # one account failing is not a start error
        assert sorted(engine.wired.clients) == ["github", "slack"]
        assert engine.webhooks is not None and engine.webhooks.server.port
        url = f"http://127.0.0.1:{engine.webhooks.server.port}/webhooks"
        async with httpx.AsyncClient() as http:
            body, headers = github_delivery("new title")
            answer = await http.post(f"{url}/github", content=body, headers=headers)
            assert answer.status_code == 202

            def retitled() -> bool:
                shown = engine.snapshot(issues.id)
                return shown is not None and shown.items[0].title == "new title"

            await eventually(retitled, "the GitHub delivery applied")
            body, headers = jira_deletion("P-1")
            answer = await http.post(f"{url}/jira", content=body, headers=headers)
            assert answer.status_code == 202  # stored: GitHub never resends a refused one
        await eventually(lambda: engine.store.webhook_pending() == [], "the Jira delivery")
        assert engine.store.get_cursor(CURSOR_SCOPE, tickets.id) is None  # across restarts

        asked: list[tuple[str | None, bool]] = []
        from zen_tui.services.jira import JiraClient

        real_fetch = JiraClient.fetch_section

        async def fetch(self, section, **kw):  # type: ignore[no-untyped-def]
            asked.append((kw.get("cursor"), kw.get("revalidate", False)))
            return await real_fetch(self, section, **kw)

        monkeypatch.setattr(JiraClient, "fetch_section", fetch)
        del keyring_faults["jira"]
        await engine.pollers[tickets.id].poll_now(interactive=False)  # a scheduled poll
        assert "jira" in engine.wired.clients
        assert asked == [(None, True)]  # in full, asking the server: P-1 would leave
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_an_account_whose_keyring_hangs_holds_up_no_other(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """A locked keyring that does not answer while Jira is built: GitHub and Slack are
    built, poll, and the receiver listens; Jira's polls wait for its own build alone."""
    locked = keyring_faults["jira"] = threading.Event()
    engine = deferred(hooked(settings_in(tmp_path)))
    engine.set_paused(True)
    prs, tickets = section(engine, "github", "prs"), section(engine, "jira", "issues")
    starting = asyncio.ensure_future(engine.start())
    try:
        await eventually(lambda: sorted(engine.wired.clients) == ["github", "slack"], "builds")
        await asyncio.wait_for(engine.refresh(prs.id), 30)
        shown = engine.snapshot(prs.id)
        assert shown is not None and "set up" not in (shown.freshness.reason or "")
        assert engine.webhooks is not None and engine.webhooks.server.port
        waiting = asyncio.ensure_future(engine.refresh(tickets.id))
        await asyncio.sleep(0)
        assert not waiting.done() and not starting.done()  # Jira's build still hangs
        locked.set()
        await asyncio.wait_for(asyncio.gather(starting, waiting), 30)
        assert engine.connected() and "jira" in engine.wired.clients
    finally:
        locked.set()
        await asyncio.wait_for(engine.stop(), 5)


class CountingBus(EventBus):
    """The real bus, counting who is subscribed: what a leaked gateway leaves behind."""

    def __init__(self) -> None:
        super().__init__()
        self.live = 0

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        unsubscribe = super().subscribe(fn)
        self.live += 1
        gone = False

        def counted() -> None:
            nonlocal gone
            if not gone:
                gone, self.live = True, self.live - 1
            unsubscribe()

        return counted


def no_client_for(account: str, error: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The service client of `account` cannot be built (ValueError `error`); the others can."""
    import zen_tui.services as services

    real = services.make_client

    def make_client(info, gateway, **kw):  # type: ignore[no-untyped-def]
        if info.name == account:
            raise ValueError(error)
        return real(info, gateway, **kw)

    monkeypatch.setattr(services, "make_client", make_client)


def test_a_gateway_whose_client_cannot_be_built_is_let_go_at_every_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira's gateway is built, then its service client fails: the gateway is released (its
    metrics leave the shared bus), at the first build and at each retry alike."""
    no_client_for("jira", "jira: site not found", monkeypatch)
    bus = CountingBus()
    wired = build_local(settings_in(tmp_path), bus=bus)
    try:
        gateways, clients, failed = connect(wired)
        assert sorted(clients) == ["github", "slack"] and list(failed) == ["jira"]
        assert bus.live == 2  # the two gateways in use, not Jira's
        wired.gateways.update(gateways)
        for _ in range(5):  # each poll of a Jira pane builds Jira again
            assert list(connect(wired)[2]) == ["jira"]
        assert bus.live == 2
    finally:
        wired.store.close()
        for gateway in wired.gateways.values():
            gateway.metrics.close()
        assert bus.live == 0


def test_a_headless_build_that_stops_at_one_account_lets_go_of_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_client_for("slack", "slack: unknown workspace", monkeypatch)
    bus = CountingBus()
    store = wiring.open_store(settings_in(tmp_path))
    try:
        with pytest.raises(ValueError, match="unknown workspace"):
            wiring.build(settings_in(tmp_path), store=store, bus=bus)
        assert bus.live == 0  # GitHub's and Jira's gateways, built first, are let go too
    finally:
        store.close()
