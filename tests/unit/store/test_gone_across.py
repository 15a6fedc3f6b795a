"""Gone items across processes: two connections to one SQLite file (what two zen-tui
processes are to the store) learn that items left and land poll answers in random orders.

Freshness never goes back: an answer whose request went out before an item left (a gone
learnt by either connection, or a newer full listing without it) never puts it back; an
answer sent after (the item really re-opened) does. The gone records stay bounded.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tests.helpers import ManualClock
from zen_tui.models import PullRequest
from zen_tui.store import Store, gone

from .conftest import make_message, make_pr

N_ITEMS = 6
SECTIONS = ("a", "b")
STEPS = ["send", "send", "land", "land", "land", "close", "learn", "reopen"]


def pr(n: int, version: int) -> PullRequest:
    return make_pr(n, updated_at=f"2024-05-01T10:{version:02d}:00Z")


def ids_in(store: Store, section: str) -> dict[str, float]:
    """item id -> the stored row's fetch time."""
    return store.fetched_times(section)


@pytest.fixture
def two(db_path: Path, clock: ManualClock) -> Iterator[tuple[Store, Store]]:
    first, second = Store.open(db_path, clock=clock), Store.open(db_path, clock=clock)
    yield first, second
    first.close()
    second.close()


class Answer(msgspec.Struct):
    """A poll answer in flight: what the server held when its request went out at `sent`."""

    store: Store
    section: str
    full: bool
    sent: float
    items: list[PullRequest]


class World:
    """The server's items, the answers in flight, and every piece of evidence each section
    has had about each item: (time, present). The newest evidence is what the store holds."""

    def __init__(self, rng: random.Random, stores: tuple[Store, Store]) -> None:
        self.rng, self.stores = rng, stores
        self.now = 1000.0
        self.version = dict.fromkeys(range(N_ITEMS), 0)  # open items -> their version
        self.closed: set[int] = set()
        self.learnt: set[int] = set()  # closed, and a process has learnt it is gone since
        self.flight: list[Answer] = []
        # (section, item id) -> the newest evidence: when, and "listed", "unlisted" (a full
        # listing without it) or "gone"
        self.evidence: dict[tuple[str, str], tuple[float, str]] = {}
        self.last_gone: dict[str, float] = {}  # item id -> the newest gone learnt about it

    def tick(self) -> float:
        self.now += self.rng.choice([0.5, 1.0, 30.0])
        return self.now

    def step(self, step: str) -> None:
        getattr(self, step)()

    def send(self) -> None:
        open_ = sorted(set(self.version) - self.closed)
        full = self.rng.random() < 0.5
        shown = open_ if full else self.rng.sample(open_, self.rng.randint(0, len(open_)))
        items = [pr(n, self.version[n]) for n in shown]
        store, section = self.rng.choice(self.stores), self.rng.choice(SECTIONS)
        self.flight.append(Answer(store, section, full, self.tick(), items))

    def land(self) -> None:
        if not self.flight:
            return
        answer = self.flight.pop(self.rng.randrange(len(self.flight)))
        self.tick()
        listed = {item.id for item in answer.items}
        if answer.full:
            answer.store.save_section(answer.section, answer.items, answer.sent)
            for n in range(N_ITEMS):
                item_id = pr(n, 0).id
                self.note(
                    answer.section,
                    item_id,
                    answer.sent,
                    "listed" if item_id in listed else "unlisted",
                )
        else:
            answer.store.upsert_items(answer.section, answer.items, answer.sent)
            for item_id in listed:
                self.note(answer.section, item_id, answer.sent, "listed")

    def note(self, section: str, item_id: str, at: float, what: str) -> None:
        old = self.evidence.get((section, item_id))
        if old is None or old[0] < at:
            self.evidence[(section, item_id)] = (at, what)

    def close(self) -> None:
        open_ = sorted(set(self.version) - self.closed)
        if open_:
            self.closed.add(self.rng.choice(open_))
            self.tick()

    def learn(self) -> None:
        """A process reads the item itself and the server says it is gone."""
        candidates = sorted(self.closed - self.learnt)
        if not candidates:
            return
        n = self.rng.choice(candidates)
        at = self.tick()
        self.rng.choice(self.stores).forget_items([pr(n, 0).id], at=at)
        self.learnt.add(n)
        self.last_gone[pr(n, 0).id] = at
        for section in SECTIONS:
            self.note(section, pr(n, 0).id, at, "gone")

    def reopen(self) -> None:
        if self.closed:
            n = self.rng.choice(sorted(self.closed))
            self.closed.discard(n)
            self.learnt.discard(n)
            self.version[n] += 1
            self.tick()

    def check(self, exact: bool) -> None:
        """Never back: no stored copy was fetched at or before its item's newest gone, and
        nothing is held whose newest evidence is its gone. `exact`: and every item whose
        newest evidence lists it is held (no gone record was forgotten meanwhile). (An item
        a full listing left out may stay held on a newer copy another section took.)"""
        for store in self.stores:
            for section in SECTIONS:
                held = ids_in(store, section)
                for item_id, fetched_at in held.items():
                    assert fetched_at > self.last_gone.get(item_id, float("-inf")), item_id
                    assert self.evidence[(section, item_id)][1] != "gone", (section, item_id)
                listed = {
                    i for (s, i), (_, w) in self.evidence.items() if s == section and w == "listed"
                }
                if exact:
                    assert listed <= set(held), section


@pytest.mark.parametrize("seed", range(40))
def test_an_answer_sent_before_a_gone_never_restores_it_across_connections(
    two: tuple[Store, Store], seed: int
) -> None:
    """Polls sent, items closed and re-opened, gones learnt by either connection, answers
    (full listings and deltas) landing in random orders on either: after every step each
    section holds exactly the items whose newest evidence (by when its request went out)
    says they are there. So an item gone at T is never back after an answer sent before T
    lands, and an answer sent after T (re-opened) brings it back."""
    rng = random.Random(seed)
    world = World(rng, two)
    for _ in range(120):
        world.step(rng.choice(STEPS))
        world.check(exact=True)


@pytest.mark.parametrize("seed", range(20))
def test_forgotten_gone_records_still_hold_through_the_floor(
    two: tuple[Store, Store], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same interleavings with records forgotten after a few seconds or past three: a
    stale answer still never brings an item back (at worst one is held back until an answer
    newer than the floor lists it), and the records never exceed the bound."""
    monkeypatch.setattr(gone, "KEEP", 5.0)
    monkeypatch.setattr(gone, "MAX_RECORDS", 3)
    rng = random.Random(seed)
    world = World(rng, two)
    for _ in range(150):
        world.step(rng.choice(STEPS))
        world.check(exact=False)
        assert records(two[0]) <= 3


def records(store: Store) -> int:
    with store._read() as db:
        return int(db.execute("SELECT COUNT(*) FROM gone").fetchone()[0])


def test_a_gone_learnt_by_one_connection_drops_the_others_answer_in_flight(
    two: tuple[Store, Store],
) -> None:
    """The example: B's poll went out at 10 (the PR still open), A learnt at 20 that it is
    gone, B's answer lands at 25: the PR is not back, in either section. The PR re-opens; an
    answer sent at 30 brings it back."""
    first, second = two
    first.save_section("a", [pr(1, 0), pr(2, 0)], 5.0)
    first.forget_items([pr(1, 0).id], at=20.0)
    assert second.save_section("a", [pr(1, 0), pr(2, 0)], 10.0) == [pr(2, 0)]
    assert second.upsert_items("b", [pr(1, 0)], 10.0) == []
    assert set(ids_in(first, "a")) == {pr(2, 0).id} and ids_in(first, "b") == {}
    assert second.reconcile("a", [pr(1, 0)], 10.0, full=True) == []  # shown, not stored
    assert second.upsert_items("a", [pr(1, 1)], 30.0) == [pr(1, 1)]
    assert set(ids_in(first, "a")) == {pr(1, 0).id, pr(2, 0).id}


def test_a_channel_left_covers_messages_never_stored(two: tuple[Store, Store]) -> None:
    """A prefix gone (a Slack channel left) drops every message under it fetched before,
    also one no section held; one fetched after the rejoin comes back."""
    first, second = two
    kept, other = make_message("1.000001"), make_message("2.000002")
    first.upsert_items("a", [kept], 10.0)
    first.forget_items(prefixes=["slack1:C123:"], at=20.0)
    assert ids_in(second, "a") == {}
    assert second.upsert_items("a", [kept, other], 19.0) == []
    assert second.upsert_items("a", [other], 21.0) == [other]


def test_a_newer_full_listing_elsewhere_keeps_an_older_delta_from_adding(
    two: tuple[Store, Store],
) -> None:
    """A's full listing fetched at 20 lacks PR 3 (closed, left `is:open`); B's delta fetched at
    10 lists it and lands after: PR 3 stays out. A PR the listing has is still updated."""
    first, second = two
    first.save_section("a", [pr(1, 0)], 20.0)
    assert second.upsert_items("a", [pr(3, 0), pr(1, 1)], 10.0) == [pr(1, 1)]
    assert set(ids_in(first, "a")) == {pr(1, 0).id}


def test_gone_records_are_bounded_and_old_ones_count_through_the_floor(
    two: tuple[Store, Store],
) -> None:
    """Each write forgets the records older than KEEP before it and keeps at most
    MAX_RECORDS; an answer fetched before a forgotten record still adds nothing."""
    first, second = two
    first.forget_items([pr(1, 0).id], at=100.0)
    first.forget_items([pr(n, 0).id for n in range(2, 6)], at=100.0 + gone.KEEP + 1)
    assert records(first) == 4  # the first one is forgotten: older than KEEP
    assert second.upsert_items("a", [pr(1, 0)], 99.0) == []  # the floor is 100
    assert second.upsert_items("a", [pr(1, 0)], 101.0) == [pr(1, 0)]
    many = [f"gh:octo/app#{n}" for n in range(gone.MAX_RECORDS + 50)]
    second.forget_items(many, at=200.0 + gone.KEEP)
    second.forget_items(["gh:octo/app#last"], at=201.0 + gone.KEEP)
    assert records(first) <= gone.MAX_RECORDS
