"""Deliveries a full disk kept queued are applied on a timer once the store takes writes
again, not only at the next delivery or start: each exactly once, none lost, said once per
full spell, and the timer stops with the queue empty. A real SQLite file whose every write is
refused (tests/fakes/full_disk.py), the receiver's own ASGI app, the engine's virtual clock."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes import full_disk
from zen_tui.gateway.clock import FakeClock
from zen_tui.store import Store, notices
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.webhook_processor import FULL_RETRY_FIRST, FULL_RETRY_MAX, WebhookProcessor
from zen_tui.sync.webhook_verify import hub_signature

from .test_engine import SECTION, Result, issue, poll
from .test_webhook_processor import HookClient, engine, enqueue

SECRET = "jira-hook-secret"
ISSUES = 5  # the section lists P-1..P-5; each delivery changes one of them
SEEDS = range(24)
STEPS = 60


@pytest.fixture(autouse=True)
def _fresh_notices() -> Iterator[None]:
    notices.reset_disk_full()  # process-wide: neither taken from nor left to another test
    yield
    notices.reset_disk_full()


@dataclass
class World:
    """The engine on virtual time over a real store, with what the processor applied."""

    clock: FakeClock
    store: Store
    engine: SyncEngine
    applied: Counter[str] = field(default_factory=Counter)  # delivery id -> times applied
    unsaved: list[str] = field(default_factory=list)  # services refreshed for a lost one
    tries: list[float] = field(default_factory=list)  # when the processor read the queue

    @property
    def processor(self) -> WebhookProcessor:
        assert self.engine.webhooks is not None
        return self.engine.webhooks.processor

    def titles(self) -> dict[str, str]:
        return {i.id: i.title for i in self.engine.snapshot(SECTION.id).items}


async def world(tmp_path, monkeypatch) -> World:
    clock = FakeClock()
    store = Store.open(tmp_path / "zen.db")
    client = HookClient(answers=[Result([issue(n) for n in range(1, ISSUES + 1)], 10.0)])
    eng = engine(store, client, clock)
    await poll(eng)
    w = World(clock, store, eng)
    processor, receiver = w.processor, eng.webhooks.receiver
    apply, drain = processor._apply, processor.drain_batch

    def counted(row):
        w.applied[row.delivery_id] += 1
        apply(row)

    def reading() -> int:
        w.tries.append(clock.time())
        return drain()

    monkeypatch.setattr(processor, "_apply", counted)
    monkeypatch.setattr(processor, "drain_batch", reading)
    receiver.secrets = {"jira": SECRET}
    unsaved = receiver.on_unsaved
    receiver.on_unsaved = lambda service: (w.unsaved.append(service), unsaved(service))[1]
    return w


def jira_delivery(n: int, issue_n: int) -> tuple[bytes, dict[str, str]]:
    """Delivery `d<n>` changing P-<issue_n>: a later delivery carries a later `updated`."""
    updated = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(seconds=n)
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"n": issue_n, "title": f"from d{n}", "updated": updated.isoformat()},
        }
    ).encode()
    headers = {
        "X-Atlassian-Webhook-Identifier": f"d{n}",
        "X-Hub-Signature": hub_signature(SECRET, body),
        "Content-Type": "application/json",
    }
    return body, headers


async def test_queued_deliveries_are_applied_by_the_timer_once_the_disk_has_room(
    tmp_path, monkeypatch, caplog
):
    """No delivery comes after the disk fills: only the timer can apply the queue. It tries
    again after 1 s, 2 s, 4 s... (at most FULL_RETRY_MAX apart), says so once, applies
    each delivery once when there is room (none before: a delivery and its done mark are
    one transaction, which the full disk refuses), says that once, and then waits without
    a timer."""
    caplog.set_level(logging.INFO, "zen_tui.sync.webhooks")
    w = await world(tmp_path, monkeypatch)
    enqueue(w.store, "d1", issue={"n": 1, "title": "one", "updated": "2026-03-02T00:00:01Z"})
    enqueue(w.store, "d2", issue={"n": 2, "title": "two", "updated": "2026-03-02T00:00:02Z"})
    full_disk.no_room(w.store)
    start = w.clock.time()
    running = asyncio.create_task(w.processor.run())
    try:
        await w.clock.sleep(200)
        assert [t - start for t in w.tries] == [0, 1, 3, 7, 15, 31, 63, 123, 183]
        assert FULL_RETRY_FIRST == 1 and FULL_RETRY_MAX == 60
        assert [r.delivery_id for r in w.store.webhook_pending()] == ["d1", "d2"]
        assert w.applied == {}  # its transaction refused at the start
        assert w.titles()["j:P-1"] == "t"  # as listed
        full_disk.room(w.store)
        await w.clock.sleep(60)
        assert w.store.webhook_pending() == []
        assert w.applied == {"d1": 1, "d2": 1}
        assert w.titles()["j:P-2"] == "two"
        lines = [r.getMessage() for r in caplog.records if r.name == "zen_tui.sync.webhooks"]
        assert lines == [
            "webhooks: queued deliveries stay queued until the disk has room",
            "webhooks: the disk has room again; queued deliveries applied",
        ]
        assert "Traceback" not in caplog.text
        tries = len(w.tries)
        await w.clock.sleep(3600)
        assert len(w.tries) == tries  # an empty queue: no timer left
    finally:
        running.cancel()
        w.store.close()


@pytest.mark.parametrize("seed", SEEDS)
async def test_deliveries_disk_full_and_retries_in_any_order_apply_each_once(
    tmp_path, monkeypatch, seed
):
    """Seeded random interleavings of new deliveries, Jira's retries of earlier ones, the
    disk filling and freeing, and virtual time passing (the retry timer firing). Each
    answer is the one its moment calls for (202 queued, 200 duplicate, 503 with no room);
    at the end every queued delivery was applied exactly once, the section shows the
    latest of them, and every 503 made the service's sections ask the server (the
    delivery's change is not lost: GitHub never resends it, Jira may give up)."""
    rng = random.Random(seed)
    w = await world(tmp_path, monkeypatch)
    running = asyncio.create_task(w.processor.run())
    sent: list[int] = []  # delivery numbers sent so far
    issue_of: dict[int, int] = {}
    queued: set[int] = set()
    refusals = 0
    full = False
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=w.engine.webhooks.receiver.app),
            base_url="http://test",
        ) as http:
            for _ in range(STEPS):
                roll = rng.random()
                if roll < 0.55:
                    again = roll >= 0.4 and bool(sent)  # Jira sends an earlier one again
                    n = rng.choice(sent) if again else len(sent) + 1
                    if not again:
                        sent.append(n)
                        issue_of[n] = rng.randint(1, ISSUES)
                    body, headers = jira_delivery(n, issue_of[n])
                    if again:  # same id and body
                        headers["X-Atlassian-Webhook-Retry"] = "1"
                    answer = await http.post("/webhooks/jira", content=body, headers=headers)
                    if full:
                        expected = 503
                        refusals += 1
                    else:
                        expected = 200 if n in queued else 202
                        queued.add(n)
                    assert answer.status_code == expected, (seed, n, answer.text)
                elif roll < 0.65:
                    full_disk.no_room(w.store)
                    full = True
                elif roll < 0.75:
                    full_disk.room(w.store)
                    full = False
                elif roll < 0.9:
                    await w.clock.sleep(rng.choice([0.5, 1.0, 3.0, 10.0, 70.0]))
                else:
                    for _ in range(rng.randint(1, 5)):
                        await asyncio.sleep(0)  # the processor part-way through
        full_disk.room(w.store)
        await w.clock.sleep(FULL_RETRY_MAX + 1)  # no wake: the timer alone
        assert w.store.webhook_pending() == [], seed
        assert w.applied == Counter({f"d{n}": 1 for n in queued}), seed
        assert w.unsaved == ["jira"] * refusals, seed
        latest = {issue_of[n]: n for n in sorted(queued)}
        for issue_n, n in latest.items():
            assert w.titles()[f"j:P-{issue_n}"] == f"from d{n}", (seed, issue_n)
        tries = len(w.tries)
        await w.clock.sleep(3600)
        assert len(w.tries) == tries, seed  # the queue is empty: the timer stopped
    finally:
        running.cancel()
        w.store.close()
