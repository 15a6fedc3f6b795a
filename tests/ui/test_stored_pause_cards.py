"""A rate-limit pause an earlier run (or another process) stored is on the gateway cards from
the first paint, before the account's gateway is built (gateways are built after it).

The real store (a SQLite file), wiring and engine, as the dashboard wires them (tests/unit/
sync/test_deferred_network.py: servers at a port where nothing listens); the cards are read
as syncing starts, which is when the gateways begin to be built: nothing but the store can
say so then.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.helpers import eventually
from tests.unit.sync.test_deferred_network import deferred, settings_in
from zen_tui.models import RatePause
from zen_tui.store import Store
from zen_tui.ui.app import ZenApp

LEFT = 900.0  # seconds of the stored pause left when the dashboard starts


def store_pauses(data_dir: Path, *pauses: RatePause) -> None:
    """Written as an earlier run would have, through a connection of its own, then closed."""
    store = Store.open_in(data_dir)
    try:
        for pause in pauses:
            store.save_rate_pause(pause)
    finally:
        store.close()


def card(app: ZenApp, service: str) -> str:
    return str(app.screen.query_one(f"#card-{service}").render())


async def test_a_stored_pause_is_on_the_card_from_the_first_paint(tmp_path: Path) -> None:
    now = time.time()
    settings = settings_in(tmp_path)
    store_pauses(
        tmp_path,
        RatePause("github", "github", "core", now + LEFT, now - 60, "HTTP 403 secondary", 1),
        # over: a gateway would not obey it, nor would the card show it
        RatePause("jira", "jira", "default", now - 5, now - 65, "HTTP 429 Retry-After"),
        # another service's row under Slack's account name: no Slack gateway obeys it
        RatePause("slack", "github", "default", now + LEFT, now - 60, "HTTP 429 Retry-After"),
    )
    engine = deferred(settings)
    engine.set_paused(True)  # no poll is asked for
    at_start: dict[str, Any] = {}
    real_start = engine.start

    async def start() -> None:  # called once the first frame is out (ZenApp.on_mount)
        at_start.update(cards={s: card(app, s) for s in ("github", "jira", "slack")})
        at_start.update(gateways=sorted(engine.wired.gateways))
        await real_start()

    engine.start = start  # type: ignore[method-assign]
    app = ZenApp(engine)
    try:
        async with app.run_test(size=(160, 45)):
            await eventually(lambda: at_start, "syncing to start")
            cards = at_start["cards"]
            assert at_start["gateways"] == []
            assert re.search(r"tok paused 1[45]m\n", cards["github"]), cards["github"]
            assert "paused" not in cards["jira"] and "paused" not in cards["slack"], cards
            assert "connecting to github" in cards["github"]  # its gateway is not built yet
            # once built, the gateway obeys the same pause, and the card goes on saying so
            await eventually(lambda: engine.connected("github"), "the github gateway")
            app.screen.refresh_cards()  # type: ignore[attr-defined]
            assert re.search(r"tok paused 1[45]m\n", card(app, "github")), card(app, "github")
    finally:
        await engine.stop()
