"""A Jira site whose hourly points quota is small, polled by an OAuth (3LO) app: the engine
reads the beta Beta-RateLimit headers and stretches its polling so the quota lasts until the
hour, instead of polling at its usual pace into the quota's 429s; a triage write still goes
through while reads are paced; at the hour the waiting polls go at once. The whole
simulator in process, on one virtual clock (gone_world.VirtualWorld), a real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgspec.structs import replace

from tests.integration.gone_world import START, VirtualWorld
from zen_tui.config_schema import PollingConfig, SectionConfig
from zen_tui.demo import demo_settings
from zen_tui.models import Action, FreshnessState, Issue
from zen_tui.simulator.server import SimAccount

TOKEN = "a-3lo-access-token"
QUOTA = 240  # points an hour: the first full listings and a few dozen small polls
HOUR = START + 3600 - START % 3600  # when the quota resets: 2800 s after START
JQL = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"


class Tally:
    """An ASGI wrapper around the simulator noting (virtual time, method, path, status) of
    every Jira REST request."""

    def __init__(self, app: Any, vw: VirtualWorld) -> None:
        self.app, self.vw = app, vw
        self.log: list[tuple[float, str, str, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "/rest/api/" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        sent = self.vw.clock.time()

        async def note(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.log.append((sent, scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, note)

    def searches(self, start: float, end: float) -> list[float]:
        """When the searches (the polls) between `start` and `end` went out."""
        return [at for at, _, p, _ in self.log if p.endswith("/search/jql") and start <= at < end]


def app_world(tmp_path: Path) -> tuple[VirtualWorld, Tally]:
    """The virtual world with one Jira account logged in as an OAuth app (Bearer, at
    api.atlassian.com/ex/jira/{cloudid}), three sections of it, polled every 10 s unpaced."""
    vw = VirtualWorld(tmp_path)
    jira = vw.jira
    jira.points_per_hour = QUOTA
    jira.oauth.access[TOKEN] = (START + 10**6, "read:jira-work write:jira-work")
    base = f"http://sim/jira/ex/jira/{jira.cloud_id}"
    settings = demo_settings([SimAccount("jira", "work", base, TOKEN)], tmp_path)
    sections = [
        SectionConfig("issues", "Mine", "work", jql=JQL),
        SectionConfig("issues", "ZEN", "work", jql="project = ZEN ORDER BY updated DESC"),
        SectionConfig("issues", "OPS", "work", jql="project = OPS ORDER BY updated DESC"),
    ]
    fast = PollingConfig(min_interval=10.0, default_interval=10.0, max_interval=10.0)
    vw.settings = replace(settings, sections=sections, polling=fast)
    tally = Tally(vw.app, vw)
    vw.app = tally
    return vw, tally


async def test_a_small_points_quota_stretches_polling_to_the_hour_without_429s(
    tmp_path: Path,
) -> None:
    vw, tally = app_world(tmp_path)
    async with vw.polling() as engine:
        assert await vw.run_until(lambda: vw.clock.time() >= HOUR - 600, 3600, step=30) < 3600
        mine = next(s for s in engine.sections if s.title == "Mine")
        snapshot = engine.snapshot(mine.id)
        assert snapshot is not None and snapshot.freshness.state is FreshnessState.LIVE
        issue = next(i for i in snapshot.items if isinstance(i, Issue))
        # Reads are paced; a triage action is not held back by that pacing.
        before = len(tally.log)
        action = Action(kind="comment", item_id=issue.id, account="work", params={"body": "ok"})
        result = await engine.wired.clients["work"].apply(action, idempotency_key="quota-1")
        assert result.ok
        assert [s for _, m, p, s in tally.log[before:] if m == "POST" and "comment" in p] == [201]
        await vw.run_until(lambda: vw.clock.time() >= HOUR + 300, 3600, step=30)
        health = engine.wired.gateways["work"].health().buckets["points"]
        [account] = engine.health()  # what `zen-tui health` and the Jira card headline show

    refused = [entry for entry in tally.log if entry[3] == 429]
    assert not refused, f"the quota ran out: {refused[:3]}"
    spent_by_reads = tally.searches(START, HOUR)
    unpaced = 3 * (HOUR - START) / 10.0  # three sections every 10 s
    assert len(spent_by_reads) < unpaced / 4, "polling was not stretched"
    assert tally.searches(HOUR - 600, HOUR), "polling stopped long before the quota's reset"
    # At the hour the quota is whole again: the waiting polls go at once.
    assert len(tally.searches(HOUR, HOUR + 60)) >= 3
    assert health.limit == QUOTA and health.remaining is not None and health.cost is not None
    assert (account.remaining, account.reset_at) == (health.remaining, health.reset_at)
