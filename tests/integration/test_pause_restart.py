"""A dashboard restarted during GitHub's secondary-limit wait polls GitHub only once the wait
is over, and `zen-tui health` says how long is left meanwhile.

The whole simulator and two engines one after another (two runs of zen-tui) on one
FakeClock and one SQLite store, wired as zen-tui wires them (wiring.build).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.gone_world import VirtualWorld
from tests.integration.helpers import running
from zen_tui.cli import main
from zen_tui.commands import health
from zen_tui.models import FreshnessState
from zen_tui.paths import store_path
from zen_tui.simulator.core.faults import FaultRule
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine


def scope_of(path: str) -> str:
    """The gateway's rate-limit scope of a request to the simulator's GitHub."""
    if path.startswith("/github/search/"):
        return "search"
    return "graphql" if path.rstrip("/").endswith("/graphql") else "core"


def github_live(engine: SyncEngine) -> bool:
    shown = [engine.snapshot(s.id) for s in engine.sections if s.service == "github"]
    return all(s is not None and s.freshness.state is FreshnessState.LIVE for s in shown)


async def test_a_restart_polls_github_only_after_the_stored_secondary_limit(
    tmp_path, monkeypatch, capsys
):
    vw = VirtualWorld(tmp_path / "data", size=120)
    app, arrived = vw.app, []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/github/"):
            arrived.append((vw.clock.time(), scope_of(scope["path"])))
        await app(scope, receive, send)

    vw.app = recording
    # GitHub answers every call with a secondary limit naming no wait: >= 60 s, doubling.
    app.state.faults.set_rules([FaultRule(service="github", rate_limit_rate=1.0, retry_after=0)])
    first = vw.engine()
    async with running(first):
        await vw.run_until(lambda: bool(arrived), 60)
        await vw.run_until(lambda: False, 100)  # a doubled wait or two
    with Store.open(store_path(vw.data_dir)) as store:  # the engine closed its own
        pauses = {p.scope: p for p in store.rate_pauses("github")}
    pause = max(pauses.values(), key=lambda p: p.until)
    assert pause.step >= 1 and pause.until > vw.clock.time()
    app.state.faults.clear()  # GitHub would answer now: only the stored wait holds the polls

    # Meanwhile `zen-tui health` (another process) says so, with the time left.
    monkeypatch.setattr(health, "_now", vw.clock.time)
    config = tmp_path / "config.toml"
    config.write_text('[[accounts]]\nname = "github"\nservice = "github"\n', encoding="utf-8")
    now = vw.clock.time()
    left = pause.until - now
    assert main(["--config", str(config), "--data-dir", str(vw.data_dir), "health", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["accounts"]["github"]["paused"]
    assert [p["scope"] for p in shown] == sorted(s for s, p in pauses.items() if p.until > now)
    [shown] = [p for p in shown if p["scope"] == pause.scope]
    assert (shown["scope"], shown["left"]) == (pause.scope, pytest.approx(left, abs=0.1))
    assert "secondary limit naming no wait" in shown["reason"]

    restarted_at, before = vw.clock.time(), len(arrived)
    second = vw.engine()
    async with running(second):
        took = await vw.run_until(lambda: github_live(second), 1800, step=1.0)
    assert took < 1800
    assert restarted_at < pause.until
    resumed = arrived[before:]
    for scope, stored in pauses.items():  # not one request of a paused scope before its end
        sent = [at for at, of in resumed if of == scope]
        assert all(at >= stored.until for at in sent), scope
    # and the polls came back soon after the last wait ended
    assert min(at for at, of in resumed if of == pause.scope) - pause.until < 60
