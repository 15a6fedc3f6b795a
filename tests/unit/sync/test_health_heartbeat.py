"""A running engine re-saves health every heartbeat, names itself in each record, and marks
its records stopped when it stops (`zen-tui health`: not running now), on a fake clock."""

from __future__ import annotations

from pathlib import Path

from tests.unit.sync.test_engine import FakeClient, engine
from zen_tui.gateway.clock import FakeClock
from zen_tui.store import Store
from zen_tui.store.saver import HEARTBEAT, saver_running

OTHER = "otherhost:1:2:tok"  # another process's saver: its records are not ours to stop


async def test_health_is_re_saved_each_heartbeat_and_marked_stopped_at_the_end(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    eng = engine(Store.open(path), FakeClient())
    eng.role = "the dashboard"
    eng.store.save_health("k", {"saved_by": OTHER}, 1.0)
    clock = eng.wired.clock
    assert isinstance(clock, FakeClock)
    eng.set_paused(True)  # no polls: only the heartbeat saves
    await eng.start()
    start = clock.time()
    try:
        for beat in (1, 2, 3):
            await clock.sleep(HEARTBEAT * beat - (clock.time() - start) + 0.5)
            await eng.housekeeping.settled()  # its write runs off the loop
            data, at = eng.store.load_health()["j"]
            assert at == start + HEARTBEAT * beat  # re-saved on this beat
            assert data["saved_by"] == eng.outbox.owner
            assert data["saver_role"] == "the dashboard"
            assert saver_running(data, at, clock.time())
    finally:
        await eng.stop()
    store = Store.open(path)
    try:
        saved = store.load_health()
    finally:
        store.close()
    data, at = saved["j"]
    assert data["stopped"] is True and not saver_running(data, at, at)
    assert saved["k"] == ({"saved_by": OTHER}, 1.0)  # left alone
