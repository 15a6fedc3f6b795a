"""Big sections: 10,000 items saved in one transaction and loaded back.

Bounds are generous (a shared 2-core machine); the measured figures are printed with -s.
"""

from __future__ import annotations

import time

from zen_tui.store import Store

from .conftest import make_pr

N = 10_000


def test_ten_thousand_items_save_and_load_quickly(store: Store) -> None:
    items = [
        make_pr(n, updated_at=f"2024-05-{1 + n % 28:02d}T{n % 24:02d}:00:00Z") for n in range(N)
    ]
    started = time.perf_counter()
    store.save_section("big", items, 1.0)
    saved = time.perf_counter()
    loaded, fetched_at = store.load_section("big")
    done = time.perf_counter()
    print(f"\nsave_section {N}: {saved - started:.3f}s, load_section {N}: {done - saved:.3f}s")
    assert fetched_at == 1.0 and len(loaded) == N
    assert sorted(loaded, key=lambda i: i.id) == sorted(items, key=lambda i: i.id)
    assert saved - started < 5.0
    assert done - saved < 5.0


def test_loading_a_big_section_never_holds_all_encoded_rows(store: Store) -> None:
    """load_section decodes as the cursor streams: its peak memory is the items it returns
    plus about one row, not the items plus every row's encoded text (the start-up peak)."""
    import gc
    import tracemalloc

    store.save_section("big", [make_pr(n) for n in range(N)], 1.0)
    encoded = sum(len(r[0]) for r in store._connection().execute("SELECT data FROM items"))
    gc.collect()
    tracemalloc.start()
    try:
        loaded, _ = store.load_section("big")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(loaded) == N
    transient = peak - kept
    assert transient < encoded / 4, f"held {transient} bytes beyond the items ({encoded} encoded)"
