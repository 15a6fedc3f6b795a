"""A bulk selection waits no wider than the limit that stopped it, as a replay does: a 429
that pauses part of an account (one Jira issue's writes, one Slack method) holds back the
later actions of that item alone; the selection's other actions go on at once. An item's
actions are sent one after another, so none goes out inside the pause its earlier action
met, and each lands exactly once, in the order made (the simulator's mutation log). Before,
a selection sent an item's actions side by side: its later ones reached the server inside
the pause the first one's 429 had just set. Real store, real simulator, one virtual clock."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import Action, ActionState
from zen_tui.services.jira import JiraClient
from zen_tui.simulator.slack.model import Channel
from zen_tui.store import Store
from zen_tui.sync.bulk import BulkProcessor, BulkSettings
from zen_tui.sync.outbox import Outbox

from ..conftest import ending_at_long_waits
from .conftest import comment
from .test_outbox_scoped_limits_sim import Spy, bodies, issues, states

S = ActionState
# Content-creating writes unspaced: an item's actions could then go side by side (the
# spacing under GitHub's 80 a minute is not what is tested here).
UNSPACED = BulkSettings(create_per_minute=1e9)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    opened = Store.open(tmp_path / "zen.db", clock=clock.time)
    yield opened
    opened.close()


def sender(store: Store, clients: dict[str, Any], clock: FakeClock) -> BulkProcessor:
    """An outbox over `store` and its bulk processor, on `clock` (closed by the caller)."""
    outbox = Outbox(store, clients, EventBus(), now=clock.time)
    return BulkProcessor(outbox, UNSPACED, now=clock.time, sleep=clock.sleep)


def applied(sim: Any, service: str, since: int) -> list[dict[str, Any]]:
    """The simulator's mutation log of `service` from entry `since` on."""
    return [m for m in sim.world.counters.mutation_log[since:] if m["service"] == service]


async def until_done(outbox: Outbox, clock: FakeClock, entries: list[Any]) -> None:
    """Calm: replay as the store check would, each minute, until nothing waits."""
    for _ in range(10):
        if set(states(outbox, entries)) == {S.DONE}:
            return
        clock.advance(61.0)
        await outbox.replay(due_only=True)


async def test_a_bulk_goes_past_a_per_issue_429_and_holds_that_issue_alone(
    sim: Any, clock: FakeClock, jira: JiraClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = await issues(jira, 3)
    spy = Spy(sim, clock, monkeypatch)
    sim.world.services["jira"].issue_writes_per_minute = 2
    for n in range(2):  # A's writes spent: its next one meets jira-per-issue-on-write
        assert (await jira.apply(comment(a, f"bk-a-before{n}"), idempotency_key=f"bk{n}")).ok
    bulk = sender(store, {"jira": jira}, clock)
    since = len(sim.world.counters.mutation_log)
    made = ["bk-a1", "bk-b1", "bk-a2", "bk-c1", "bk-a3", "bk-b2"]
    target = {"a": a, "b": b, "c": c}
    entries = bulk.outbox.queue([comment(target[m[3]], m) for m in made])
    try:
        start = clock.time()
        await bulk.process(entries)
        waited = [S.PENDING if m.startswith("bk-a") else S.DONE for m in made]
        assert states(bulk.outbox, entries) == waited  # A's three wait, B's and C's are done
        assert clock.time() - start < 1.0, "B's and C's waited for A's Retry-After"
        assert not spy.violations, spy.violations  # A's 2nd and 3rd never went inside A's pause
        assert spy.refusals == 1  # A's first met the 429; its later ones were held unsent
        await until_done(bulk.outbox, clock, entries)
        assert set(states(bulk.outbox, entries)) == {S.DONE}
        assert bodies(sim, a, "bk-a") == ["bk-a-before0", "bk-a-before1", "bk-a1", "bk-a2", "bk-a3"]
        assert bodies(sim, b, "bk-b") == ["bk-b1", "bk-b2"]
        assert bodies(sim, c, "bk-c") == ["bk-c1"]
        log = applied(sim, "jira", since)
        assert [m["key"] for m in log if m["kind"] == "comment"].count(a.key) == 3
        assert len(log) == len(made), log  # each applied once: no resend landed twice
        assert not spy.violations, spy.violations
    finally:
        bulk.outbox.close()


class SlackSpy:
    """Every Slack call the simulator took for an item (a message: its channel and ts) and
    the pause each 429 set for that item's calls of that method. An item's call inside the
    pause its own earlier call met is a violation (another item's call already on the wire
    then is not: it was sent before that 429 came back)."""

    def __init__(self, slack: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
        self.violations: list[str] = []
        self.calls: dict[tuple[str, str, str], int] = defaultdict(int)
        self.until: dict[tuple[str, str, str], float] = defaultdict(float)
        budget_of = slack._budget
        spy = self

        class Watched:
            def __init__(self, budget: Any, key: tuple[str, str, str]) -> None:
                self.budget, self.key = budget, key

            def take(self) -> bool:
                now = clock.time()
                spy.calls[self.key] += 1
                if now < spy.until[self.key]:
                    spy.violations.append(f"{self.key} at {now:.1f}: inside its pause")
                if self.budget.take():
                    return True
                spy.until[self.key] = now + max(1, int(self.budget.retry_after() + 0.999))
                return False

            def retry_after(self) -> float:
                return float(self.budget.retry_after())

        def watch(name: str, method: Any, params: Any) -> Any:
            item = params.get("timestamp") or params.get("thread_ts") or ""
            return Watched(budget_of(name, method, params), (name, params.get("channel"), item))

        monkeypatch.setattr(slack, "_budget", watch)


def messages(sim: Any, n: int) -> list[tuple[Channel, str]]:
    """`n` messages (channel, ts) of channels the user is in, each of another channel."""
    slack = sim.world.services["slack"]
    me = slack.me.id
    found = [
        (chan, top[-1].ts)
        for chan in slack.channels.values()
        if me in chan.members and chan.kind != "im" and not chan.archived
        for top in [[m for m in chan.messages.values() if not m.is_reply]]
        if top
    ]
    assert len(found) >= n
    return found[:n]


@pytest.fixture
def slack_sim(sim: Any, clock: FakeClock) -> Iterator[Any]:
    """The simulator's Slack, its method budgets fresh on the virtual clock, and after."""
    slack = sim.world.services["slack"]
    with slack.world.lock:
        slack._budgets.clear()
    yield slack
    with slack.world.lock:
        slack._budgets.clear()


async def test_a_bulk_goes_past_a_slack_method_429_and_holds_that_message_alone(
    sim: Any, slack_sim: Any, clock: FakeClock, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slack_sim.world.lock:
        spent = slack_sim._budget("reactions.add", slack_sim.methods["reactions.add"], {})
        while spent.take():  # reactions.add spent for the minute (its tier's 429)
            pass
    spy = SlackSpy(slack_sim, clock, monkeypatch)
    (c1, t1), (c2, t2), (c3, t3), (c4, t4) = messages(sim, 4)

    def on(chan: Channel, ts: str, kind: str, **params: str) -> Action:
        return Action(kind, f"slack:{chan.id}:{ts}", "slack", params)

    made = [
        on(c1, t1, "react", name="bkone"),
        on(c3, t3, "reply", text="bk-reply-3"),
        on(c1, t1, "react", name="bktwo"),  # the same message's: waits for the first
        on(c2, t2, "react", name="bkthree"),
        on(c4, t4, "reply", text="bk-reply-4"),
    ]
    since = len(sim.world.counters.mutation_log)
    async with ending_at_long_waits(sim, clock, "slack") as slack:
        bulk = sender(store, {"slack": slack}, clock)
        try:
            entries = bulk.outbox.queue(made)
            await bulk.process(entries)
            got = states(bulk.outbox, entries)
            assert [got[1], got[4]] == [S.DONE, S.DONE], "replies waited for the reactions"
            assert [got[0], got[2], got[3]] == [S.PENDING] * 3
            assert spy.calls[("reactions.add", c1.id, t1)] == 1, "the second went on the wire"
            assert not spy.violations, spy.violations
            await until_done(bulk.outbox, clock, entries)
            assert set(states(bulk.outbox, entries)) == {S.DONE}
            log = applied(sim, "slack", since)
            reacted = [(m["channel"], m["ts"], m["name"]) for m in log if m["kind"] == "reaction"]
            assert reacted.count((c1.id, t1, "bkone")) == 1
            assert reacted.count((c1.id, t1, "bktwo")) == 1
            assert reacted.index((c1.id, t1, "bkone")) < reacted.index((c1.id, t1, "bktwo"))
            assert reacted.count((c2.id, t2, "bkthree")) == 1
            assert len(log) == len(made), log  # two replies, three reactions: each once
            assert not spy.violations, spy.violations
        finally:
            bulk.outbox.close()


async def test_random_bulks_replays_and_restarts_apply_each_action_once_never_in_a_pause(
    sim: Any,
    clock: FakeClock,
    jira: JiraClient,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeded random schedules: comments on a few issues queued and sent as bulk selections
    (some cut off mid-send, the outbox then restarted over the same store, as after a crash)
    or left to replays; per-issue budgets of 1-3 writes a minute; answers cut short now and
    then (each such action is verified before any resend); time jumping on. Then, calm:
    every action lands exactly once, each issue's in the order made, and no write reaches an
    issue inside the pause a 429 set for it."""
    targets = await issues(jira, 3)
    spy = Spy(sim, clock, monkeypatch)
    jira_sim = sim.world.services["jira"]
    restarts = 0
    for seed in range(10):
        rng = random.Random(seed)
        jira_sim.issue_writes_per_minute = rng.choice((1, 2, 3))
        bulk = sender(store, {"jira": jira}, clock)
        made: dict[str, list[str]] = defaultdict(list)  # issue key -> bodies, as made
        queued: list[Any] = []
        try:
            for step in range(rng.randint(8, 14)):
                fresh = []
                for n in range(rng.randint(0, 4)):
                    issue = rng.choice(targets)
                    body = f"rb{seed}-{issue.key}-{step}-{n}"
                    made[issue.key].append(body)
                    fresh += bulk.outbox.queue([comment(issue, body)])
                queued += fresh
                if rng.random() < 0.2:  # a write's answer cut short: sent, outcome unknown
                    sim.set_faults([{"service": "jira", "method": "POST", "truncated_rate": 0.5}])
                else:
                    sim.clear_faults()
                roll = rng.random()
                if fresh and roll < 0.2:  # a selection cut off mid-send, then a restart
                    bulk = await crash_and_restart(bulk, fresh, rng, store, jira, clock)
                    restarts += 1
                elif fresh and roll < 0.7:
                    await bulk.process(fresh)
                else:
                    await bulk.outbox.replay(due_only=rng.random() < 0.5)
                clock.advance(rng.choice((0.0, 1.0, 5.0, 20.0, 45.0)))
            sim.clear_faults()
            await until_done(bulk.outbox, clock, queued)
            for _ in range(20):  # each issue's budget lets one write a minute at least
                if set(states(bulk.outbox, queued)) <= {S.DONE}:
                    break
                clock.advance(61.0)
                await bulk.outbox.replay()
            assert set(states(bulk.outbox, queued)) <= {S.DONE}, f"seed {seed}"
            for issue in targets:
                assert bodies(sim, issue, f"rb{seed}-") == made[issue.key], f"seed {seed}"
            assert not spy.violations, f"seed {seed}: {spy.violations[:3]}"
        finally:
            bulk.outbox.close()
    assert spy.refusals >= 10 and restarts >= 3  # the schedules did meet 429s and crashes


async def crash_and_restart(
    bulk: BulkProcessor,
    entries: list[Any],
    rng: random.Random,
    store: Store,
    jira: JiraClient,
    clock: FakeClock,
) -> BulkProcessor:
    """Send `entries` as a selection that crashes at one send: after its write landed and
    before the answer was recorded, or just before the write (the entry left SENDING either
    way); then a new outbox over the same store, as the next start, which takes it as
    unknown (verified before any resend). One send at a time, so no other write is on the
    wire at the crash (one would land later, from a process gone)."""
    bulk.outbox.close()
    doomed = Crashing(jira, at=rng.randrange(len(entries)), landed=rng.random() < 0.5)
    crashing = sender(store, {"jira": doomed}, clock)
    crashing.settings = BulkSettings(concurrency=1, create_per_minute=1e9)
    doomed.task = asyncio.ensure_future(crashing.process(entries))
    await asyncio.gather(doomed.task, return_exceptions=True)
    crashing.outbox.close()
    restarted = sender(store, {"jira": jira}, clock)
    restarted.outbox.recover()
    return restarted


class Crashing:
    """`client`, but the process sending through it dies at its `at`-th write."""

    def __init__(self, client: JiraClient, *, at: int, landed: bool) -> None:
        self.client, self.at, self.landed = client, at, landed
        self.task: asyncio.Future[None] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def apply(self, action: Action, *, idempotency_key: str) -> Any:
        self.at -= 1
        if self.at >= 0 or self.task is None:
            return await self.client.apply(action, idempotency_key=idempotency_key)
        if self.landed:
            await self.client.apply(action, idempotency_key=idempotency_key)
        self.task.cancel()  # the whole selection stops here, as the process would
        raise asyncio.CancelledError
