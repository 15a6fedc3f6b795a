"""What left, learnt while the disk is full (real SQLite refusing the write, tests/fakes/
full_disk.py): the store cannot record it, so this process holds it in memory and obeys it as
the store would (a copy fetched at or before the gone never brings the item back, a Slack
channel's prefix too), writes it once the disk frees, and then holds it no longer."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from tests.fakes import full_disk
from zen_tui.models import Item, PullRequest
from zen_tui.store import Store, gone, notices

from .conftest import make_message, make_pr


def pr(n: int, version: int = 0) -> PullRequest:
    return make_pr(n, updated_at=f"2024-05-01T10:{version:02d}:00Z")


def big(item: PullRequest) -> PullRequest:
    """A copy too large for the room a full disk leaves (its write is refused)."""
    return msgspec.structs.replace(item, body="x" * 50_000)


def ids(items: Sequence[Item]) -> list[str]:
    return [item.id for item in items]


def shown(store: Store, section: str) -> list[str]:
    return ids(store.load_section(section)[0])


def test_a_gone_learnt_with_the_disk_full_keeps_an_older_answer_out(db_path: Path) -> None:
    """PR 1 is gone at 20, learnt with the disk full: answers fetched at 10 (full and delta)
    land after and do not bring it back; the stored row (not deleted) is not read back.
    The disk frees: the next write records it, memory lets it go, another process obeys."""
    store = Store.open(db_path)
    store.save_section("a", [pr(1), pr(2)], 5.0)
    full_disk.fill(store)
    store.forget_items([pr(1).id], at=20.0)
    assert notices.disk_full_seen() and full_disk.recorded(store) == set()  # not written
    assert store.upsert_items("a", [pr(1, 1)], 10.0) == []
    assert pr(1).id not in ids(store.save_section("a", [pr(1), pr(2)], 10.0))
    assert store.reconcile("a", [pr(1)], 10.0, full=True) == []
    assert shown(store, "a") == [pr(2).id]
    assert store.upsert_items("b", [pr(1, 2)], 21.0) == [pr(1, 2)]  # re-opened since: back

    full_disk.free(store)
    store.upsert_items("a", [pr(2, 1)], 30.0)
    assert full_disk.recorded(store) == {pr(1).id} and not store._unrecorded
    other = Store.open(db_path)  # another process: the record is what it obeys
    assert other.upsert_items("a", [pr(1)], 15.0) == []
    assert shown(other, "b") == [pr(1).id]  # the copy fetched after the gone stays
    other.close()
    store.close()


def test_a_channel_left_with_the_disk_full_covers_its_messages(db_path: Path) -> None:
    store = Store.open(db_path)
    kept, other = make_message("1.000001"), make_message("2.000002")
    store.upsert_items("a", [kept], 10.0)
    full_disk.fill(store)
    store.forget_items(prefixes=["slack1:C123:"], at=20.0)
    assert full_disk.recorded(store) == set()
    assert shown(store, "a") == []
    assert store.upsert_items("a", [kept, other], 19.0) == []
    assert store.upsert_items("a", [other], 21.0) == [other]  # fetched after the rejoin
    full_disk.free(store)
    store.upsert_items("b", [], 22.0)
    assert full_disk.recorded(store) == {"slack1:C123:"} and not store._unrecorded
    assert shown(store, "a") == [other.id]  # the rejoin's copy was not deleted on writing
    store.close()


def test_the_unrecorded_are_bounded_as_the_records_are(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most MAX_RECORDS, none older than KEEP before the newest; those forgotten raise the
    floor: a copy fetched before it adds no item the section does not hold."""
    monkeypatch.setattr(gone, "KEEP", 5.0)
    monkeypatch.setattr(gone, "MAX_RECORDS", 3)
    store = Store.open(db_path)
    store.save_section("a", [pr(9)], 1.0)
    full_disk.fill(store)
    for n in range(8):
        store.forget_items([pr(n).id], at=10.0 + n)
        held = store._unrecorded
        assert len(held.exact) + len(held.under) <= 3
    assert set(store._unrecorded.exact) == {pr(5).id, pr(6).id, pr(7).id}
    assert store._unrecorded.floor == 14.0
    assert store.upsert_items("a", [pr(1)], 13.0) == []  # under the floor: not added
    assert store.upsert_items("a", [pr(9, 1)], 13.0) == [pr(9, 1)]  # held: updated
    full_disk.free(store)
    store.upsert_items("a", [], 30.0)
    assert full_disk.recorded(store) == {pr(5).id, pr(6).id, pr(7).id}
    other = Store.open(db_path)
    assert other.upsert_items("b", [pr(2)], 13.0) == []  # the floor was written too
    other.close()
    store.close()


def test_every_read_leaves_out_what_left_while_the_disk_was_full(db_path: Path) -> None:
    """The rows could not be deleted: load_section, iter_section (`zen-tui list`) and
    find_item (a row's whole copy, a cross-link) read them as if the store had recorded it."""
    store = Store.open(db_path)
    store.save_section("a", [pr(1), pr(2)], 5.0)
    full_disk.fill(store)
    store.forget_items([pr(1).id], at=20.0)
    assert shown(store, "a") == [pr(2).id]
    assert ids(list(store.iter_section("a"))) == [pr(2).id]
    assert store.find_item(pr(1).id) is None and store.find_item(pr(2).id) == pr(2)
    store.close()


def test_a_listing_taken_with_the_disk_full_keeps_an_older_answer_from_adding(
    db_path: Path,
) -> None:
    """A full listing at 10 leaves PR 1 out while the disk is full (the store still holds the
    row of 5, its snapshot kept whole): an answer fetched before 10 lands after it and does
    not bring PR 1 back, as with a listing the store wrote. The disk frees: the listing is
    written, with the copies held (PR 1 fetched again at 11), and every process obeys it."""
    store = Store.open(db_path)
    store.save_section("a", [pr(1), pr(2)], 5.0)
    full_disk.fill(store)
    assert ids(store.save_section("a", [big(pr(2))], 10.0)) == [pr(2).id]
    with full_disk.on_disk(store) as written:
        assert written.load_section("a")[1] == 5.0  # not written
    assert store.upsert_items("a", [pr(1, 1)], 8.0) == []
    assert pr(1).id not in ids(store.save_section("a", [pr(1), pr(2)], 7.0))
    assert ids(store.reconcile("a", [pr(1)], 9.0, full=True)) == [pr(2).id]  # seen at 10
    assert store.upsert_items("a", [pr(1, 2)], 11.0) == [pr(1, 2)]  # fetched after: back
    full_disk.free(store)  # the next write writes what was held: the listing, P1 from 11
    assert store.upsert_items("a", [pr(3)], 9.0) == []  # fetched before the listing
    assert not store._unrecorded
    with full_disk.on_disk(store) as written:
        assert set(shown(written, "a")) == {pr(1).id, pr(2).id}
        assert written.upsert_items("a", [pr(4)], 9.5) == []  # it obeys the listing too
    store.save_section("a", [pr(2, 1)], 12.0)
    assert not store._unrecorded.listings
    other = Store.open(db_path)  # another process obeys the listing written
    assert other.upsert_items("a", [pr(1, 4)], 11.0) == []
    other.close()
    store.close()


@pytest.mark.parametrize("seed", range(40))
def test_older_answers_never_add_what_a_listing_left_out_disk_full_or_not(
    db_path: Path, seed: int
) -> None:
    """Seeded: a listing at a random time leaves some PRs out, with the disk full or not;
    answers fetched before it (deltas, stale and full listings, in a random order) never
    bring one of those back into what the store returns (or shows, once written)."""
    rng = random.Random(seed)
    store = Store.open(db_path)
    everyone = [pr(n) for n in range(8)]
    store.save_section("a", everyone, 1.0)
    full = rng.random() < 0.7
    if full:
        full_disk.fill(store)
    at = rng.uniform(10.0, 20.0)
    listed = [big(item) for item in rng.sample(everyone, rng.randint(0, 7))]
    left = {item.id for item in everyone} - set(ids(listed))
    store.save_section("a", listed, at)
    for _ in range(rng.randint(1, 6)):
        answer = rng.sample(everyone, rng.randint(1, 8))
        older = rng.uniform(1.5, at - 0.01)
        kind = rng.choice(["delta", "listing", "stale"])
        if kind == "delta":
            got = store.upsert_items("a", answer, older)
        elif kind == "listing":
            got = store.save_section("a", answer, older)
        else:
            got = store.reconcile("a", answer, older, full=rng.random() < 0.5)
        assert not left & set(ids(got)), (kind, older, at)
        if not full:  # (with the disk full, the store's snapshot of 1.0 as it was)
            assert not left & set(shown(store, "a"))
    store.close()
