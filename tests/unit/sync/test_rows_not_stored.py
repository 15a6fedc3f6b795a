"""Rows on screen whose whole item the store does not hold (models.as_row leaves an item's URL,
description and number to the store, read back by full_item).

Every way a row can be shown without its stored copy:
- the gateway's stale copy of a listing is shown but never written (items the store never
  saw, or only an older version of): they stay whole, as the disk-full listing's do;
- a delta the full disk refused was not shown at all (the section was read back from the
  store): its items are shown whole;
- another zen-tui on the same store dropped the item since (its full listing no longer had
  it, a repository renamed there, a login change cleared its rows): full_item raises
  NotStored, never a blank item, and the sections showing it list again in full.

Real SQLite files (one a second connection, as another process has); scripted client answers.
"""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from tests.fakes import full_disk
from tests.unit.sync.test_engine import SECTION, FakeClient, Result, engine, issue, poll
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.models import Issue, Item, body_of, is_row, url_of
from zen_tui.store import Store, notices
from zen_tui.sync.backend import NotStored
from zen_tui.sync.engine import SyncEngine


def described(n: int, updated: str = "2026-01-01T00:00:00Z") -> Issue:
    big = "y" * 9000 if n == 5 else ""  # P-5's descriptions need pages of their own
    return msgspec.structs.replace(
        issue(n, updated), body=f"{big}body {n} {updated}", url=f"https://x/P-{n}"
    )


def stale(items: list[Issue], at: float, **fields: object) -> object:
    err = CircuitOpen(service="jira", account="j")
    return Result(items, at, cache="stale", stale_error=err, **fields)


def shown(eng: SyncEngine) -> tuple[Item, ...]:
    snapshot = eng.snapshot(SECTION.id)
    assert snapshot is not None
    return snapshot.items


async def test_a_stale_listing_of_items_never_stored_is_shown_whole(tmp_path: Path) -> None:
    """Offline at start: the gateway serves its stale copy (the store never had P-9)."""
    store = Store.open(tmp_path / "zen-tui.db")
    eng = engine(store, FakeClient(answers=[stale([described(9)], 5.0)]))
    await poll(eng)
    (row,) = shown(eng)
    assert store.find_item(row.id) is None  # shown, not written
    whole = eng.full_item(row)
    assert url_of(whole) == "https://x/P-9"  # before: "" (nothing stored to read back)
    assert body_of(whole) == "body 9 2026-01-01T00:00:00Z"
    await eng.stop()


async def test_a_stale_listing_keeps_rows_for_what_the_store_holds(tmp_path: Path) -> None:
    """What the store holds at that version stays a row (memory: the point of rows); a
    newer copy than the store's is whole: the store's description is the older one."""
    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([described(1), described(2)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    newer = described(2, "2026-02-01T00:00:00Z")
    client.answers = [stale([described(1), newer], 10.0)]
    await poll(eng)
    by_id = {item.id: item for item in shown(eng)}
    assert is_row(by_id["j:P-1"]) and not is_row(by_id["j:P-2"])
    assert body_of(eng.full_item(by_id["j:P-2"])) == body_of(newer)  # not the stored, older
    assert url_of(eng.full_item(by_id["j:P-1"])) == "https://x/P-1"
    await eng.stop()


def fill_disk(store: Store) -> None:
    db = store._connection()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")


async def test_a_delta_the_full_disk_refused_is_shown_whole(tmp_path: Path) -> None:
    """Before, a delta poll read the section back from the store, which had not taken it:
    its new items were not shown at all."""
    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([described(1)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    fill_disk(store)
    big = msgspec.structs.replace(described(2), body="x" * 20_000)  # needs new pages
    client.answers = [Result([big], 20.0, cursor="c2")]
    await poll(eng)
    with full_disk.on_disk(store) as written:
        assert notices.disk_full_seen() and written.find_item("j:P-2") is None
    by_id = {item.id: item for item in shown(eng)}
    assert set(by_id) == {"j:P-1", "j:P-2"}
    assert body_of(eng.full_item(by_id["j:P-2"])) == "x" * 20_000
    assert url_of(eng.full_item(by_id["j:P-1"])) == "https://x/P-1"  # stored before
    await eng.stop()


async def test_a_row_another_process_dropped_says_so_and_is_listed_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "zen-tui.db"
    store = Store.open(path)
    client = FakeClient(answers=[Result([described(1), described(2)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    row = next(i for i in shown(eng) if i.id == "j:P-2")
    other = Store.open(path)  # another zen-tui: its full listing no longer has P-2
    other.save_section(SECTION.id, [described(1)], 15.0)
    with pytest.raises(NotStored, match="P-2 is not in the local store: refreshing"):
        eng.full_item(row)  # before: an item with url "" and body ""
    assert SECTION.id in eng._full_next  # listed again, in full, soon
    client.answers = [Result([described(1), described(2)], 20.0)]
    await poll(eng)  # still in the query: stored again, and whole once more
    again = next(i for i in shown(eng) if i.id == "j:P-2")
    assert url_of(eng.full_item(again)) == "https://x/P-2"
    other.close()
    await eng.stop()


@pytest.mark.parametrize("seed", range(12))
async def test_every_row_shown_reads_back_whole_randomised(tmp_path: Path, seed: int) -> None:
    """Random interleavings of full listings, deltas, the gateway's stale copies (full or
    delta), webhook copies, and the disk filling and freeing: after each step every item
    shown is whole, or a row whose URL and description the store gives back exactly as the
    newest copy shown of it said (never "", never another version's)."""
    rng = random.Random(seed)
    store = Store.open(tmp_path / f"s{seed}.db")
    client = FakeClient()
    eng = engine(store, client)
    latest: dict[str, Issue] = {}  # what each item's newest copy said
    for step in range(40):
        at = 10.0 + step
        batch = [
            described(n, f"2026-01-{rng.randint(1, 9):02d}T00:00:00Z")
            for n in rng.sample(range(6), rng.randint(1, 4))
        ]
        kind = rng.choice(["full", "delta", "stale-full", "stale-delta", "webhook", "disk"])
        if kind == "disk":
            db = store._connection()
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages if rng.random() < 0.6 else 10**6}")
            continue
        for item in batch:  # what the screen may now show of it (a newer copy wins)
            if item.id not in latest or item.updated_at >= latest[item.id].updated_at:
                latest[item.id] = item
        if kind == "webhook":
            eng.apply_items(SECTION.id, list(batch))
        else:
            if kind.endswith("full"):  # else a delta, once a cursor is stored
                eng._full_next.add(SECTION.id)
            stale_copy = kind.startswith("stale")
            answer = stale(batch, at, cursor="c") if stale_copy else Result(batch, at, cursor="c")
            client.answers = [answer]
            await poll(eng)
        for row in shown(eng):
            whole = eng.full_item(row)
            assert url_of(whole) == f"https://x/P-{row.key[2:]}", (seed, step, kind)
            if row.updated_at == latest[row.id].updated_at:
                assert body_of(whole) == body_of(latest[row.id]), (seed, step, kind)
    await eng.stop()
    store.close()
