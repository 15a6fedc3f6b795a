"""UI benchmark, in one process: start-up to first painted dashboard with 10,000 local items
vs the same app with no items; a filter keystroke to repaint at 10,000 rows vs 10 rows; peak
traced memory. (Start-up from a fresh process, against a bare Textual app: startup.py.)

The local items live in a real SQLite store (zen_tui.store via wiring.build) and reach the
screen through the real SyncEngine.load_local, so the start-up figure includes opening the
store and reading and decoding the rows. Polling is left out (start() does nothing): the
figure is the local-first paint, with no network.

Standalone, headless, < 90 s:  .venv/bin/python benchmarks/ui_startup.py [ROUNDS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_store import local_engine, make_store
from rich.console import RenderableType
from textual.screen import Screen

from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.row_filter import filter_rows, haystack

ROWS = 10_000
ROUNDS = 3
KEY_GAP = 0.05  # seconds between keystrokes: a fast typist's pace


def open_app(data_dir: Path) -> ZenApp:
    return ZenApp(local_engine(data_dir), clock=lambda: FROZEN_NOW)


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
    """Seconds from a filter keystroke to the first frame that shows it, for several keys.

    The key goes in through App.simulate_key; the clock stops when the first frame after the
    list took the new filter is handed to the driver (the list filters in the Input.Changed
    handler and asks for its repaint there, so that frame has it), so Pilot's own waits are
    not counted. Between keys: the app goes idle, then KEY_GAP passes, as between a person's
    keystrokes; otherwise a key could land within 1/60 s of the last frame and wait for
    Textual's next frame slot, a wait no typist sees that only adds noise."""
    app = open_app(data_dir)
    times = []
    typed = ""
    painted = asyncio.Event()
    stop = 0.0
    show = app._display  # Textual hands every frame to the driver here (no public hook)

    def display(screen: Screen[object], frame: RenderableType | None) -> None:
        nonlocal stop
        show(screen, frame)  # (headless: without building the escape codes)
        if frame is not None and items.filter_text == typed and not painted.is_set():
            stop = time.perf_counter()
            painted.set()

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = app.screen.query_one("#list-prs", ItemList)
        await pilot.press("slash")
        app._display = display  # type: ignore[method-assign]
        for key in "zen/tui" + "\b" * 7:
            await pilot.pause(KEY_GAP)
            typed = typed[:-1] if key == "\b" else typed + key
            painted.clear()
            start = time.perf_counter()
            app.simulate_key("backspace" if key == "\b" else key)
            await painted.wait()
            times.append(stop - start)
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


def measure(root: Path, rounds: int) -> None:
    from results import figure, record

    dirs = {n: root / f"rows-{n}" for n in (0, 10, ROWS)}
    for n, path in dirs.items():
        make_store(path, n)
    asyncio.run(startup(dirs[0], 0))  # warm-up: imports, CSS parsing, SQLite
    empty, full = [], []
    for _ in range(rounds):  # interleaved, so load from other processes hits both alike
        empty.append(asyncio.run(startup(dirs[0], 0)) * 1000)
        full.append(asyncio.run(startup(dirs[ROWS], ROWS)) * 1000)
    keys_small: list[list[float]] = []  # per round, each keystroke's ms
    keys: list[list[float]] = []
    for _ in range(rounds):
        keys_small.append([t * 1000 for t in asyncio.run(filter_keystrokes(dirs[10], 10))])
        keys.append([t * 1000 for t in asyncio.run(filter_keystrokes(dirs[ROWS], ROWS))])
    tracemalloc.start()
    asyncio.run(startup(dirs[0], 0))
    _, peak_empty = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    asyncio.run(startup(dirs[ROWS], ROWS))
    _, peak_full = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"filter pass alone at {ROWS:,} rows: {filter_only(ROWS) * 1000:.1f} ms")
    with_empty = "the same, empty store"
    record(
        "ui_startup",
        [
            figure(f"in-process start-up, {ROWS:,} items", "ms", full, empty, with_empty),
            figure(
                f"filter keystroke to repaint, {ROWS:,} rows",
                "ms",
                [t for run in keys for t in run],
                [t for run in keys_small for t in run],
                "the same at 10 rows",
                2.0,
            ),
            figure(  # in the one above too; apart, as it alone builds the haystacks
                f"first filter keystroke to repaint, {ROWS:,} rows",
                "ms",
                [run[0] for run in keys],
                [run[0] for run in keys_small],
                "the same at 10 rows",
            ),
            figure(
                f"peak traced Python memory, {ROWS:,}-item start-up",
                "MiB",
                [peak_full / 2**20],
                [peak_empty / 2**20],
                with_empty,
            ),
        ],
    )


def main() -> None:
    from results import count_arg

    rounds = count_arg(sys.argv, ROUNDS)
    with tempfile.TemporaryDirectory(prefix="zen-ui-bench-") as tmp:
        measure(Path(tmp), rounds)


if __name__ == "__main__":
    main()
