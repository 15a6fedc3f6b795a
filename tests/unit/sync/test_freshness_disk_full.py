"""Freshness never goes back across a full disk: the copies a write could not take (a delta's,
a full listing's, a webhook's) are what the section shows while the disk is full, and they
stay what it shows and what the store holds once the disk frees. Before, a delta polled
after the disk freed wrote its own items and read the section back from the store, which
still held the copies from before the disk filled: an item changed meanwhile went back.

Through the real engine and a real SQLite file (tests/fakes/full_disk.py: SQLite refusing
the write); scripted client answers, each what the server held when its request went out.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest

from tests.fakes import full_disk
from tests.unit.sync.test_engine import SECTION, FakeClient, Result, engine, issue, poll
from zen_tui.gateway.clock import FakeClock
from zen_tui.models import Issue, Item
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine


def copy(n: int, version: int) -> Issue:
    """Item n at a version; each version's description is longer than the one before, so
    a full disk refuses every write of it (the room an older copy leaves does not hold it)."""
    updated = f"2026-01-{version + 1:02d}T00:00:00Z"
    return msgspec.structs.replace(issue(n, updated), body="x" * 5000 * (version + 1))


def versions(items: Iterator[Item] | list[Item] | tuple[Item, ...]) -> dict[str, str]:
    return {item.id: item.updated_at for item in items}


def shown(eng: SyncEngine) -> dict[str, str]:
    snapshot = eng.snapshot(SECTION.id)
    return {} if snapshot is None else versions(snapshot.items)


async def test_a_delta_after_the_disk_frees_keeps_what_the_full_disk_showed(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "zen-tui.db")
    client = FakeClient(answers=[Result([copy(1, 0), copy(2, 0)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    full_disk.fill(store)
    client.answers = [Result([copy(1, 1)], 20.0, cursor="c2")]  # P-1 changed: not written
    await poll(eng)
    client.answers = [Result([copy(2, 1)], 30.0, cursor="c3")]  # a delta without P-1
    await poll(eng)
    assert shown(eng) == versions([copy(1, 1), copy(2, 1)])  # before: P-1 back at v0
    full_disk.free(store)
    client.answers = [Result([copy(3, 0)], 40.0, cursor="c4")]
    await poll(eng)
    newest = versions([copy(1, 1), copy(2, 1), copy(3, 0)])
    assert shown(eng) == newest  # before: P-1 and P-2 back at v0
    with full_disk.on_disk(store) as written:  # what another process (or a restart) reads
        assert versions(written.load_section(SECTION.id)[0]) == newest
        assert written.section_fetched_at(SECTION.id) == 40.0
    assert not store._unrecorded  # all of it written: nothing held in memory
    await eng.stop()
    store.close()


class ServerClient(FakeClient):
    """Answers as the server would have when the request went out (`held`: its time, all
    its items, the changed ones a delta lists): in full when the engine asks in full (no
    cursor: asked, or its periodic full listing), else the delta."""

    held: tuple[float, list[Issue], list[Issue]] = (0.0, [], [])

    async def fetch_section(self, section: Any, **kw: Any) -> Any:
        sent, everything, changed = self.held
        listed = everything if kw.get("cursor") is None else changed
        self.answers = [Result(listed, sent, cursor="c")]
        return await super().fetch_section(section, **kw)  # type: ignore[no-untyped-call]


class World:
    """The server's items, each at a version (new ones appear); the answers in flight, each
    what the server held when its request went out; the newest version of each item the
    section has shown."""

    def __init__(self, rng: random.Random, eng: SyncEngine, store: Store) -> None:
        self.rng, self.eng, self.store = rng, eng, store
        self.client = cast(ServerClient, eng.wired.clients["j"])
        self.clock = cast(FakeClock, eng.wired.clock)
        self.version = dict.fromkeys(range(3), 0)
        self.flight: list[tuple[float, bool, list[Issue], list[Issue]]] = []
        self.seen: dict[str, str] = {}  # item id -> the newest version shown of it
        self.full = False  # the disk

    async def step(self, kind: str) -> bool:
        """Takes a step; True if it wrote to the store (or tried to, the disk full)."""
        self.clock.advance(self.rng.choice([0.5, 1.0, 30.0]))
        if kind == "land":
            return await self.land()
        if kind == "webhook":
            return self.webhook()
        if kind == "send":
            self.send()
        elif kind == "change":
            n = self.rng.choice(sorted(self.version))
            self.version[n] += 1
        elif kind == "new" and len(self.version) < 7:
            self.version[len(self.version)] = 0
        elif kind == "disk":
            self.full = self.rng.random() < 0.6
            (full_disk.fill if self.full else full_disk.free)(self.store)
        return False

    def send(self) -> None:
        everything = [copy(n, v) for n, v in self.version.items()]
        changed = self.rng.sample(everything, self.rng.randint(0, len(everything)))
        self.flight.append((self.clock.time(), self.rng.random() < 0.4, everything, changed))

    async def land(self) -> bool:
        if not self.flight:
            return False
        sent, full, everything, changed = self.flight.pop(self.rng.randrange(len(self.flight)))
        if full:
            self.eng._full_next.add(SECTION.id)
        self.client.held = (sent, everything, changed)
        await poll(self.eng)
        return True

    def webhook(self) -> bool:
        """A delivery: an item as the server holds it now (a webhook sends the new state)."""
        on_screen = sorted(shown(self.eng))
        if not on_screen:
            return False
        n = int(self.rng.choice(on_screen).rpartition("-")[2])
        self.eng.apply_items(SECTION.id, [copy(n, self.version[n])])
        return True

    def check(self, where: str, wrote: bool) -> None:
        """Nothing shown goes back to an older version or away (no item leaves this world),
        nor does the store as this process reads it; once a write landed on a free disk,
        neither does the file as another process reads it."""
        now = shown(self.eng)
        for item_id, newest in self.seen.items():
            assert now.get(item_id, "") >= newest, (where, item_id, "shown")
        self.seen.update(now)
        reads = [versions(self.store.load_section(SECTION.id)[0])]
        if wrote and not self.full:
            with full_disk.on_disk(self.store) as written:
                reads.append(versions(written.load_section(SECTION.id)[0]))
        for read in reads:
            for item_id, newest in self.seen.items():
                assert read.get(item_id, "") >= newest, (where, item_id, "stored")


@pytest.mark.parametrize("seed", range(24))
async def test_freshness_never_goes_back_whatever_the_disk_does_randomised(
    tmp_path: Path, seed: int
) -> None:
    """Answers (full listings and deltas) sent and landing in random orders, items changing
    and appearing on the server, webhook deliveries, the disk filling and freeing: after
    every step no item shown, nor the store, is older than what the section showed before.
    At the end, the disk free and one answer landed: all of it is in the file."""
    rng = random.Random(seed)
    store = Store.open(tmp_path / f"s{seed}.db")
    eng = engine(store, ServerClient())
    world = World(rng, eng, store)
    world.send()
    await world.land()  # the first listing, with room on the disk
    steps = ["send", "send", "land", "land", "change", "change", "new", "webhook", "disk"]
    for n in range(80):
        kind = rng.choice(steps)
        wrote = await world.step(kind)
        world.check(f"seed {seed} step {n} {kind}", wrote)
    full_disk.free(store)
    world.full = False
    world.send()
    await world.land()
    world.check(f"seed {seed} at the end", wrote=True)
    assert not store._unrecorded
    await eng.stop()
    store.close()


def test_every_read_of_the_store_gives_back_what_the_full_disk_refused(tmp_path: Path) -> None:
    """load_section, iter_section (`zen-tui list`), find_item (a row's whole copy) and the
    section's age all read a copy the disk refused as if written: none goes back."""
    store = Store.open(tmp_path / "zen-tui.db")
    store.save_section(SECTION.id, [copy(1, 0), copy(2, 0)], 10.0)
    full_disk.fill(store)
    store.upsert_items(SECTION.id, [copy(1, 1), copy(3, 0)], 20.0)
    newest = versions([copy(1, 1), copy(2, 0), copy(3, 0)])
    assert versions(store.load_section(SECTION.id)[0]) == newest
    assert versions(list(store.iter_section(SECTION.id))) == newest
    assert store.find_item("j:P-1") == copy(1, 1)
    assert store.section_fetched_at(SECTION.id) == 20.0
    with full_disk.on_disk(store) as written:  # the file: not written
        assert written.find_item("j:P-1") == copy(1, 0)
    store.close()
