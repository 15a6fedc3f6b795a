"""The real engine, store, gateway and GitHub client over an in-memory GitHub (an httpx
handler) on virtual time, for the invariant tests that drive an account `gh` at API."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx

from zen_tui.config import Settings
from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import EventBus
from zen_tui.gateway.settings import GatewaySettings
from zen_tui.models import SectionInfo
from zen_tui.services.github import GitHubClient
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wired import Wired

API = "https://api.test"


def issue_json(number: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Issue `number` of o/r as GitHub's REST API answers it; `raw` holds its title, state
    and updated_at."""
    return {
        "number": number,
        "title": raw["title"],
        "state": raw["state"],
        "updated_at": raw["updated_at"],
        "html_url": f"https://github.com/o/r/issues/{number}",
        "repository_url": f"{API}/repos/o/r",
        "user": {"login": "ann"},
        "labels": [],
    }


def github_engine(
    handle: Callable[[httpx.Request], httpx.Response],
    clock: FakeClock,
    gateway_settings: GatewaySettings,
    settings: Settings,
    sections: list[SectionInfo],
) -> SyncEngine:
    """An engine whose one account `gh` calls `handle` through a real gateway; not started."""
    bus = EventBus()
    gateway = Gateway(
        account="gh",
        service="github",
        base_url=API,
        settings=gateway_settings,
        credentials=StaticCredentialProvider({"gh": Credential("test-token")}),
        bus=bus,
        clock=clock,
        transport=httpx.MockTransport(handle),
    )
    account = SimpleNamespace(name="gh", service="github", base_url=API, user=None)
    client = GitHubClient(account, gateway)
    limits = {s.id: 100 for s in sections}
    store = Store.open(":memory:")
    return SyncEngine(
        Wired(settings, store, bus, clock, {"gh": gateway}, {"gh": client}, sections, limits)
    )
