"""The engine's periodic store checks run on one housekeeping loop (sync/housekeeping.py):
each chore at its own period, a failing chore logged once and never stopping the others, a
slow chore holding up no other, store calls off the event loop, and a stop that ends the
loop and waits for the store call under way. Fake clock: no sleeps."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import threading

import pytest

from zen_tui.gateway.clock import FakeClock
from zen_tui.sync.housekeeping import Housekeeping

START = 1000.0


def recorder(clock: FakeClock, runs: list[float], *, takes: float = 0.0):
    async def chore(_house: Housekeeping) -> None:
        runs.append(clock.time() - START)
        if takes:
            await clock.sleep(takes)

    return chore


@pytest.mark.parametrize("seed", range(40))
async def test_each_chore_runs_at_its_own_period(seed: int) -> None:
    rng = random.Random(seed)
    clock = FakeClock(START)
    house = Housekeeping(clock)
    periods = [rng.choice([5.0, 7.5, 30.0, 45.0, 60.0]) for _ in range(rng.randint(1, 4))]
    runs: list[list[float]] = [[] for _ in periods]
    for i, every in enumerate(periods):  # each takes a while, less than its period
        house.add(f"chore {i}", every, recorder(clock, runs[i], takes=rng.uniform(0, every / 2)))
    house.start()
    try:
        await clock.sleep(300.0 + 0.01)
    finally:
        await house.stop()
    for every, times in zip(periods, runs, strict=True):
        assert times == [every * k for k in range(1, int(300 // every) + 1)]


async def test_a_period_read_at_each_run_takes_effect_after_the_run_due() -> None:
    clock = FakeClock(START)
    house = Housekeeping(clock)
    period, runs = [30.0], list[float]()
    house.add("login watch", lambda: period[0], recorder(clock, runs))
    house.start()
    try:
        await clock.sleep(30.5)
        period[0] = 1.0  # shortened: the run due at 60 s stays, the next one is 1 s after
        await clock.sleep(33.0)
    finally:
        await house.stop()
    assert runs == [30.0, 60.0, 61.0, 62.0, 63.0]


async def test_a_chore_added_at_start_runs_at_once_then_keeps_its_period() -> None:
    """The retention prune's schedule: at the start (settled() right after start() waits
    for it), then each period; one added `at_start` to a running loop runs at once too."""
    clock = FakeClock(START)
    house = Housekeeping(clock)
    prunes: list[float] = []
    beats: list[float] = []
    late: list[float] = []
    house.add("store prune", 100.0, recorder(clock, prunes), at_start=True)
    house.add("health heartbeat", 60.0, recorder(clock, beats))
    house.start()
    try:
        await house.settled()
        assert prunes == [0.0] and beats == []
        await clock.sleep(250.0)
        house.add("late prune", 100.0, recorder(clock, late), at_start=True)
        await clock.sleep(150.5)
    finally:
        await house.stop()
    assert prunes == [0.0, 100.0, 200.0, 300.0, 400.0]
    assert beats == [60.0, 120.0, 180.0, 240.0, 300.0, 360.0]
    assert late == [250.0, 350.0]


async def test_a_failing_chore_is_logged_once_and_stops_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(START)
    house = Housekeeping(clock)
    good: list[float] = []
    broken = [True]
    tried: list[float] = []

    async def locked(_house: Housekeeping) -> None:
        tried.append(clock.time() - START)
        if broken[0]:
            raise sqlite3.OperationalError("database is\nlocked")

    async def buggy(_house: Housekeeping) -> None:
        raise KeyError("no such account")

    house.add("health heartbeat", 10.0, locked)
    house.add("login watch", 5.0, buggy)
    house.add("outbox store check", 5.0, recorder(clock, good))
    house.start()
    caplog.set_level(logging.INFO, logger="zen_tui.sync.housekeeping")
    try:
        await clock.sleep(50.5)
        broken[0] = False
        await clock.sleep(10.0)
        broken[0] = True
        await clock.sleep(10.0)
    finally:
        await house.stop()
    assert good == [5.0 * k for k in range(1, 15)]  # on time throughout
    assert tried == [10.0 * k for k in range(1, 8)]  # still tried at each period
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "login watch failed (tried again every 5 s): 'no such account'",
        "health heartbeat failed (tried again every 10 s): database is locked",
        "health heartbeat works again",
        "health heartbeat failed (tried again every 10 s): database is locked",
    ]
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback


async def test_a_chore_that_hangs_holds_up_no_other_and_is_not_started_twice() -> None:
    clock = FakeClock(START)
    house = Housekeeping(clock)
    hung: list[float] = []
    beats: list[float] = []
    never = asyncio.Event()

    async def reconnect(_house: Housekeeping) -> None:  # a keyring that never answers
        hung.append(clock.time() - START)
        await never.wait()

    house.add("login watch", 5.0, reconnect)
    house.add("health heartbeat", 60.0, recorder(clock, beats))
    house.start()
    await clock.sleep(180.5)
    await house.stop()  # ends the hung chore too
    assert hung == [5.0]
    assert beats == [60.0, 120.0, 180.0]


async def test_store_calls_run_in_one_worker_thread_and_the_loop_runs_on_meanwhile() -> None:
    clock = FakeClock(START)
    house = Housekeeping(clock)
    release = threading.Event()
    threads: list[int] = []

    def write() -> str:
        threads.append(threading.get_ident())
        release.wait(10)  # a write waiting for SQLite's lock
        return "written"

    async def heartbeat(house: Housekeeping) -> None:
        assert await house.off_loop(write) == "written"

    house.add("health heartbeat", 1.0, heartbeat)
    house.start()
    try:
        await clock.sleep(1.0)
        for _ in range(50):  # the event loop is not blocked by the write
            await asyncio.sleep(0)
        assert len(threads) == 1 and threads[0] != threading.get_ident()
        release.set()
        await house.settled()
        await clock.sleep(2.0)
        await house.settled()
        assert len(set(threads)) == 1 and len(threads) >= 2  # the same worker
    finally:
        release.set()
        await house.stop()


async def test_stop_waits_for_the_store_call_under_way_then_nothing_runs() -> None:
    clock = FakeClock(START)
    house = Housekeeping(clock)
    release = threading.Event()
    finished: list[str] = []
    runs: list[float] = []

    def write() -> None:
        release.wait(10)
        finished.append("write")

    async def heartbeat(house: Housekeeping) -> None:
        runs.append(clock.time() - START)
        await house.off_loop(write)

    house.add("health heartbeat", 1.0, heartbeat)
    house.start()
    await clock.sleep(1.0)
    for _ in range(50):  # the chore due at the same moment starts its write
        await asyncio.sleep(0)
    assert runs == [1.0]  # its write waits for SQLite
    stopping = asyncio.create_task(house.stop())
    for _ in range(50):
        await asyncio.sleep(0)
    assert not stopping.done()  # the store must not close under the write
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == ["write"]
    await clock.sleep(10.0)
    assert runs == [1.0]  # the loop is gone
    await house.stop()  # idempotent
