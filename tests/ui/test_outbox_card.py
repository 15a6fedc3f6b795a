"""The gateway cards' outbox figures (`out 4 ✗2`) are what the store holds, over the real
engine and a real SQLite file (fake clients, no polls).

Seen in an end-to-end run: the dashboard started with 4 actions `zen-tui act` had left in
the outbox; it sent them (2 done, 2 failed), `zen-tui outbox` listed 0 pending and 2 failed,
and the GitHub card said `out 4 ✗2` for minutes. The card counted the seeded entries once
from the start-up figures and again when they went SENDING, and took them off once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.unit.sync.fakes import Result
from tests.unit.sync.outbox_engine import action, card_figures, outbox_engine, store_figures
from zen_tui.gateway.clock import SystemClock
from zen_tui.models import ActionState
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp

from .conftest import make_app, outbox_idle, until_quiet

pytestmark = pytest.mark.timeout(60)


def card(app: ZenApp, service: str) -> tuple[int, int]:
    return card_figures(str(app.screen.query_one(f"#card-{service}").render()))


async def settled(pilot: Pilot[Any], engine: SyncEngine) -> None:
    """The sends are over and the app has handled what they published, the cards drawn
    (they redraw once per frame after a burst of events)."""
    app = pilot.app
    while not outbox_idle(engine) or app._cards_pending:
        await until_quiet(pilot)


async def test_actions_left_by_act_are_counted_once_then_the_card_says_the_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "zen.db"
    act = Store.open(path)  # `zen-tui act`, run before the dashboard, could not send these
    left = [act.outbox_add(action("gh", n)) for n in range(4)]
    engine = outbox_engine(path, SystemClock())
    engine.wired.clients["gh"].script = [  # type: ignore[attr-defined]
        Result(True),
        Result(False, "422 no such label"),
        Result(True),
        Result(False, "422 no such label"),
    ]
    app = make_app(engine)  # type: ignore[arg-type]
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await settled(pilot, engine)
            states = [engine.store.outbox_get(e.id).state for e in left]  # type: ignore[union-attr]
            assert states.count(ActionState.FAILED) == 2
            assert store_figures(engine.store, "github") == (0, 2)
            assert card(app, "github") == (0, 2)  # was (4, 2): the card never came back

            # `zen-tui outbox clear` and `retry` in another terminal: the engine's store
            # check (every 30 s, a housekeeping chore) finds them; here it runs at once
            failed = act.outbox_by_state(ActionState.FAILED)
            act.outbox_delete_failed(failed[0].id)
            act.outbox_update(failed[1].id, state=ActionState.PENDING, reason="retry asked")
            await engine._check_outbox_store(engine.housekeeping)
            await settled(pilot, engine)  # the retried one is sent again: done this time
            assert store_figures(engine.store, "github") == (0, 0)
            assert card(app, "github") == (0, 0)
    finally:
        act.close()
