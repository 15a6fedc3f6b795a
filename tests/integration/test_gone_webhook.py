"""A deletion webhook for an item no section shows yet, against the whole simulator on
virtual time under the real engine and SQLite store.

A poll answer requested before the deletion is held in flight; the item is new, so nothing
shows it when the delivery is applied. The deletion is recorded as gone all the same (as of
when the delivery was received), so the answer landing later adds it nowhere, in this process
or another. An answer requested after the deletion (the issue back) shows it.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

from zen_tui.simulator.core.world import ChangeEvent
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.webhook_processor import WebhookProcessor

from .gone_world import AnswerGate, VirtualWorld, shown_anywhere


def searches(scope: Any) -> bool:
    return bool(scope.get("path", "").endswith("/search/jql"))


def jira_section(engine: SyncEngine) -> str:
    return next(s.id for s in engine.sections if s.service == "jira")


async def test_a_deletion_webhook_for_an_unshown_item_stops_an_answer_in_flight(
    tmp_path: Path,
) -> None:
    """Before: the delivery changed nothing (no section showed the issue), and the answer
    requested before the deletion landed after it and showed and stored the deleted issue."""
    vw = VirtualWorld(tmp_path)
    gate = AnswerGate(vw.app, searches)
    vw.app = gate  # type: ignore[assignment]  # any ASGI app serves
    deliveries: list[ChangeEvent] = []
    vw.world.on_change(deliveries.append)
    engine, other = vw.engine(), vw.engine()
    try:
        await engine.sync_once()
        section = jira_section(engine)
        await vw.clock.sleep(5)
        issue = vw.jira._create(vw.jira.me, vw.jira.me)  # new: no section shows it yet
        item_id = f"jira:{issue.key}"
        await vw.clock.sleep(5)
        gate.arm()
        in_flight = asyncio.ensure_future(engine.refresh(section))
        await gate.holding.wait()  # answered now, with the issue; held in flight
        await vw.clock.sleep(1)
        vw.jira.delete(issue, vw.jira.me)
        [deleted] = [d for d in deliveries if d.event == "jira:issue_deleted"]
        body = json.dumps(deleted.payload).encode()
        assert engine.store.webhook_enqueue("jira", "d1", deleted.event, body, vw.clock.time())
        assert shown_anywhere(engine, "jira", item_id) == []
        assert WebhookProcessor(engine.store, engine.wired.clients, engine).drain() == 1
        await vw.clock.sleep(1)
        gate.released.set()
        await in_flight
        assert shown_anywhere(engine, "jira", item_id) == [], "the older answer put it back"
        await other.sync_once()  # another process's answers obey the same record
        assert shown_anywhere(other, "jira", item_id) == []

        await vw.clock.sleep(1)
        vw.jira._add(issue)  # back on the server: an answer requested now shows it
        vw.jira._touch(issue)
        await engine.refresh(section)
        assert shown_anywhere(engine, "jira", item_id) == [section]
    finally:
        await engine.stop()
        await other.stop()


STEPS = ["create", "hold", "delete", "release", "restore", "refresh", "time", "overlap"]


def steps(step: str, rng: random.Random) -> list[str]:
    """One step, or for "overlap" the race itself in a random shape: a new issue, an answer
    held in flight with it, maybe more, the deletion delivered, the answer lands."""
    if step != "overlap":
        return [step]
    more = [rng.choice(["time", "create", "restore"])] if rng.random() < 0.5 else []
    return ["create", "hold", *more, "delete", "release"]


@pytest.mark.parametrize("seed", range(12))
async def test_seeded_interleavings_of_deletion_webhooks_and_answers_in_flight(
    tmp_path: Path, seed: int
) -> None:
    """Random orders of new issues, answers held in flight, deletions delivered (shown or
    not), answers landing and issues back: an issue deleted (and not back) is never shown or
    stored, in this process or another; one back is shown by a refresh requested after."""
    rng = random.Random(seed)
    vw = VirtualWorld(tmp_path, seed=seed)
    gate = AnswerGate(vw.app, searches)
    vw.app = gate  # type: ignore[assignment]  # any ASGI app serves
    deliveries: list[ChangeEvent] = []
    vw.world.on_change(deliveries.append)
    engine, other = vw.engine(), vw.engine()
    processor = WebhookProcessor(engine.store, engine.wired.clients, engine)
    made: dict[str, Any] = {}  # key -> the simulator's issue
    deleted: set[str] = set()
    in_flight: asyncio.Future[None] | None = None
    newest = ""
    try:
        await engine.sync_once()
        section = jira_section(engine)
        schedule = [s for _ in range(20) for s in steps(rng.choice(STEPS), rng)]
        for step in [*schedule, "release"]:
            if step == "create":
                issue = vw.jira._create(vw.jira.me, vw.jira.me)
                made[issue.key], newest = issue, issue.key  # the simulator may give a
                # deleted issue's key again: a new issue on the server
                deleted.discard(issue.key)
            elif step == "hold" and in_flight is None:
                gate.arm()
                in_flight = asyncio.ensure_future(engine.refresh(section))
                await gate.holding.wait()
            elif step == "delete" and set(made) - deleted:
                alive = sorted(set(made) - deleted)
                key = newest if newest in alive and rng.random() < 0.7 else rng.choice(alive)
                vw.jira.delete(made[key], vw.jira.me)
                deleted.add(key)
                event = deliveries[-1]
                body = json.dumps(event.payload).encode()
                delivery = f"d{len(deliveries)}"
                assert engine.store.webhook_enqueue("jira", delivery, event.event, body, now(vw))
                processor.drain()
            elif step == "release" and in_flight is not None:
                gate.released.set()
                await in_flight
                in_flight = None
            elif step == "restore" and deleted:
                key = rng.choice(sorted(deleted))
                vw.jira._add(made[key])
                vw.jira._touch(made[key])
                deleted.discard(key)
            elif step == "refresh" and in_flight is None:
                await engine.refresh(section)
            await vw.clock.sleep(rng.choice((0.5, 1.0, 5.0)))
            for key in deleted:
                assert shown_anywhere(engine, "jira", f"jira:{key}") == [], f"{seed}: {key}"
        await other.sync_once()
        for key in deleted:
            assert shown_anywhere(other, "jira", f"jira:{key}") == [], f"{seed}: {key}"
        await engine.refresh(section)
        for key in set(made) - deleted:
            assert shown_anywhere(engine, "jira", f"jira:{key}") == [section], f"{seed}: {key}"
    finally:
        gate.released.set()
        await engine.stop()
        await other.stop()


def now(vw: VirtualWorld) -> float:
    return vw.clock.time()
