"""UI benchmark: start-up to first painted dashboard with 10,000 local items vs the same app
with no items (one run, a ratio); a filter keystroke to repaint at 10,000 rows; peak memory.

Standalone, headless, < 90 s:  .venv/bin/python benchmarks/ui_startup.py
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zen_tui.ui.app import ZenApp
from zen_tui.ui.fake_backend import DEFAULT_SECTIONS, FROZEN_NOW, FakeBackend, make_items
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.widgets.item_list import ItemList, filter_rows, haystack

ROWS = 10_000
ROUNDS = 3


def backend(rows: int) -> FakeBackend:
    fake = FakeBackend(items_per_section=0)
    fake.set_items("prs:0:gh", make_items(DEFAULT_SECTIONS[0], rows))
    return fake


async def startup(rows: int) -> float:
    """Seconds from App start to the dashboard painted with the local items."""
    app = ZenApp(backend(rows), clock=lambda: FROZEN_NOW)
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, DashboardScreen):
            await pilot.pause(0)
        await pilot.pause()  # let the first refresh (paint) happen
        elapsed = time.perf_counter() - start
        assert app.screen.query_one("#list-prs", ItemList).total == rows
    return elapsed


async def filter_keystrokes(rows: int) -> list[float]:
    """Seconds from one filter keystroke to the list repainted, for several keystrokes."""
    app = ZenApp(backend(rows), clock=lambda: FROZEN_NOW)
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
    hays = [haystack(i) for i in backend(rows).items["prs:0:gh"]]
    start = time.perf_counter()
    found = None
    for n in range(1, 8):
        found = filter_rows(hays, "zen/tui"[:n], found)
    return (time.perf_counter() - start) / 7


def main() -> None:
    asyncio.run(startup(0))  # warm-up: imports, CSS parsing
    empty, full = [], []
    for _ in range(ROUNDS):  # interleaved, so load from other processes hits both alike
        empty.append(asyncio.run(startup(0)))
        full.append(asyncio.run(startup(ROWS)))
    empty, full = min(empty), min(full)
    keys_small = asyncio.run(filter_keystrokes(10))
    keys = asyncio.run(filter_keystrokes(ROWS))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    asyncio.run(startup(ROWS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"start-up, no items (baseline):   {empty * 1000:7.0f} ms  (best of {ROUNDS})")
    print(f"start-up, {ROWS:,} local items:  {full * 1000:7.0f} ms  (best of {ROUNDS})")
    print(f"ratio 10k / empty:               {full / empty:7.2f}x")
    small, big = statistics.median(keys_small), statistics.median(keys)
    print(
        f"filter keystroke -> repaint, 10 rows:      median {small * 1000:5.0f} ms (Pilot overhead)"
    )
    ratio = big / small
    print(f"filter keystroke -> repaint, {ROWS:,} rows: median {big * 1000:5.0f} ms ({ratio:.2f}x)")
    print(f"filter pass alone at {ROWS:,} rows:          {filter_only(ROWS) * 1000:5.1f} ms")
    print(f"peak traced Python memory during a 10k start-up: {peak / 2**20:.1f} MiB")
    print(f"process max RSS: {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
