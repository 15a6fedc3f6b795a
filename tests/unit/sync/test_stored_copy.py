"""A poll that fails before any live answer (offline, not logged in) falls back to the store:
the engine hands out the copy of the section it read last while the store has not changed
since, instead of decoding every item again (10,000 items held twice at the dashboard's
peak). Any write (through this store, or by another connection: another zen-tui process)
makes the next fallback read the store again: it never shows an older stored copy.

Real SQLite files (a second connection is another process's `zen-tui sync`); scripted
client answers."""

from __future__ import annotations

import random
from pathlib import Path

from tests.unit.sync.test_engine import SECTION, FakeClient, Result, engine, issue, poll
from zen_tui.gateway.errors import Unavailable
from zen_tui.models import FreshnessState
from zen_tui.store import Store


def offline() -> Unavailable:
    return Unavailable(service="jira", account="j", message="connection refused")


class CountingStore(Store):
    loads = 0

    def load_section(self, section_id: str, known=None, *, rows=False):  # type: ignore[no-untyped-def]
        self.loads += 1
        return super().load_section(section_id, known, rows=rows)


def open_counting(path: Path) -> CountingStore:
    store = Store.open(path)
    store.__class__ = CountingStore  # the same store, its full reads counted
    return store  # type: ignore[return-value]


async def test_a_failed_first_poll_shows_the_copy_already_loaded(tmp_path: Path) -> None:
    path = tmp_path / "zen-tui.db"
    seed = Store.open(path)
    seed.save_section(SECTION.id, [issue(n) for n in range(50)], 10.0)
    seed.close()
    store = open_counting(path)
    client = FakeClient(answers=[offline(), offline()])
    eng = engine(store, client)
    shown = eng.load_local()[SECTION.id]
    await poll(eng)
    await poll(eng)
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None and snapshot.freshness.state is FreshnessState.LOCAL
    assert snapshot.items is shown.items  # the same objects: not decoded a second time
    assert store.loads == 1


async def test_a_live_poll_drops_the_stored_copy(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "zen-tui.db")
    store.save_section(SECTION.id, [issue(1)], 10.0)
    client = FakeClient(answers=[Result([issue(2)], 20.0)])
    eng = engine(store, client)
    eng.load_local()
    assert SECTION.id in eng._stored_copy
    await poll(eng)
    assert eng._stored_copy == {}  # the screen shows the live answer: no reference kept


async def test_a_write_by_another_process_rereads_but_keeps_the_unchanged_objects(
    tmp_path: Path,
) -> None:
    """Another connection commits (another zen-tui process): the fallback reads the store
    again, and hands back the object already shown for every row that did not change, so
    the section is never held twice; the changed row is the new copy."""
    path = tmp_path / "zen-tui.db"
    store, other = open_counting(path), Store.open(path)
    store.save_section(SECTION.id, [issue(n) for n in range(50)], 10.0)
    eng = engine(store, FakeClient(answers=[offline()]))
    shown = eng.load_local()[SECTION.id].items
    other.upsert_items(SECTION.id, [issue(7, "2026-02-01T00:00:00Z", title="new")], 20.0)
    await poll(eng)
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None and store.loads == 2  # read again: the store changed
    before = {item.id: item for item in shown}
    changed = [item for item in snapshot.items if item is not before[item.id]]
    assert [(item.id, item.title) for item in changed] == [("j:P-7", "new")]
    other.close()
    await eng.stop()


async def test_a_delta_poll_keeps_the_objects_of_the_rows_it_did_not_change(
    tmp_path: Path,
) -> None:
    """A delta poll stores its few rows and re-reads the section: every other row comes
    back as the object the screen already holds (not a second copy of the section)."""
    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([issue(n) for n in range(30)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    first = eng.snapshot(SECTION.id)
    assert first is not None
    client.answers = [Result([issue(3, "2026-02-01T00:00:00Z", "new")], 20.0, cursor="c2")]
    await poll(eng)
    assert client.cursors == [None, "c1"]  # the second poll was a delta
    second = eng.snapshot(SECTION.id)
    rows = store.load_section(SECTION.id, rows=True)[0]
    assert second is not None and second.items == tuple(rows)
    before = {item.id: item for item in first.items}
    changed = [item for item in second.items if item is not before[item.id]]
    assert [(item.id, item.title) for item in changed] == [("j:P-3", "new")]
    await eng.stop()


async def test_fallbacks_never_show_an_older_stored_copy_randomised(tmp_path: Path) -> None:
    """Seeded random interleavings of writes (through this store, through another
    connection), failed polls and start-up loads: after every failed poll the section shows
    exactly what the store holds."""
    for seed in range(40):
        rng = random.Random(seed)
        path = tmp_path / f"zen-tui-{seed}.db"
        store, other = Store.open(path), Store.open(path)
        store.save_section(SECTION.id, [issue(0)], 1.0)
        client = FakeClient()
        eng = engine(store, client)
        shown = {item.id: item for item in eng.load_local()[SECTION.id].items}
        at = 2.0
        for _ in range(25):
            at += 1.0
            n = rng.randrange(8)
            writer = rng.choice((store, other))
            step = rng.choice(("upsert", "remove", "save", "poll", "poll", "load"))
            if step == "upsert":
                updated = f"2026-01-{n + 1:02d}T00:00:00Z"
                writer.upsert_items(SECTION.id, [issue(n, updated, title=f"v{at}")], at)
            elif step == "remove":
                writer.remove_items(SECTION.id, [f"j:P-{n}"])
            elif step == "save":
                writer.save_section(SECTION.id, [issue(k) for k in range(n)], at)
            elif step == "load":
                eng.load_local()
            else:
                client.answers = [offline()]
                await poll(eng)
                snapshot = eng.snapshot(SECTION.id)
                assert snapshot is not None
                held = store.load_section(SECTION.id, rows=True)[0]
                assert list(snapshot.items) == held, (seed, step)
                # never two copies of an equal item: the one shown before is handed back
                for item in snapshot.items:
                    old = shown.get(item.id)
                    assert old is None or old != item or old is item, (seed, item.id)
            current = eng.snapshot(SECTION.id)
            if current is not None:
                shown = {item.id: item for item in current.items}
        other.close()
        await eng.stop()
