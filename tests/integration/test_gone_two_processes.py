"""Gone items across processes: two engines on one data folder, each with its own SQLite
connection to the one store (what two zen-tui processes are to it: a dashboard and a
`zen-tui sync`, say), against the whole simulator on virtual time (one wall clock for both,
as the machine's is).

One engine's poll answer is held in flight while the other learns that an item is gone (the
repository made private to the user: the item's own read answers 404 and `/user` still
answers). The held answer was requested before the gone was learnt: it may not put the item
back into the shared store. An answer requested after the repository is visible again does.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import seeds
from zen_tui.models import Item
from zen_tui.sync.engine import SyncEngine

from .gone_world import AnswerGate, VirtualWorld


def searches(scope: Any) -> bool:
    return bool(scope.get("path", "").endswith("/search/issues"))


def world(tmp_path: Path, seed: int = 7) -> tuple[VirtualWorld, AnswerGate]:
    vw = VirtualWorld(tmp_path, seed=seed)
    gate = AnswerGate(vw.app, searches)
    vw.app = gate  # type: ignore[assignment]  # any ASGI app serves
    return vw, gate


def stored_in(engine: SyncEngine, item_id: str) -> dict[str, float]:
    """section id -> the stored row's fetch time, for the sections whose rows hold the item."""
    out = {}
    for section in engine.sections:
        at = engine.store.fetched_times(section.id).get(item_id)
        if at is not None:
            out[section.id] = at
    return out


def on_screen(engine: SyncEngine, item_id: str) -> list[str]:
    return [
        s.id
        for s in engine.sections
        if (snap := engine.snapshot(s.id)) is not None and any(i.id == item_id for i in snap.items)
    ]


def github_item(engine: SyncEngine, rng: random.Random) -> tuple[Item, list[str]]:
    """An issue or PR the sections show, and the GitHub sections whose rows hold it."""
    items = {
        i.id: i
        for s in engine.sections
        if s.service == "github" and (snap := engine.snapshot(s.id)) is not None
        for i in snap.items
    }
    item = items[rng.choice(sorted(items))]
    return item, sorted(stored_in(engine, item.id))


def repo_of(item: Item) -> str:
    return item.key.rpartition("#")[0]


async def held_refresh(
    vw: VirtualWorld, gate: AnswerGate, engine: SyncEngine, section: str
) -> asyncio.Future[None]:
    """The engine refreshes the section; its search is answered now and held in flight."""
    gate.arm()
    task = asyncio.ensure_future(engine.refresh(section))
    await gate.holding.wait()
    return task


async def test_an_answer_in_flight_in_one_process_never_restores_what_the_other_saw_gone(
    tmp_path: Path,
) -> None:
    """Before: the second engine's answer, requested at t0 while the repository was visible,
    landed after the first engine had confirmed the item gone at T > t0 and wrote it back
    into the shared store (and showed it): the first engine's memory of what left was its
    own. Now the store holds the gone record, so neither shows or stores it; once the
    repository is visible again, a refresh requested after that brings it back."""
    vw, gate = world(tmp_path)
    first, second = vw.engine(), vw.engine()
    try:
        await first.sync_once()
        await second.sync_once()
        item, sections = github_item(first, random.Random(3))
        assert sections, "the item is stored in some GitHub section"
        in_flight = await held_refresh(vw, gate, second, sections[0])
        await vw.clock.sleep(1)
        vw.set("github", hidden_repos=repo_of(item))
        assert await first.confirm_gone(item)
        assert stored_in(first, item.id) == {}
        await vw.clock.sleep(1)
        gate.released.set()
        await in_flight
        assert stored_in(second, item.id) == {}, "the older answer put it back"
        assert on_screen(second, item.id) == []
        vw.set("github", hidden_repos="")
        await vw.clock.sleep(1)
        await second.refresh(sections[0])
        assert sections[0] in stored_in(first, item.id), "listed again after access came back"
        assert sections[0] in on_screen(second, item.id)
    finally:
        await first.stop()
        await second.stop()


STEPS = ["hold", "hide", "learn", "unhide", "release", "poll", "time", "overlap"]


def steps(step: str, rng: random.Random) -> list[str]:
    """One step, or for "overlap" the race itself in a random shape: an answer held in
    flight, the repository maybe hidden, the other engine learning, more, the answer lands."""
    if step != "overlap":
        return [step]
    hide = ["hide"] if rng.random() < 0.7 else []
    return ["hold", *hide, "learn", rng.choice(["time", "poll", "learn", "unhide"]), "release"]


@pytest.mark.parametrize("seed", seeds(every_run=range(6), soak=range(6, 16)))
async def test_seeded_interleavings_across_two_processes_never_go_back(
    tmp_path: Path, seed: int
) -> None:
    """Seeded random interleavings of two engines on one store: one engine's search held in
    flight (requested with the repository visible or not), the repository hidden and shown
    again, the other engine confirming the item gone meanwhile (else either), refreshes by
    either, the held answer landing at any point, time passing. Checked after every step: no
    stored copy of the item was requested at or before the newest gone learnt by either
    engine, and while the repository stays hidden after a gone was learnt, no section of
    either stores it. The round ends with the repository visible: a refresh lists the item
    again."""
    rng = random.Random(seed)
    vw, gate = world(tmp_path, seed=seed)
    engines = (vw.engine(), vw.engine())
    state: dict[str, Any] = {"hidden": False, "learnt": None, "held": None}
    try:
        for engine in engines:
            await engine.sync_once()
        item, sections = github_item(engines[0], rng)
        for _ in range(40):
            for step in steps(rng.choice(STEPS), rng):
                await take(step, vw, gate, engines, item, sections, state, rng)
                check(engines, item, state, seed, step)
        await take("release", vw, gate, engines, item, sections, state, rng)
        vw.set("github", hidden_repos="")
        await vw.clock.sleep(1)
        await engines[1].refresh()
        assert stored_in(engines[0], item.id), f"seed {seed}: visible again, listed again"
    finally:
        for engine in engines:
            await engine.stop()


async def take(  # the round's whole state, as one step sees it
    step: str,
    vw: VirtualWorld,
    gate: AnswerGate,
    engines: tuple[SyncEngine, SyncEngine],
    item: Item,
    sections: list[str],
    state: dict[str, Any],
    rng: random.Random,
) -> None:
    engine = rng.choice(engines)
    other = next(e for e in engines if e is not state.get("holder"))
    if step == "hold" and state["held"] is None:
        state["held"] = await held_refresh(vw, gate, engine, rng.choice(sections))
        state["holder"] = engine
    elif step == "hide" and not state["hidden"]:
        vw.set("github", hidden_repos=repo_of(item))
        state.update(hidden=True, learnt=None)
    elif step == "learn" and state["hidden"]:
        if state["held"] is not None:  # the other process learns it (one's own: see
            engine = other  # test_gone_private_channel.py)
        if await engine.confirm_gone(item):  # nothing else was sent meanwhile: now is its time
            state["learnt"] = state["last_gone"] = vw.clock.time()
    elif step == "unhide" and state["hidden"]:
        vw.set("github", hidden_repos="")
        state.update(hidden=False, learnt=None)
    elif step == "release" and state["held"] is not None:
        gate.released.set()
        await state["held"]
        state["held"] = None
    elif step == "poll":  # by the engine not holding a poll (its sections' would wait for it)
        await (engine if state["held"] is None else other).refresh(rng.choice(sections))
    else:
        await vw.clock.sleep(rng.uniform(0.5, 60))


def check(
    engines: tuple[SyncEngine, SyncEngine],
    item: Item,
    state: dict[str, Any],
    seed: int,
    step: str,
) -> None:
    stored = stored_in(engines[0], item.id)
    last_gone = state.get("last_gone")
    if last_gone is not None:
        assert all(at > last_gone for at in stored.values()), (seed, step, stored, last_gone)
    if state["hidden"] and state["learnt"] is not None:
        assert stored == {}, (seed, step)
        assert stored_in(engines[1], item.id) == {}, (seed, step)
