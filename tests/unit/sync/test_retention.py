"""The store stays bounded however long zen-tui runs: done actions, cached responses of URLs
nothing polls any more and processed webhook ids are pruned at start and daily after."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.fakes.settings import engine_settings
from tests.helpers import seeds
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState, RatePause
from zen_tui.store import HttpCacheRow, OutboxEntry, Store
from zen_tui.sync import retention
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.housekeeping import Housekeeping
from zen_tui.sync.retention import DAY, Retention
from zen_tui.sync.wired import Wired

HOUR = 3600.0
HOURS = 20 * 24  # past every retention (webhook ids: 14 days)
KEEP = Retention()


def action(n: int) -> Action:
    return Action("add_label", f"gh:octo/app#{n}", "gh", {"label": "bug"})  # type: ignore[arg-type]


def oldest(db: Path, sql: str) -> float | None:
    with sqlite3.connect(db) as con:
        value = con.execute(sql).fetchone()[0]
    return None if value is None else float(value)


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


class Workload:
    """What a running zen-tui writes, hour by hour: actions that land (a few fail or stay
    pending), webhook deliveries processed, sections polled (some removed, new ones added)
    and previews opened on items never seen again."""

    def __init__(self, store: Store, clock: FakeClock, seed: int) -> None:
        self.store, self.clock, self.rng = store, clock, random.Random(seed)
        self.sections = [f"/search?q=section-{n}" for n in range(5)]
        self.kept_outbox: set[str] = set()  # pending / failed: never pruned
        self.written = 0
        self._n = 0

    def hour(self) -> None:
        rng, now = self.rng, self.clock.time()
        for _ in range(rng.randint(0, 4)):
            self._n += 1
            entry = self.store.outbox_add(action(self._n))
            fate = rng.choices([ActionState.DONE, ActionState.FAILED, None], [90, 5, 5])[0]
            if fate is None:
                self.kept_outbox.add(entry.id)
            else:
                self.store.outbox_update(entry.id, state=fate)
                if fate is ActionState.FAILED:
                    self.kept_outbox.add(entry.id)
            self.written += 1
        for _ in range(rng.randint(0, 4)):
            self._n += 1
            self.store.webhook_enqueue("github", f"d-{self._n}", "issues", b"{}", now)
            self.written += 1
        for row in self.store.webhook_pending():
            self.store.webhook_done(row.id)
        if rng.random() < 0.05:  # the user edits the config: a section goes, another comes
            self.sections.pop(rng.randrange(len(self.sections)))
            self._n += 1
            self.sections.append(f"/search?q=section-{self._n}")
        previews = [f"/repos/octo/app/pulls/{self._n + i}" for i in range(rng.randint(0, 3))]
        self._n += len(previews)
        for url in self.sections + previews:
            self.store.http_put(HttpCacheRow(url, 200, {}, b"[]", '"e"', None, now))
            self.written += 1


async def test_a_long_running_store_stays_bounded(tmp_path: Path) -> None:
    """Thirty days on the fake clock against a real SQLite file (twice the longest retention,
    14 days: every table reaches its steady state and is pruned past it; the 90 days it ran
    cost 15 s of SQLite writes and checked nothing more): after every simulated hour nothing
    older than its retention (plus one pruning period) is left, while what is still in use
    (polled sections, pending and failed actions) is never pruned."""
    db = tmp_path / "zen-tui.db"
    clock = FakeClock()
    store = Store.open(db, clock=clock.time)
    work = Workload(store, clock, seed=8)
    house = Housekeeping(clock)
    retention.keep_pruned(house, store, clock)
    house.start()
    slack = KEEP.every + HOUR
    try:
        for _ in range(30 * 24):
            work.hour()
            await clock.sleep(HOUR)
            now = clock.time()
            done = oldest(db, "SELECT MIN(updated_at) FROM outbox WHERE state = 'done'")
            assert done is None or done >= now - KEEP.outbox_done - slack
            fetched = oldest(db, "SELECT MIN(fetched_at) FROM http_cache")
            assert fetched is not None and fetched >= now - KEEP.http_unused - slack
            hooks = oldest(db, "SELECT MIN(done_at) FROM webhook_queue")
            assert hooks is None or hooks >= now - KEEP.webhook_ids - slack
            for url in work.sections:
                assert store.http_get(url) is not None
        kept = store.outbox_by_state(ActionState.PENDING, ActionState.FAILED)
        assert {e.id for e in kept} == work.kept_outbox
        rows = sum(count(db, t) for t in ("outbox", "http_cache", "webhook_queue"))
        assert rows < work.written / 3  # without pruning every row written would still be there
    finally:
        await house.stop()
        store.close()


async def test_a_week_away_keeps_the_validators_the_first_sync_revalidates_with(
    tmp_path: Path,
) -> None:
    """HTTP retention counts from the newest fetch, not from now: after 30 days closed, the
    cached responses of the sections still configured survive the prune at start."""
    store = Store.open(tmp_path / "zen-tui.db")
    store.http_put(HttpCacheRow("/old", 200, {}, b"", None, None, 1000.0))
    store.http_put(HttpCacheRow("/polled", 200, {}, b"", None, None, 1000.0 + 8 * DAY))
    retention.prune(store, now=1000.0 + 38 * DAY)
    assert store.http_get("/old") is None and store.http_get("/polled") is not None
    store.close()


async def test_the_engine_prunes_at_start_and_daily_while_running(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)

    def done_action(n: int) -> str:
        entry = store.outbox_add(action(n))
        store.outbox_update(entry.id, state=ActionState.DONE)
        return entry.id

    old = done_action(1)
    clock.advance(KEEP.outbox_done + 1)
    recent = done_action(2)
    settings = engine_settings()
    engine = SyncEngine(Wired(settings, store, EventBus(), clock, {}, {}, [], {}))  # type: ignore[arg-type]
    await engine.start()
    await engine.housekeeping.settled()  # the prune begun at the start
    assert store.outbox_get(old) is None and store.outbox_get(recent) is not None
    # Over a week running, in one step: sleeping through it woke the engine's 30-second
    # timer 24,000 times (50 s of the suite); the daily prune's wait ends all the same.
    clock.advance(KEEP.outbox_done + 1.5 * DAY)
    for _ in range(500):
        await engine.housekeeping.settled()
        if store.outbox_get(recent) is None:
            break
        await asyncio.sleep(0.01)
    assert store.outbox_get(recent) is None
    await engine.stop()


def test_the_default_retention_keeps_what_the_guide_promises_and_not_longer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """docs/store.md: done actions 7 days, responses 7 days before the newest fetch, webhook
    ids 14 days. An hour inside each is kept, an hour past it goes, and the prune says so."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    start = clock.time()
    ids = []
    for n in (1, 2):
        entry = store.outbox_add(action(n))
        store.outbox_update(entry.id, state=ActionState.DONE)
        ids.append(entry.id)
        store.webhook_enqueue("github", f"d-{n}", "issues", b"{}", clock.time())
        store.webhook_done(store.webhook_pending()[0].id)
        store.http_put(HttpCacheRow(f"/u{n}", 200, {}, b"", None, None, clock.time()))
        clock.advance(2 * HOUR)
    store.http_put(HttpCacheRow("/newest", 200, {}, b"", None, None, start + 7 * DAY + HOUR))
    with caplog.at_level("INFO", logger="zen_tui.sync.retention"):
        assert retention.prune(store, start + 7 * DAY + HOUR) == {
            "outbox": 1,
            "http_cache": 1,
            "webhook_queue": 0,
            "rate_pauses": 0,
        }
    assert store.outbox_get(ids[0]) is None and store.outbox_get(ids[1]) is not None
    assert store.http_get("/u1") is None and store.http_get("/u2") is not None
    assert "pruned 1 outbox, 1 http_cache" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="zen_tui.sync.retention"):
        assert retention.prune(store, start + 14 * DAY + HOUR)["webhook_queue"] == 1
        assert retention.prune(store, start + 14 * DAY + HOUR)["webhook_queue"] == 0
    assert caplog.text.count("pruned") == 1  # a prune that found nothing says nothing
    store.close()


def locking(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[float], list[bool]]:
    """The store's outbox prune, failing as a locked store while `broken[0]`; `calls` are the
    times (since the clock's start) it was tried."""
    calls: list[float] = []
    broken = [True]
    real = store.outbox_prune
    start = clock.time()

    def flaky(done_before: float) -> int:
        calls.append(clock.time() - start)
        if broken[0]:
            raise sqlite3.OperationalError("database is\nlocked")
        return real(done_before)

    monkeypatch.setattr(store, "outbox_prune", flaky)
    return calls, broken


async def test_the_prune_runs_at_the_start_then_at_its_period_beside_the_other_chores(
    tmp_path: Path,
) -> None:
    """A chore of the housekeeping loop: first at its start (not a day after), then daily,
    in the housekeeping's worker thread, while a 30 s chore keeps its own period."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    start, threads = clock.time(), set[int]()
    pruned: list[float] = []
    real = store.outbox_prune

    def traced(done_before: float) -> int:
        pruned.append(clock.time() - start)
        threads.add(threading.get_ident())
        return real(done_before)

    store.outbox_prune = traced  # type: ignore[method-assign]
    house, checks = Housekeeping(clock), list[float]()

    async def check(_house: Housekeeping) -> None:
        checks.append(clock.time() - start)

    house.add("outbox store check", 30.0, check)
    retention.keep_pruned(house, store, clock)
    house.start()
    try:
        await house.settled()
        assert pruned == [0.0]  # at the start: before any period has passed
        await clock.sleep(2 * DAY + 1)  # two periods (a third cost 1 s more, checked no more)
        await house.settled()
    finally:
        await house.stop()
        store.close()
    assert pruned == [0.0, DAY, 2 * DAY]
    assert checks == [30.0 * k for k in range(1, int(2 * DAY // 30) + 1)]
    assert len(threads) == 1 and threading.get_ident() not in threads  # off the event loop


async def test_a_failing_prune_is_logged_once_and_stops_no_other_chore(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy or read-only store must not stop syncing: the prune is tried again each day,
    said once (one line, not every day, no traceback), and the other chores run on time."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    calls, broken = locking(store, clock, monkeypatch)
    house, beats, start = Housekeeping(clock), list[float](), clock.time()

    async def beat(_house: Housekeeping) -> None:
        beats.append(clock.time() - start)

    house.add("health heartbeat", 60.0, beat)
    retention.keep_pruned(house, store, clock)
    house.start()
    caplog.set_level(logging.INFO, logger="zen_tui.sync")
    try:
        await clock.sleep(DAY + 1)  # two failures: at the start and a day after
        broken[0] = False
        await clock.sleep(DAY)
        await house.settled()
    finally:
        await house.stop()
        store.close()
    assert calls == [0.0, DAY, 2 * DAY]
    assert beats == [60.0 * k for k in range(1, int((2 * DAY + 1) // 60) + 1)]
    said = [r.getMessage() for r in caplog.records if r.name == "zen_tui.sync.housekeeping"]
    assert said == [
        "store prune failed (tried again every 86400 s): database is locked",
        "store prune works again",
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_stop_stops_the_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the housekeeping's stop (the engine's stop, before the store closes) no prune
    runs any more, however long the clock runs on."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    calls, broken = locking(store, clock, monkeypatch)
    broken[0] = False
    house = Housekeeping(clock)
    retention.keep_pruned(house, store, clock)
    house.start()
    await clock.sleep(DAY + 1)
    await house.settled()
    assert calls == [0.0, DAY]
    await house.stop()
    await clock.sleep(5 * DAY)
    assert calls == [0.0, DAY]
    store.close()


async def test_the_engine_has_no_prune_timer_of_its_own(tmp_path: Path) -> None:
    """The prune is a housekeeping chore: no task of the engine's own runs it, and the
    engine's stop stops it with the other chores."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    pruned: list[float] = []
    real = store.outbox_prune

    def traced(done_before: float) -> int:
        pruned.append(clock.time())
        return real(done_before)

    store.outbox_prune = traced  # type: ignore[method-assign]
    engine = SyncEngine(Wired(engine_settings(), store, EventBus(), clock, {}, {}, [], {}))  # type: ignore[arg-type]
    await engine.start()
    await engine.housekeeping.settled()
    assert [t.get_name() for t in engine._tasks if t.get_name() == "prune"] == []
    assert len(pruned) == 1
    await engine.stop()
    await clock.sleep(3 * DAY)
    assert len(pruned) == 1


def test_an_environment_logins_rows_unused_for_30_days_go_but_this_processs_own(
    tmp_path: Path,
) -> None:
    """data_dir/logins/ID.db (sync/session_rows.py): a token no longer used leaves its file;
    the prune deletes one not written for login_rows_unused (with its -wal and -shm), keeps
    a recent one, and never the one this process's environment login reads."""
    import os

    from zen_tui.paths import login_rows_path
    from zen_tui.sync.session_rows import RowStores

    now = 1_800_000_000.0
    files = {}
    for name, age in (("old", 31 * DAY), ("recent", 29 * DAY), ("mine", 90 * DAY)):
        path = login_rows_path(tmp_path, name)
        Store.open(path).close()
        wal = path.with_name(path.name + "-wal")
        wal.write_bytes(b"")
        for part in (path, wal):
            os.utime(part, (now - age, now - age))
        files[name] = path
    with Store.open(":memory:") as shared:
        rows = RowStores(shared, {"gh": "mine"}, data_dir=tmp_path)
        assert retention.prune(shared, now, rows=rows)["login_rows"] == 1
        assert retention.prune(shared, now, rows=rows)["login_rows"] == 0
        rows.close()
    assert sorted(p.name for p in files["old"].parent.iterdir()) == [
        "mine.db",
        "mine.db-wal",
        "recent.db",
        "recent.db-wal",
    ]


class Lifetimes:
    """A random outbox life over a real SQLite file, for the retention's two promises: chains
    (create, then reply with its link) and single actions that land, fail, are retried or
    cleared by the user, or are cancelled while their outcome is unknown (then dropped);
    webhook deliveries processed or still queued; rate-limit pauses met and ended."""

    OWNER = "test-host/1/1"

    def __init__(self, store: Store, clock: FakeClock, rng: random.Random) -> None:
        self.store, self.clock, self.rng = store, clock, rng
        self._n = 0

    def _action(self) -> Action:
        self._n += 1
        return action(self._n)

    def queue(self) -> None:
        if self.rng.random() < 0.4:
            steps = [(self._action(), None) for _ in range(self.rng.randint(2, 3))]
            self.store.outbox_add_chain(steps)
        else:
            self.store.outbox_add(self._action())

    def settle(self, moves: int) -> None:
        """Entries not done move on as a sender or the user would move them."""
        waiting = self.store.outbox_by_state(
            ActionState.PENDING, ActionState.UNKNOWN, ActionState.FAILED
        )
        for picked in self.rng.sample(waiting, min(moves, len(waiting))):
            entry = self.store.outbox_get(picked.id)  # as it is now: a move above changed it
            if entry is not None:
                self._move(entry)

    def _move(self, entry: OutboxEntry) -> None:
        rng = self.rng
        if entry.state is ActionState.FAILED:  # the user: `zen-tui outbox retry` or `clear`
            if rng.random() < 0.5:
                self.store.outbox_update(entry.id, state=ActionState.PENDING)
            else:
                self.store.outbox_delete_failed(entry.id)
            return
        before = self.store.outbox_get(entry.after_id) if entry.after_id else None
        if before is not None and before.state is ActionState.FAILED:  # as Outbox._chained
            self.store.outbox_update(entry.id, state=ActionState.FAILED)
            return
        if before is not None and before.state is not ActionState.DONE:
            return  # a later step waits for the one before it
        fate = rng.choices(["done", "failed", "unknown", "drop"], [70, 15, 10, 5])[0]
        if fate == "drop" and entry.state is ActionState.UNKNOWN and entry.after_id is None:
            self.store.outbox_cancel(entry.id, alive=lambda owner: False)
            self.store.outbox_claim(entry.id, self.OWNER, lease=60.0, alive=lambda o: False)
            self.store.outbox_drop(entry.id, self.OWNER)
        elif fate in ("done", "failed", "unknown"):
            self.store.outbox_update(entry.id, state=ActionState(fate))

    def deliveries(self) -> None:
        now = self.clock.time()
        for _ in range(self.rng.randint(0, 2)):
            self._n += 1
            self.store.webhook_enqueue("github", f"d-{self._n}", "issues", b"{}", now)
        for row in self.store.webhook_pending():
            if self.rng.random() < 0.7:  # some wait (the disk full, the engine stopped)
                self.store.webhook_done(row.id)

    def pauses(self) -> None:
        now = self.clock.time()
        if self.rng.random() < 0.3:
            until = now + self.rng.uniform(1, 20 * HOUR)
            scope = self.rng.choice(["core", "search", "tier3:chat.postMessage"])
            self.store.save_rate_pause(RatePause("gh", "github", scope, until, now, "HTTP 429"))
        for pause in self.store.rate_pauses():
            if pause.until > now and self.rng.random() < 0.1:  # a success on the scope
                self.store.end_rate_pause(pause.account, pause.scope, now)


def _needed_before(store: Store) -> set[str]:
    """Ids of the done steps a step after them still needs: one not done (a failed one may be
    retried: `zen-tui outbox retry`, then it is filled from the step before it)."""
    entries = store.outbox_by_state(*ActionState)
    by_id = {e.id: e for e in entries}
    return {e.after_id for e in entries if e.after_id in by_id and e.state is not ActionState.DONE}


@pytest.mark.parametrize("seed", seeds(every_run=range(2), soak=range(2, 24)))
def test_retention_never_prunes_what_is_needed_and_keeps_every_table_bounded(
    tmp_path: Path, seed: int
) -> None:
    """Twenty days of random outbox lives (chains, retries, clears, drops), deliveries and
    pauses on a fake clock over a real SQLite file, pruned daily as the engine does. After
    every prune: no row past its retention is left in any table it covers, and nothing
    still needed went (an entry not done, the step a later one is filled from, a delivery
    not processed, a pause not over)."""
    rng = random.Random(seed)
    db = tmp_path / "zen-tui.db"
    clock = FakeClock()
    store = Store.open(db, clock=clock.time)
    life = Lifetimes(store, clock, rng)
    try:
        for hour in range(HOURS):
            for _ in range(rng.randint(0, 3)):
                life.queue()
            life.settle(rng.randint(2, 6))
            life.deliveries()
            life.pauses()
            clock.advance(HOUR)
            if hour % 24:
                continue
            now = clock.time()
            needed = _needed_before(store)
            unsettled = store.outbox_by_state(
                ActionState.PENDING, ActionState.UNKNOWN, ActionState.FAILED
            )
            waiting = {row.id for row in store.webhook_pending(limit=10_000)}
            running = {(p.scope, p.until) for p in store.rate_pauses() if p.until > now}
            retention.prune(store, now)
            assert needed <= {e.id for e in store.outbox_by_state(*ActionState)}, (seed, hour)
            assert {e.id for e in unsettled} <= {e.id for e in store.outbox_by_state(*ActionState)}
            assert waiting <= {row.id for row in store.webhook_pending(limit=10_000)}
            assert running <= {(p.scope, p.until) for p in store.rate_pauses()}
            kept = now - KEEP.outbox_done
            with sqlite3.connect(db) as con:
                old = con.execute(
                    "SELECT id FROM outbox WHERE state = 'done' AND updated_at < ?", (kept,)
                ).fetchall()
            assert {row[0] for row in old} <= _needed_before(store), (seed, hour)
            dropped = oldest(db, "SELECT MIN(dropped_at) FROM outbox_dropped")
            assert dropped is None or dropped >= kept, (seed, hour)
            hooks = oldest(db, "SELECT MIN(done_at) FROM webhook_queue")
            assert hooks is None or hooks >= now - KEEP.webhook_ids, (seed, hour)
            over = oldest(db, "SELECT MIN(until) FROM rate_pauses")
            assert over is None or over >= now - KEEP.rate_pauses, (seed, hour)
        assert count(db, "outbox_dropped") < 60  # what was dropped went too, not only kept
    finally:
        store.close()


def test_a_done_step_stays_while_the_failed_step_after_it_may_be_retried(tmp_path: Path) -> None:
    """What the randomised test found (every seed): a chain's first step done, the reply
    after it failed; a week on, the prune took the first step, so `zen-tui outbox retry` of
    the reply failed at once ("the step before it is gone"). It now stays until the failed
    step is cleared (or lands)."""
    clock = FakeClock()
    store = Store.open(tmp_path / "zen-tui.db", clock=clock.time)
    first, reply = store.outbox_add_chain([(action(1), None), (action(2), None)])
    store.outbox_update(first.id, state=ActionState.DONE)
    store.outbox_update(reply.id, state=ActionState.FAILED)
    clock.advance(KEEP.outbox_done + DAY)
    retention.prune(store, clock.time())
    assert store.outbox_get(first.id) is not None
    store.outbox_delete_failed(reply.id)
    retention.prune(store, clock.time())
    assert store.outbox_get(first.id) is None
    store.close()
