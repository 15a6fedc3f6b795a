"""The outbox waits no wider than the limit that stopped it. A Jira 429 naming one issue's
writes (jira-per-issue-on-write) holds only that issue's later actions: another issue's go
at once. An item's actions still land in the order they were made, and a 429 on the whole
account (a quota, a reason not known) still holds everything. Against the simulator, with a
real store, on one virtual clock."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import ActionState, Issue
from zen_tui.services.jira import JiraClient
from zen_tui.simulator.jira import adf
from zen_tui.store import Store
from zen_tui.sync.outbox import Outbox

from ..conftest import section
from .conftest import comment

S = ActionState
MARK = "\u2060"  # where the hidden idempotency marker a comment carries begins
QUOTA = {"service": "jira", "method": "POST", "rate_limit_rate": 1.0, "retry_after": 30}


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock, jira: JiraClient) -> Iterator[Outbox]:
    store = Store.open(tmp_path / "zen.db", clock=clock.time)
    box = Outbox(store, {"jira": jira}, EventBus(), now=clock.time)
    yield box
    box.close()
    store.close()


async def issues(jira: JiraClient, n: int) -> list[Issue]:
    query = section("jira", "project = ZEN ORDER BY key ASC")
    found = [i for i in (await jira.fetch_section(query, limit=n + 2)).items]
    assert all(isinstance(i, Issue) for i in found) and len(found) >= n
    return found[:n]  # type: ignore[return-value]


def bodies(sim: Any, issue: Issue, tag: str) -> list[str]:
    """The comments on `issue` carrying `tag`, in the order Jira took them."""
    found = sim.world.services["jira"]._find(issue.key)
    texts = [adf.to_text(c.body) for c in found.comments]
    lines = [line for t in texts for line in t.splitlines() if line.startswith(tag)]
    return [line.split(MARK, 1)[0] for line in lines]  # without the outbox's hidden marker


def states(outbox: Outbox, entries: list[Any]) -> list[ActionState]:
    return [outbox.store.outbox_get(e.id).state for e in entries]


async def test_a_per_issue_429_holds_that_issue_s_actions_only(
    sim: Any, clock: FakeClock, jira: JiraClient, outbox: Outbox
) -> None:
    a, b = await issues(jira, 2)
    sim.world.services["jira"].issue_writes_per_minute = 1
    assert (await jira.apply(comment(a, "sc-a-first"), idempotency_key="sc-a0")).ok  # spent
    a1, b1, a2 = outbox.queue(
        [comment(a, "sc-a1"), comment(b, "sc-b1"), comment(a, "sc-a2")]
    )  # A's write is refused (per issue); B's was queued after it
    start = clock.time()
    await outbox.replay()
    assert states(outbox, [a1, b1, a2]) == [S.PENDING, S.DONE, S.PENDING]
    assert bodies(sim, b, "sc-") == ["sc-b1"], "B waited behind A's per-issue 429"
    assert clock.time() - start < 1.0
    assert bodies(sim, a, "sc-a") == ["sc-a-first"]  # A's second waits behind A's first
    assert outbox.retry_at is not None and outbox.retry_at > clock.time() + 30
    clock.advance(outbox.retry_at - clock.time() + 0.1)  # A's pause is over: one write a minute
    await outbox.replay(due_only=True)
    assert states(outbox, [a1, a2]) == [S.DONE, S.PENDING]
    clock.advance(outbox.retry_at - clock.time() + 0.1 if outbox.retry_at else 61.0)
    await outbox.replay(due_only=True)
    assert states(outbox, [a1, a2]) == [S.DONE, S.DONE]
    assert bodies(sim, a, "sc-a") == ["sc-a-first", "sc-a1", "sc-a2"]


async def test_a_quota_429_still_holds_the_whole_account(
    sim: Any, clock: FakeClock, jira: JiraClient, outbox: Outbox
) -> None:
    a, b = await issues(jira, 2)
    sim.set_faults([{**QUOTA, "rate_limit_reason": "jira-quota-global-based"}])
    a1, b1 = outbox.queue([comment(a, "q-a1"), comment(b, "q-b1")])
    await outbox.replay()
    sim.clear_faults()
    sim.reset_counters()
    await outbox.replay()  # a replay woken at once: the account's pause holds both, unsent
    assert states(outbox, [a1, b1]) == [S.PENDING, S.PENDING]
    assert sim.counters()["requests_total"] == 0
    assert outbox.retry_at is not None
    clock.advance(max(outbox.retry_at - clock.time(), 0.0) + 0.1)
    await outbox.replay(due_only=True)
    assert states(outbox, [a1, b1]) == [S.DONE, S.DONE], outbox.store.outbox_get(a1.id)


class Spy:
    """Every Jira request the simulator took, on the virtual clock, and every pause its
    429s asked for: per issue's writes (jira-per-issue-on-write), or the account's (a quota
    fault). A request inside a pause that covers it is a violation."""

    def __init__(self, sim: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = clock
        self.violations: list[str] = []
        self.account_until = 0.0
        self.refusals = self.account_pauses = 0  # per-issue 429s, quota 429s
        self.issue_until: dict[str, float] = defaultdict(float)
        engine, jira = sim.app.state.faults, sim.world.services["jira"]
        decide, refused = engine.decide, jira._issue_write_refused

        def watch_decide(service: str, method: str, path: str) -> Any:
            decision = decide(service, method, path)
            if service == "jira":
                now = clock.time()
                if now < self.account_until:
                    self.violations.append(f"{method} {path} at {now:.1f}: account paused")
                if decision.kind == "rate_limit":
                    self.account_pauses += 1
                    self.account_until = max(self.account_until, now + decision.retry_after)
            return decision

        def watch_issue(request: Any) -> Any:
            key, now = str(request.path_params.get("key", "")).upper(), clock.time()
            if request.method != "GET" and now < self.issue_until[key]:
                self.violations.append(f"write to {key} at {now:.1f}: its writes paused")
            response = refused(request)
            if response is not None:
                self.refusals += 1
                self.issue_until[key] = now + float(response.headers["Retry-After"])
            return response

        monkeypatch.setattr(engine, "decide", watch_decide)
        monkeypatch.setattr(jira, "_issue_write_refused", watch_issue)


async def test_random_scoped_and_account_429s_keep_every_promise(
    sim: Any,
    clock: FakeClock,
    jira: JiraClient,
    outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeded random schedules: actions on a few issues, queued between replays; per-issue
    budgets of 1-3 writes a minute; a quota 429 on the whole account now and then; time
    jumping on. Then, calm: everything must land. Every action exactly once, each issue's in
    the order made, and no request inside a pause that covers it."""
    targets = await issues(jira, 3)
    spy = Spy(sim, clock, monkeypatch)
    jira_sim = sim.world.services["jira"]
    for seed in range(12):
        rng = random.Random(seed)
        jira_sim.issue_writes_per_minute = rng.choice((1, 2, 3))
        made: dict[str, list[str]] = defaultdict(list)  # issue key -> bodies, as made
        queued, quota_seen = [], False
        for step in range(rng.randint(20, 30)):
            if rng.random() < 0.7:
                issue = rng.choice(targets)
                body = f"rnd{seed}-{issue.key}-{step}"
                made[issue.key].append(body)
                queued += outbox.queue([comment(issue, body)])
            if step >= 12 and rng.random() < 0.15:  # a quota 429 on every write, a while
                sim.set_faults([{**QUOTA, "rate_limit_reason": "jira-quota-global-based"}])
                quota_seen = True  # the account may be paused from now on, past Retry-After
            elif rng.random() < 0.3:
                sim.clear_faults()
            due_only = rng.random() < 0.5
            await outbox.replay(due_only=due_only)
            if not due_only and not quota_seen:  # nothing held but by its own issue's pause
                stuck = [e for e in queued if e.action.item_id in unpaused(spy, targets)]
                assert S.PENDING not in states(outbox, stuck), f"seed {seed}: held for another"
            clock.advance(rng.choice((0.0, 1.0, 5.0, 20.0, 45.0)))
        sim.clear_faults()
        for _ in range(30):  # calm: each issue's budget lets one write a minute at least
            if all(s is S.DONE for s in states(outbox, queued)):
                break
            clock.advance(61.0)
            await outbox.replay(due_only=True)
        assert all(s is S.DONE for s in states(outbox, queued)), f"seed {seed}"
        for issue in targets:
            assert bodies(sim, issue, f"rnd{seed}-") == made[issue.key], f"seed {seed}"
        assert not spy.violations, f"seed {seed}: {spy.violations[:3]}"
    assert spy.refusals >= 12 and spy.account_pauses >= 3  # the schedules did meet both


def unpaused(spy: Spy, targets: list[Issue]) -> set[str]:
    """The items whose writes no 429 pauses now."""
    now = spy.clock.time()
    return {i.id for i in targets if spy.issue_until[i.key] <= now}
