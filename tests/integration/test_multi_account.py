"""Two GitHub accounts in one sync: each live with its own items; a dead one degrades alone."""

from __future__ import annotations

from dataclasses import replace

from zen_tui.demo import demo_settings
from zen_tui.models import FreshnessState
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .conftest import fast


async def test_two_github_accounts_sync_independently(sim, tmp_path) -> None:
    github = next(a for a in sim.accounts if a.service == "github")
    second = replace(github, name="github-work")
    dead = replace(github, name="github-dead", base_url="http://127.0.0.1:9/github")
    settings = fast(demo_settings([*sim.accounts, second, dead], tmp_path))
    wired = build(settings)
    engine = SyncEngine(wired)
    try:
        snapshots = await engine.sync_once()
        caches = {n: wired.gateways[n]._cache.keys("listing") for n in ("github", "github-work")}
    finally:
        await engine.stop()
    # Each account's gateway caches under its own keys: nothing is shared between accounts.
    assert caches["github"] and caches["github-work"]
    assert all(k.startswith("github@") for k in caches["github"])  # account@login ...
    assert all(k.startswith("github-work@") for k in caches["github-work"])

    by_account: dict[str, list] = {}
    for section in engine.sections:
        by_account.setdefault(section.account, []).append(snapshots[section.id])
    assert {"github", "github-work", "github-dead", "jira", "slack"} <= set(by_account)
    for name in ("github", "github-work"):
        snaps = by_account[name]
        assert all(s.freshness.state is FreshnessState.LIVE for s in snaps), name
        items = [i for s in snaps for i in s.items]
        assert items and all(i.id.startswith(f"{name}:") and i.account == name for i in items)
    keys = lambda name: {i.key for s in by_account[name] for i in s.items}  # noqa: E731
    assert keys("github") == keys("github-work")  # same data, told apart by account in the id
    # The dead account's breaker counts wire attempts, so it may open during this first sync:
    # the sections that failed first say offline, any after that say the breaker is open.
    dead_reasons = [snap.freshness.reason or "" for snap in by_account["github-dead"]]
    assert all(s.freshness.state is not FreshnessState.LIVE for s in by_account["github-dead"])
    assert any("offline" in r for r in dead_reasons), dead_reasons
    assert all("offline" in r or "breaker open" in r for r in dead_reasons), dead_reasons
    for name in ("jira", "slack"):
        assert all(s.freshness.state is FreshnessState.LIVE for s in by_account[name]), name
