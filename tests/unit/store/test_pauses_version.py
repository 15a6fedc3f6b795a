"""The store's pauses_version, asked by every gateway before each request: this store's own
pause writes change it at once, another connection's commits within PAUSES_RECHECK seconds,
and between those rechecks it asks SQLite nothing (the query was most of the gateway's own
time per GET, benchmarks/gateway_overhead.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ManualClock
from zen_tui.models import RatePause
from zen_tui.store import Store
from zen_tui.store.pauses import PAUSES_RECHECK


def pause(clock: ManualClock, scope: str = "core") -> RatePause:
    now = clock()
    return RatePause("gh", "github", scope, now + 60, now, "HTTP 429 Retry-After", 0)


@pytest.fixture
def other(db_path: Path, clock: ManualClock) -> Iterator[Store]:
    """Another process's connection to the same file."""
    s = Store.open(db_path, clock=clock)
    yield s
    s.close()


@pytest.fixture
def queries(store: Store) -> list[str]:
    """The statements the store's connection runs."""
    seen: list[str] = []
    db = store._connection()
    db.set_trace_callback(seen.append)
    return seen


def test_its_own_pause_writes_change_it_at_once(store: Store, clock: ManualClock) -> None:
    before = store.pauses_version()
    store.save_rate_pause(pause(clock))
    assert store.pauses_version() != before


def test_another_connection_s_write_is_seen_within_the_recheck(
    store: Store, other: Store, clock: ManualClock
) -> None:
    before = store.pauses_version()
    other.save_rate_pause(pause(clock))
    clock.now += PAUSES_RECHECK / 2
    assert store.pauses_version() == before  # not asked again yet
    clock.now += PAUSES_RECHECK / 2
    assert store.pauses_version() != before


def test_between_rechecks_sqlite_is_not_asked(
    store: Store, clock: ManualClock, queries: list[str]
) -> None:
    store.pauses_version()
    assert queries == ["PRAGMA data_version"]
    for _ in range(10):
        clock.now += PAUSES_RECHECK / 20
        store.pauses_version()
    assert queries == ["PRAGMA data_version"]
    clock.now += PAUSES_RECHECK
    store.pauses_version()
    assert queries == ["PRAGMA data_version"] * 2


def test_a_clock_set_back_asks_again(store: Store, other: Store, clock: ManualClock) -> None:
    before = store.pauses_version()
    other.save_rate_pause(pause(clock))
    clock.now += -3600  # set back: "since the last ask" means nothing now
    assert store.pauses_version() != before


def test_a_write_by_another_program_counts_too(
    store: Store, db_path: Path, clock: ManualClock
) -> None:
    """data_version moves on any other connection's commit, zen-tui's or not."""
    before = store.pauses_version()
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE other_program (x)")
    clock.now += PAUSES_RECHECK
    assert store.pauses_version() != before
