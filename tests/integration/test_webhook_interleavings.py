"""Exactly once per delivery id, and a shown version never goes back, whatever the order of
deliveries, their redeliveries and retries, and polls: the simulator's own signed deliveries
(GitHub, Jira, Slack) are captured, then played to the engine's receiver over loopback in a
seeded random order, with GitHub redeliveries, Jira and Slack retries (Slack's re-signed with
a fresh timestamp) and polls between them, some racing a delivery."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.helpers import loopback_http
from tests.unit.sync.test_freshness_invariant import Watch, settle
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.webhook_verify import slack_signature

from . import test_webhooks
from .test_webhooks import SECRETS, started

hooked = test_webhooks.hooked  # the fixture: webhooks on, the secrets in the environment

SEEDS = range(4)  # every suite; the soak (`make soak`) plays SOAK_SEEDS too
SOAK_SEEDS = range(4, 40)
CHANGES = 10  # per seed


@dataclass
class Captured:
    service: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Where the simulator delivers instead of the engine: keeps every delivery, answers 200."""

    url: str = ""
    got: list[Captured] = field(default_factory=list)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """Budgets 20 times GitHub's (search: 600 a minute): the polls and refreshes of many seeds
    in a few seconds, never waiting for a token."""
    with SimulatorServer(seed=7, size=300, rate_scale=20) as server:
        yield server


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    state = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.got.append(Captured(self.path.strip("/"), dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with loopback_http(Handler) as state.url:
        yield state


def resent(delivery: Captured, rng: random.Random) -> Captured:
    """The same delivery sent again, as its provider sends it: GitHub's Redeliver (same id,
    same bytes), a Jira retry (X-Atlassian-Webhook-Retry), a Slack retry (same event_id, a
    fresh timestamp and signature, X-Slack-Retry-Num)."""
    headers = dict(delivery.headers)
    if delivery.service == "jira":
        headers["X-Atlassian-Webhook-Retry"] = str(rng.randint(1, 5))
    elif delivery.service == "slack":
        ts = str(int(time.time()) + rng.randint(0, 3))
        headers["X-Slack-Request-Timestamp"] = ts
        headers["X-Slack-Signature"] = slack_signature(SECRETS["slack"], ts, delivery.body)
        headers["X-Slack-Retry-Num"] = str(rng.randint(1, 3))
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return Captured(delivery.service, headers, delivery.body)


def delivery_id(delivery: Captured) -> tuple[str, str]:
    if delivery.service == "github":
        return ("github", delivery.headers["X-GitHub-Delivery"])
    if delivery.service == "jira":
        return ("jira", delivery.headers["X-Atlassian-Webhook-Identifier"])
    return ("slack", json.loads(delivery.body)["event_id"])


def make_changes(engine: SyncEngine, sim: SimulatorServer, rng: random.Random) -> None:
    """Changes made elsewhere, in the simulator: labels put on and taken off the PRs and
    GitHub issues the dashboard shows (several within one second: the same `updated_at`),
    and colleagues' activity on all three services (new items, comments, Jira transitions,
    Slack replies, reactions, edits and deletions)."""
    world = sim.app.state.world
    github = world.services["github"]
    keys = {i.key for s in engine.sections for i in engine.snapshot(s.id).items}
    shown = [i for i in github.state.items if f"{i.repo.owner}/{i.repo.name}#{i.number}" in keys]
    for _ in range(CHANGES):
        roll = rng.random()
        if roll < 0.5:
            item, name = rng.choice(shown), rng.choice(["x", "y"])
            with world.lock:
                if name in item.labels and github.state.remove_label(item, name):
                    world.emit("github", *github.render.labeled_event(item, "unlabeled", name))
                elif github.state.add_labels(item, [name]):
                    world.emit("github", *github.render.labeled_event(item, "labeled", name))
        else:
            world.services[rng.choice(["github", "jira", "slack"])].activity()


async def play(engine: SyncEngine, seed: int, deliveries: list[Captured]) -> None:
    """Deliveries in a random order, some sent twice or three times (a redelivery or retry may
    even come before the first copy), polls between them, some still on the wire while the
    next delivery is applied; checked after every step."""
    rng = random.Random(seed)
    plays = [d for d in deliveries for _ in range(rng.choice([1, 1, 2, 3]))]
    plays = [d if i == plays.index(d) else resent(d, rng) for i, d in enumerate(plays)]
    rng.shuffle(plays)
    steps: list[Captured | str] = [*plays, *(rng.choice(engine.sections).id for _ in range(4))]
    rng.shuffle(steps)
    watch = Watch(engine)
    seen: set[tuple[str, str]] = set()
    processor, stats = engine.webhooks.processor, engine.webhooks.receiver.stats
    processed = processor.processed
    racing: asyncio.Task[None] | None = None  # a poll on the wire while a delivery lands
    async with httpx.AsyncClient() as http:
        for step in steps:
            if isinstance(step, str):
                if racing is not None:
                    await racing
                poll = asyncio.create_task(engine.pollers[step].poll_now(interactive=True))
                racing = poll if rng.random() < 0.5 else None
                if racing is None:
                    await poll
            else:
                url = engine.webhooks.server.url(step.service)
                answer = await http.post(url, content=step.body, headers=step.headers)
                first = delivery_id(step) not in seen
                seen.add(delivery_id(step))
                assert (answer.status_code, answer.text) == (
                    (202, "queued") if first else (200, "duplicate")
                ), (seed, step.service, delivery_id(step), first)
                processor.drain()
                if racing is not None:  # its answer, asked before, lands after the delivery
                    watch.check(f"seed {seed}: {delivery_id(step)} during a poll")
                    await racing
                    racing = None
            watch.check(f"seed {seed}: {step if isinstance(step, str) else delivery_id(step)}")
        if racing is not None:
            await racing
    assert processor.processed - processed == len(seen) == sum(stats.accepted.values()), seed
    assert sum(stats.accepted.values()) + sum(stats.duplicates.values()) == len(plays), seed
    rows = queued_rows(engine)  # one row per delivery id, whatever came twice
    assert len(rows) == len(set(rows)) and seen <= set(rows), seed
    await settle(engine)
    for item_id, labels in github_truth(engine, deliveries).items():
        for section in engine.sections:
            for item in engine.snapshot(section.id).items:
                assert item.id != item_id or set(item.labels) == labels, (seed, section.id, item)


def queued_rows(engine: SyncEngine) -> list[tuple[str, str]]:
    """(service, delivery id) of every row of the delivery queue, done or not."""
    db = engine.store._connection()
    return [tuple(r) for r in db.execute("SELECT service, delivery_id FROM webhook_queue")]


def github_truth(engine: SyncEngine, deliveries: list[Captured]) -> dict[str, set[str]]:
    """Each GitHub item's labels as its last delivery (in the order GitHub sent them) says."""
    account = next(s.account for s in engine.sections if s.service == "github")
    truth = {}
    for delivery in deliveries:
        payload = json.loads(delivery.body) if delivery.service == "github" else {}
        item = payload.get("pull_request") or payload.get("issue")
        if item:
            key = f"{account}:{payload['repository']['full_name']}#{item['number']}"
            truth[key] = {label["name"] for label in item["labels"]}
    return truth


async def test_each_delivery_applies_once_and_nothing_shown_goes_back(
    sim, hooked, recorder, monkeypatch
):
    await play_seeds(SEEDS, sim, hooked, recorder, monkeypatch)


@pytest.mark.slow
async def test_each_delivery_applies_once_over_many_seeds(sim, hooked, recorder, monkeypatch):
    await play_seeds(SOAK_SEEDS, sim, hooked, recorder, monkeypatch)


async def play_seeds(seeds: range, sim, hooked, recorder, monkeypatch) -> None:
    monkeypatch.setattr("zen_tui.sync.engine.AFTER_ACTION_DELAY", 0.01)
    engine = await started(hooked, sim)
    sim.set_webhooks({s: (f"{recorder.url}/{s}", SECRETS[s]) for s in SECRETS})
    dispatcher = sim.app.state.webhooks
    try:
        for seed in seeds:
            engine.webhooks.receiver.stats = type(engine.webhooks.receiver.stats)()
            recorder.got.clear()
            make_changes(engine, sim, random.Random(-seed))
            assert dispatcher.wait_idle()
            deliveries = [d for d in recorder.got if d.headers.get("X-GitHub-Event") != "ping"]
            await play(engine, seed, deliveries)
    finally:
        sim.set_webhooks({})
        await engine.stop()
