"""`zen-tui act` answers pending without sending when a saved health record says the breaker
is open, but only while that record is current (the rule `zen-tui health` uses: saver still
running, record young, not stopped, half-open time not passed). Before, an hour-old record,
or one whose saver was gone or stopped, still kept act from sending. Real SQLite, set clock."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from zen_tui.commands.act import breaker_open_until
from zen_tui.store import Store, leases
from zen_tui.store.saver import STALE_AFTER

SAVED = 1_800_000_000.0
HALF_OPEN = SAVED + 3 * STALE_AFTER  # a long open period: the record's age decides


def saved(tmp_path: Path, saver: str | None, **extra: Any) -> Store:
    data: dict[str, Any] = {"breaker": "open", "half_open_at": HALF_OPEN, **extra}
    if saver is not None:
        data["saved_by"] = saver
    store = Store.open(tmp_path / "zen.db")
    store.save_health("gh", data, SAVED)
    return store


def gone() -> str:
    owner = leases.new_owner()
    leases.forget(owner)  # closed in this process: certainly not running
    return owner


def test_a_current_record_of_a_running_saver_is_honoured(tmp_path: Path) -> None:
    owner = leases.new_owner()  # this process: running
    store = saved(tmp_path, owner)
    try:
        assert breaker_open_until(store, "gh", SAVED + 10) == HALF_OPEN
        assert breaker_open_until(store, "gh", HALF_OPEN + 1) is None  # half-open time passed
    finally:
        store.close()
        leases.forget(owner)


def test_an_old_record_is_not_honoured(tmp_path: Path) -> None:
    owner = leases.new_owner()
    store = saved(tmp_path, owner)
    try:
        assert breaker_open_until(store, "gh", SAVED + STALE_AFTER + 1) is None
    finally:
        store.close()
        leases.forget(owner)


def test_a_gone_or_stopped_saver_is_not_honoured(tmp_path: Path) -> None:
    store = saved(tmp_path, gone())
    try:
        assert breaker_open_until(store, "gh", SAVED + 10) is None
    finally:
        store.close()
    owner = leases.new_owner()
    store = saved(tmp_path, owner, stopped=True)
    try:
        assert breaker_open_until(store, "gh", SAVED + 10) is None
    finally:
        store.close()
        leases.forget(owner)


def test_honoured_exactly_when_current_over_random_records(tmp_path: Path) -> None:
    rng = random.Random(1206)
    owner, dead = leases.new_owner(), gone()
    store = Store.open(tmp_path / "zen.db")
    try:
        for _ in range(300):
            saver = rng.choice([owner, dead, None])
            stopped = rng.random() < 0.3
            half = SAVED + rng.uniform(-60, 4 * STALE_AFTER)
            now = SAVED + rng.uniform(0, 2 * STALE_AFTER)
            data: dict[str, Any] = {"breaker": rng.choice(["open", "closed"]), "half_open_at": half}
            data |= {"stopped": stopped} | ({"saved_by": saver} if saver else {})
            store.save_health("gh", data, SAVED)
            current = (
                data["breaker"] == "open"
                and saver != dead
                and not stopped
                and now - SAVED <= STALE_AFTER
                and half > now
            )
            assert breaker_open_until(store, "gh", now) == (half if current else None), data
    finally:
        store.close()
        leases.forget(owner)
