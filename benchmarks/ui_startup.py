"""UI benchmark: start-up to first painted dashboard with 10,000 local items vs the same app
with no items (one run, a ratio); a filter keystroke to repaint at 10,000 rows; peak memory.

The local items live in a real SQLite store (zen_tui.store via wiring.build) and reach the
screen through the real SyncEngine.load_local, so the start-up figure includes opening the
store and reading and decoding the rows. Polling is left out (start() does nothing): the
figure is the local-first paint, with no network.

Standalone, headless, < 90 s:  .venv/bin/python benchmarks/ui_startup.py
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zen_tui.config import Settings, demo_settings
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wiring import build
from zen_tui.ui.app import ZenApp
from zen_tui.ui.fake_backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.widgets.item_list import ItemList, filter_rows, haystack

ROWS = 10_000
ROUNDS = 3
NOWHERE = "http://127.0.0.1:9"  # never called: the engine below does not poll


@dataclass(frozen=True)
class Account:  # what demo_settings needs to know about an account
    service: str
    name: str
    base_url: str = NOWHERE
    token: str = "bench-token-not-a-secret"
    username: str = "me"


class LocalOnlyEngine(SyncEngine):
    """The real engine and store, minus the pollers: the paint measured is the local one."""

    async def start(self) -> None:
        return None


def settings_for(data_dir: Path) -> Settings:
    accounts = [Account("github", "github"), Account("jira", "jira"), Account("slack", "slack")]
    return demo_settings(accounts, data_dir)


def make_store(data_dir: Path, rows: int) -> None:
    """A store whose first pull-request section holds `rows` items."""
    engine = SyncEngine(build(settings_for(data_dir)))
    section = next(s for s in engine.sections if s.pane == "prs")
    engine.store.save_section(section.id, make_items(DEFAULT_SECTIONS[0], rows), FROZEN_NOW)
    asyncio.run(engine.stop())


def open_app(data_dir: Path) -> ZenApp:
    engine = LocalOnlyEngine(build(settings_for(data_dir)))
    return ZenApp(engine, clock=lambda: FROZEN_NOW)


async def startup(data_dir: Path, rows: int) -> float:
    """Seconds from opening the store to the dashboard painted with the local items."""
    start = time.perf_counter()
    app = open_app(data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, DashboardScreen):
            await pilot.pause(0)
        await pilot.pause()  # let the first refresh (paint) happen
        elapsed = time.perf_counter() - start
        assert app.screen.query_one("#list-prs", ItemList).total == rows
    return elapsed


async def filter_keystrokes(data_dir: Path, rows: int) -> list[float]:
    """Seconds from one filter keystroke to the list repainted, for several keystrokes."""
    app = open_app(data_dir)
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = app.screen.query_one("#list-prs", ItemList)
        await pilot.press("slash")
        for key in "zen/tui" + "\b" * 7:
            start = time.perf_counter()
            await pilot.press("backspace" if key == "\b" else key)
            await pilot.pause()
            times.append(time.perf_counter() - start)
        assert len(items.rows) == rows
    return times


def filter_only(rows: int) -> float:
    """Seconds for ItemList's filter pass alone (no app): the part that scales with rows."""
    hays = [haystack(i) for i in make_items(DEFAULT_SECTIONS[0], rows)]
    start = time.perf_counter()
    found = None
    for n in range(1, 8):
        found = filter_rows(hays, "zen/tui"[:n], found)
    return (time.perf_counter() - start) / 7


def measure(root: Path) -> None:
    dirs = {n: root / f"rows-{n}" for n in (0, 10, ROWS)}
    for n, path in dirs.items():
        make_store(path, n)
    asyncio.run(startup(dirs[0], 0))  # warm-up: imports, CSS parsing, SQLite
    empty, full = [], []
    for _ in range(ROUNDS):  # interleaved, so load from other processes hits both alike
        empty.append(asyncio.run(startup(dirs[0], 0)))
        full.append(asyncio.run(startup(dirs[ROWS], ROWS)))
    keys_small = asyncio.run(filter_keystrokes(dirs[10], 10))
    keys = asyncio.run(filter_keystrokes(dirs[ROWS], ROWS))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    asyncio.run(startup(dirs[ROWS], ROWS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report(min(empty), min(full), keys_small, keys, peak, rss_mb)


def report(
    empty: float, full: float, keys_small: list[float], keys: list[float], peak: int, rss: float
) -> None:
    small, big = statistics.median(keys_small), statistics.median(keys)
    lines = [
        f"start-up, empty store (baseline):         {empty * 1000:7.0f} ms (best of {ROUNDS})",
        f"start-up, {ROWS:,} items in SQLite:       {full * 1000:7.0f} ms (best of {ROUNDS})",
        f"ratio 10k / empty:                        {full / empty:7.2f}x",
        f"filter keystroke -> repaint, 10 rows:     {small * 1000:7.0f} ms median (Pilot cost)",
        f"filter keystroke -> repaint, {ROWS:,} rows: {big * 1000:7.0f} ms median "
        f"({big / small:.2f}x)",
        f"filter pass alone at {ROWS:,} rows:         {filter_only(ROWS) * 1000:7.1f} ms",
        f"peak traced Python memory, 10k start-up:  {peak / 2**20:7.1f} MiB",
        f"process max RSS:                          {rss:7.0f} MiB",
    ]
    print("\n".join(lines))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zen-ui-bench-") as tmp:
        measure(Path(tmp))


if __name__ == "__main__":
    main()
