"""Two GitHub accounts in one sync: each live with its own items; a dead one degrades alone."""

from __future__ import annotations

from dataclasses import replace

from zen_tui.config import demo_settings
from zen_tui.models import FreshnessState

from .conftest import engine_for, fast


async def test_two_github_accounts_sync_independently(sim, tmp_path) -> None:
    github = next(a for a in sim.accounts if a.service == "github")
    second = replace(github, name="github-work")
    dead = replace(github, name="github-dead", base_url="http://127.0.0.1:9/github")
    settings = fast(demo_settings([*sim.accounts, second, dead], tmp_path))
    engine = engine_for(settings)
    try:
        snapshots = await engine.sync_once()
    finally:
        await engine.stop()

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
    for snap in by_account["github-dead"]:
        assert snap.freshness.state is not FreshnessState.LIVE
        assert snap.freshness.reason and "offline" in snap.freshness.reason, snap.freshness
    for name in ("jira", "slack"):
        assert all(s.freshness.state is FreshnessState.LIVE for s in by_account[name]), name
