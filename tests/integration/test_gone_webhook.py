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
from pathlib import Path
from typing import Any

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
