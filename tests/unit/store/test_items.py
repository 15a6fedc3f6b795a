from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from zen_tui.store import Store

from .conftest import make_issue, make_message, make_pr


def test_save_and_load_a_section(store: Store) -> None:
    items = [make_pr(1), make_issue(), make_message()]
    store.save_section("prs:0:gh", items, fetched_at=123.5)
    loaded, fetched_at = store.load_section("prs:0:gh")
    assert fetched_at == 123.5
    assert sorted(loaded, key=lambda i: i.id) == sorted(items, key=lambda i: i.id)


def test_unknown_section_is_empty_with_no_fetch_time(store: Store) -> None:
    assert store.load_section("nope") == ([], None)


def test_items_load_newest_updated_first_across_timestamp_formats(store: Store) -> None:
    old = make_pr(1, updated_at="2024-01-01T10:00:00Z")
    mid = make_pr(2, updated_at="2024-01-01T11:30:00.000+0100")  # 10:30Z
    new = make_pr(3, updated_at="2024-01-01T11:00:00+00:00")
    store.save_section("s", [old, new, mid], 1.0)
    assert [i.id for i in store.load_section("s")[0]] == [new.id, mid.id, old.id]


def test_ties_keep_the_saved_order(store: Store) -> None:
    items = [make_pr(n) for n in (5, 2, 9)]  # same updated_at
    store.save_section("s", items, 1.0)
    assert store.load_section("s")[0] == items


def test_save_section_replaces_everything(store: Store) -> None:
    store.save_section("s", [make_pr(1), make_pr(2)], 1.0)
    store.save_section("s", [make_pr(3)], 2.0)
    assert store.load_section("s") == ([make_pr(3)], 2.0)


def test_save_section_with_no_items_records_the_fetch(store: Store) -> None:
    store.save_section("s", [make_pr(1)], 1.0)
    store.save_section("s", [], 2.0)
    assert store.load_section("s") == ([], 2.0)


def test_sections_are_independent(store: Store) -> None:
    store.save_section("a", [make_pr(1)], 1.0)
    store.save_section("b", [make_pr(2)], 2.0)
    store.save_section("a", [], 3.0)
    assert store.load_section("b") == ([make_pr(2)], 2.0)


def test_upsert_adds_and_replaces_and_moves_fetched_at(store: Store) -> None:
    store.save_section("s", [make_pr(1), make_pr(2)], 1.0)
    changed = make_pr(2, title="renamed", updated_at="2024-06-01T00:00:00Z")
    store.upsert_items("s", [changed, make_pr(3)], 5.0)
    items, fetched_at = store.load_section("s")
    assert fetched_at == 5.0
    assert items[0] == changed
    assert {i.id for i in items} == {make_pr(n).id for n in (1, 2, 3)}


def test_upsert_into_a_new_section_creates_it(store: Store) -> None:
    store.upsert_items("fresh", [make_message()], 7.0)
    assert store.load_section("fresh") == ([make_message()], 7.0)


def test_remove_items_only_touches_that_section(store: Store) -> None:
    store.save_section("a", [make_pr(1), make_pr(2)], 1.0)
    store.save_section("b", [make_pr(1)], 1.0)
    store.remove_items("a", [make_pr(1).id, "not-there"])
    assert store.load_section("a") == ([make_pr(2)], 1.0)
    assert store.load_section("b") == ([make_pr(1)], 1.0)


def test_find_item_returns_the_most_recently_fetched_copy(store: Store) -> None:
    store.save_section("a", [make_pr(1, title="old")], 1.0)
    store.save_section("b", [make_pr(1, title="new")], 2.0)
    found = store.find_item(make_pr(1).id)
    assert found is not None and found.title == "new"
    assert store.find_item("missing") is None


def test_a_row_from_a_newer_version_is_skipped_not_fatal(store: Store, db_path: Path) -> None:
    store.save_section("s", [make_pr(1)], 1.0)
    raw = sqlite3.connect(db_path)
    future = json.dumps({"v": 9, "type": "discussion", "data": {}})
    raw.execute(
        "INSERT INTO items (section_id, item_id, sort_key, fetched_at, data)"
        " VALUES ('s', 'x', 0, 1, ?)",
        (future,),
    )
    raw.commit()
    raw.close()
    assert store.load_section("s") == ([make_pr(1)], 1.0)


def test_items_survive_reopening(db_path: Path) -> None:
    with Store.open(db_path) as first:
        first.save_section("s", [make_issue()], 9.0)
    with Store.open(db_path) as second:
        assert second.load_section("s") == ([make_issue()], 9.0)
        assert second.recovered is None


def test_items_version_moves_with_every_item_write_and_other_connections(
    store: Store, db_path: Path
) -> None:
    """What the engine's stored copy is checked against: equal versions, equal items."""
    seen = [store.items_version()]
    store.load_section("s")
    assert store.items_version() == seen[-1]  # a read changes nothing
    writes = (
        lambda: store.save_section("s", [make_pr(1), make_pr(2)], 1.0),
        lambda: store.upsert_items("s", [make_pr(3)], 2.0),
        lambda: store.remove_items("s", ["gh:octo/app#1"]),
    )
    for write in writes:
        write()
        assert store.items_version() not in seen
        seen.append(store.items_version())
    other = Store.open(db_path)  # another process's `zen-tui sync`, say
    other.upsert_items("s", [make_pr(4)], 3.0)
    other.close()
    assert store.items_version() not in seen


def test_a_reread_hands_back_the_known_copy_of_each_unchanged_item_randomised(
    store: Store,
) -> None:
    """load_section(known=...) reads the same items as without it, in the same order; an item
    equal to the known one of its id is that object, any other is the stored copy. Seeded
    random sections of up to 1,200 rows (more than one decode chunk), random known copies
    (some equal, some stale, some of items no longer stored)."""
    for seed in range(30):
        rng = random.Random(seed)
        rows = [make_pr(n, title=f"v{rng.randrange(3)}") for n in range(rng.randrange(1200))]
        store.save_section("prs:0:gh", rows, float(seed))
        known = {}
        for n in rng.sample(range(1300), rng.randrange(1300)):
            kept = make_pr(n, title=f"v{rng.randrange(3)}")
            known[kept.id] = kept
        plain = store.load_section("prs:0:gh")[0]
        reread = store.load_section("prs:0:gh", known)[0]
        assert reread == plain, seed
        for item in reread:
            held = known.get(item.id)
            assert (item is held) == (held == item), (seed, item.id)
