"""The store never replaces an item with an older version of itself, and a listing removes
only what it has evidence about (see the module docstring of zen_tui.store.items)."""

from __future__ import annotations

import random

import pytest

from tests.helpers import seeds
from zen_tui.store import Store
from zen_tui.store.codec import sort_key

from .conftest import make_pr

OLD, NEW = "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z"


def shown(store: Store, section: str) -> dict[str, tuple[str, str]]:
    return {i.id: (i.updated_at, i.title) for i in store.load_section(section)[0]}


def test_an_older_copy_never_replaces_a_newer_one(store: Store) -> None:
    closed = make_pr(1, updated_at=NEW, state="closed")
    store.upsert_items("s", [closed], 20.0)  # a webhook: closed at NEW
    kept = store.save_section("s", [make_pr(1, updated_at=OLD)], 10.0)  # a cached listing
    assert kept == [closed]
    assert store.load_section("s") == ([closed], 20.0)  # nor does the fetch time go back
    assert store.upsert_items("s", [make_pr(1, updated_at=OLD)], 30.0) == [closed]
    assert store.load_section("s")[0] == [closed]


def test_the_same_version_seen_later_wins(store: Store) -> None:
    store.upsert_items("s", [make_pr(1, title="webhook")], 20.0)
    store.save_section("s", [make_pr(1, title="cached listing")], 10.0)
    assert shown(store, "s") == {make_pr(1).id: (OLD, "webhook")}
    store.save_section("s", [make_pr(1, title="revalidated")], 30.0)
    assert shown(store, "s") == {make_pr(1).id: (OLD, "revalidated")}


def test_a_listing_drops_only_what_it_saw_after(store: Store) -> None:
    store.save_section("s", [make_pr(1), make_pr(2)], 10.0)
    store.upsert_items("s", [make_pr(3, updated_at=NEW)], 20.0)  # a webhook placed it
    store.save_section("s", [make_pr(1)], 15.0)  # fetched before the webhook: 3 stays
    assert set(shown(store, "s")) == {make_pr(1).id, make_pr(3).id}
    store.save_section("s", [make_pr(1)], 25.0)  # fetched after: 3 has left the query
    assert set(shown(store, "s")) == {make_pr(1).id}


def test_sections_sharing_an_item_never_take_an_older_copy(store: Store) -> None:
    store.upsert_items("a", [make_pr(1, updated_at=NEW, title="new")], 20.0)
    got = store.save_section("b", [make_pr(1, updated_at=OLD, title="old"), make_pr(2)], 10.0)
    assert [(i.id, i.title) for i in got] == [(make_pr(1).id, "new"), (make_pr(2).id, "PR 2")]
    assert shown(store, "b")[make_pr(1).id] == (NEW, "new")
    found = store.find_item(make_pr(1).id)
    assert found is not None and found.title == "new"


def test_reconcile_shows_the_rule_without_writing(store: Store) -> None:
    store.upsert_items("s", [make_pr(1, updated_at=NEW, title="new")], 20.0)
    view = store.reconcile("s", [make_pr(1, updated_at=OLD), make_pr(2)], 10.0, full=True)
    assert [(i.id, i.title) for i in view] == [(make_pr(1).id, "new"), (make_pr(2).id, "PR 2")]
    assert set(shown(store, "s")) == {make_pr(1).id}


# Seeds 0-11 in every run, 12-39 with `make soak` (each writes 60 times to a SQLite file).
@pytest.mark.parametrize("seed", seeds(every_run=range(12), soak=range(12, 40)))
def test_random_writes_never_lower_a_stored_version(store: Store, seed: int) -> None:
    """Seeded random full listings and upserts, in any order and with any fetch time: while
    an item stays in a section, its version never goes down."""
    rng = random.Random(seed)
    section_ids = [f"s{seed}a", f"s{seed}b"]
    last: dict[tuple[str, str], float] = {}
    for _ in range(60):
        section = rng.choice(section_ids)
        items = [
            make_pr(n, updated_at=f"2024-05-01T10:{rng.randrange(10):02d}:00Z")
            for n in rng.sample(range(1, 7), rng.randrange(0, 5))
        ]
        at = rng.uniform(0, 100)
        if rng.random() < 0.5:
            store.save_section(section, items, at)
        else:
            store.upsert_items(section, items, at)
        now: dict[tuple[str, str], float] = {}
        for sid in section_ids:
            for item in store.load_section(sid)[0]:
                now[(sid, item.id)] = sort_key(item.updated_at)
        for key, version in now.items():
            assert version >= last.get(key, 0.0), (seed, key)
        last = now
