"""A rate-limit pause another process stores while this dashboard has not built the account's
gateway (its build failed, or still runs) reaches the gateway card at the engine's next store
check (every STORE_CHECK_SECONDS), not only once the gateway is built. The real store (a
SQLite file) written through a second connection, as `zen-tui sync` beside the dashboard
writes it; the dashboard's health model (seeded, then fed the bus); the engine's virtual
clock."""

from __future__ import annotations

import functools
from pathlib import Path

from tests.unit.sync.test_deferred_network import settings_in
from zen_tui.gateway.clock import FakeClock
from zen_tui.models import RatePause
from zen_tui.paths import store_path
from zen_tui.store import Store
from zen_tui.sync.backend import PausesStored
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.outbox import STORE_CHECK_SECONDS
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.widgets.gateway import render_status
from zen_tui.wiring import build_local, connect

LEFT = 900.0  # seconds of the stored pause left


def no_github(wired, account):  # type: ignore[no-untyped-def]
    """GitHub's build fails (a keyring that will not open, say); the others are built."""
    if account == "github":
        return {}, {}, {"github": RuntimeError("the keyring is locked")}
    return connect(wired, account)


def card(model: HealthModel, service: str, now: float) -> str:
    return render_status(model.status(service), now).plain


async def test_a_pause_stored_by_another_process_reaches_an_unbuilt_accounts_card(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    settings = settings_in(tmp_path)
    # The store on the same virtual clock: it reads another connection's commits at most every
    # PAUSES_RECHECK seconds of it (store/pauses.py)
    store = Store.open(store_path(Path(settings.data_dir)), clock=clock.time)
    wired = build_local(settings, store=store, clock=clock)
    engine = SyncEngine(wired, connect=functools.partial(no_github, wired))
    engine.set_paused(True)  # no poll spends a token
    model = HealthModel()  # as the dashboard: seeded, then fed the bus
    model.seed(engine.health())
    published: list[PausesStored] = []
    engine.bus.subscribe(lambda e: isinstance(e, PausesStored) and published.append(e))
    engine.bus.subscribe(model.apply)
    other = Store.open_in(Path(settings.data_dir))  # another process's connection
    try:
        await engine.start()
        assert sorted(engine.wired.gateways) == ["jira", "slack"]  # GitHub's is not built
        now = clock.time()
        other.save_rate_pause(
            RatePause("github", "github", "search", now + LEFT, now, "HTTP 403 secondary", 1)
        )
        other.save_rate_pause(  # a built gateway takes its own before its next request
            RatePause("jira", "jira", "default", now + LEFT, now, "HTTP 429 Retry-After")
        )
        assert "paused" not in card(model, "github", clock.time())
        await clock.sleep(STORE_CHECK_SECONDS + 1)
        scope, left = model.status("github").pause(clock.time()) or ("", 0.0)
        assert scope == "search" and LEFT - STORE_CHECK_SECONDS - 2 < left <= LEFT
        assert "paused 14m" in card(model, "github", clock.time())
        assert [(e.account, sorted(e.paused)) for e in published] == [("github", ["search"])]
        await clock.sleep(3 * STORE_CHECK_SECONDS)  # nothing new stored: nothing said again
        assert len(published) == 1
        now = clock.time()
        other.save_rate_pause(  # a longer one of the scope
            RatePause("github", "github", "search", now + 2 * LEFT, now, "HTTP 403 secondary", 2)
        )
        await clock.sleep(STORE_CHECK_SECONDS + 1)
        assert len(published) == 2
        assert model.status("github").pause(clock.time())[1] > LEFT  # type: ignore[index]
    finally:
        other.close()
        await engine.stop()
