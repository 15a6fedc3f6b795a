"""What left while the disk is full, through the real engine and a real SQLite file
(tests/fakes/full_disk.py: SQLite refusing the write): the store cannot record the gone, and
a poll answer whose request went out before it still never shows the item again in this
process; once the disk frees, the record is written and memory lets it go."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any, cast

import pytest

from tests.fakes import full_disk
from tests.unit.sync.test_engine import SECTION, FakeClient, Result, engine, issue, poll
from zen_tui.gateway.clock import FakeClock
from zen_tui.models import Issue
from zen_tui.store import Store, notices
from zen_tui.sync.engine import SyncEngine


class HeldClient(FakeClient):
    """Once `gate` is set, the next request is held there: a poll answer in flight."""

    gate: asyncio.Event | None = None
    sent: asyncio.Event | None = None

    async def fetch_section(self, section: Any, **kw: Any) -> Any:
        gate, self.gate = self.gate, None
        if gate is not None:
            assert self.sent is not None
            self.sent.set()
            await gate.wait()
        return await super().fetch_section(section, **kw)  # type: ignore[no-untyped-call]


def on_screen(eng: SyncEngine) -> set[str]:
    snapshot = eng.snapshot(SECTION.id)
    return set() if snapshot is None else {item.id for item in snapshot.items}


def in_store(store: Store) -> set[str]:
    return {item.id for item in store.load_section(SECTION.id)[0]}


async def test_an_answer_in_flight_does_not_show_a_gone_the_full_disk_kept_out(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "zen-tui.db")
    client = HeldClient(answers=[Result([issue(1), issue(2)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    clock = cast(FakeClock, eng.wired.clock)
    gate = client.gate = asyncio.Event()
    client.sent = asyncio.Event()
    client.answers = [Result([issue(1), issue(2)], clock.time(), cursor="c2")]  # sent now
    in_flight = asyncio.create_task(poll(eng))
    await client.sent.wait()
    full_disk.fill(store)
    clock.advance(1.0)
    assert eng.forget("j", ["j:P-1"]) == [SECTION.id]
    assert full_disk.recorded(store) == set() and notices.disk_full_seen()
    gate.set()  # the held answer lands, its request sent before the gone
    await in_flight
    assert on_screen(eng) == {"j:P-2"} and in_store(store) == {"j:P-2"}

    full_disk.free(store)  # the disk frees: the next write records it and lets memory go
    clock.advance(1.0)
    client.answers = [Result([issue(2)], clock.time(), cursor="c3")]
    await poll(eng)
    assert full_disk.recorded(store) == {"j:P-1"} and not store._unrecorded
    assert on_screen(eng) == {"j:P-2"}
    await eng.stop()


def stamp(version: int) -> str:
    return f"2026-01-{version + 1:02d}T00:00:00Z"


class World:
    """The server's items (open or closed, each at a version), the answers in flight (each
    what the server held when its request went out), what the engine learnt gone and when,
    and the newest request time of an answer that landed listing each item."""

    def __init__(self, rng: random.Random, eng: SyncEngine, store: Store) -> None:
        self.rng, self.eng, self.store = rng, eng, store
        self.client: FakeClient = eng.wired.clients["j"]  # type: ignore[assignment]
        self.clock = cast(FakeClock, eng.wired.clock)
        self.version = dict.fromkeys(range(6), 0)
        self.closed: set[int] = set()
        self.flight: list[tuple[float, bool, list[Issue]]] = []
        self.gone_at: dict[str, float] = {}
        self.listed_at: dict[str, float] = {}

    async def step(self, kind: str) -> None:
        self.clock.advance(self.rng.choice([0.5, 1.0, 30.0]))
        if kind == "send":
            self.send()
        elif kind == "land":
            await self.land()
        elif kind == "close":
            self.close()
        elif kind == "reopen" and self.closed:
            n = self.rng.choice(sorted(self.closed))
            self.closed.discard(n)
            self.version[n] += 1
        elif kind == "disk":
            if self.rng.random() < 0.6:
                full_disk.fill(self.store)
            else:
                full_disk.free(self.store)

    def send(self) -> None:
        open_ = sorted(set(self.version) - self.closed)
        full = self.rng.random() < 0.5
        listed = open_ if full else self.rng.sample(open_, self.rng.randint(0, len(open_)))
        items = [issue(n, stamp(self.version[n])) for n in listed]
        self.flight.append((self.clock.time(), full, items))

    async def land(self) -> None:
        if not self.flight:
            return
        sent, full, items = self.flight.pop(self.rng.randrange(len(self.flight)))
        if full:
            self.eng._full_next.add(SECTION.id)
        self.client.answers = [Result(items, sent, cursor="c")]
        await poll(self.eng)
        for item in items:
            self.listed_at[item.id] = max(sent, self.listed_at.get(item.id, sent))

    def close(self) -> None:
        open_ = sorted(set(self.version) - self.closed)
        if open_:
            n = self.rng.choice(open_)
            self.closed.add(n)
            self.eng.forget("j", [f"j:P-{n}"])  # learnt now: a read of it said 404
            self.gone_at[f"j:P-{n}"] = self.clock.time()

    def check(self, where: str) -> None:
        """Nothing gone is shown again (on screen, or as the store reads back) unless an
        answer whose request went out after the gone listed it (the item re-opened)."""
        for shown in (on_screen(self.eng), in_store(self.store)):
            for item_id in shown & set(self.gone_at):
                assert self.listed_at.get(item_id, 0.0) > self.gone_at[item_id], where


@pytest.mark.parametrize("seed", range(16))
async def test_a_gone_never_comes_back_whatever_the_disk_does_randomised(
    tmp_path: Path, seed: int
) -> None:
    """Answers sent and landing in random orders (full listings and deltas), items closed
    (the gone learnt) and re-opened, the disk filling and freeing: after every step no gone
    item is back unless an answer sent after its gone listed it. Once the disk is free and
    an answer has landed, nothing is held in memory: every gone is recorded."""
    rng = random.Random(seed)
    store = Store.open(tmp_path / f"s{seed}.db")
    eng = engine(store, FakeClient())
    world = World(rng, eng, store)
    steps = ["send", "send", "land", "land", "land", "close", "reopen", "disk"]
    for n in range(80):
        kind = rng.choice(steps)
        await world.step(kind)
        world.check(f"seed {seed} step {n} {kind}")
    full_disk.free(store)
    world.send()
    await world.land()
    world.check(f"seed {seed} at the end")
    assert not store._unrecorded
    assert set(world.gone_at) <= full_disk.recorded(store)
    await eng.stop()
    store.close()
