"""A Slack 429 storm from the simulator's own method tiers (not an injected fault): the
gateway sends nothing of a limited method before its Retry-After, the sections keep their items with
their age, and all of them are live again once the minute is over."""

import itertools
import time
from typing import NamedTuple

import httpx
from msgspec.structs import replace

from zen_tui.config_schema import SectionConfig
from zen_tui.demo import demo_settings
from zen_tui.gateway.clock import FakeClock
from zen_tui.models import FreshnessState
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

from .conftest import fast

CHANNELS = ("#general", "#random", "#dev", "#ops", "#incidents", "#design", "#leads")


class Sent(NamedTuple):
    at: float  # virtual time the request left
    order: int
    got: float  # virtual time its answer came
    got_order: int
    method: str
    status: int
    retry_after: float | None


class Recorder(httpx.AsyncBaseTransport):
    """The real loopback transport, noting (on the shared clock) when each Slack method
    request left and came back, its status and Retry-After."""

    def __init__(self, clock: FakeClock) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.clock = clock
        self.order = itertools.count()  # virtual time may stand still: what came first
        self.log: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent, first = self.clock.time(), next(self.order)
        response = await self.inner.handle_async_request(request)
        method = request.url.path.rsplit("/", 1)[-1]
        retry_after = response.headers.get("retry-after")
        ra = float(retry_after) if retry_after else None
        self.log.append(
            Sent(sent, first, self.clock.time(), next(self.order), method, response.status_code, ra)
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def assert_waited(log: list[Sent]) -> None:
    """Once a 429 came back, no request of that method (the gateway's rate-limit scope: Slack
    limits each method on its own) left before its Retry-After was over."""
    for limited in (e for e in log if e.status == 429):
        assert limited.retry_after is not None and limited.retry_after >= 1
        early = [
            (e.method, e.at - limited.got)
            for e in log
            if e.method == limited.method
            and e.order > limited.got_order
            and e.at < limited.got + limited.retry_after
        ]
        assert not early, f"{limited.method}: sent before Retry-After: {early}"


def slack_account(sim) -> str:
    return next(a.name for a in sim.accounts if a.service == "slack")


def slack_settings(sim, folder):
    accounts = [a for a in sim.accounts if a.service == "slack"]
    settings = fast(demo_settings(accounts, folder))
    name = accounts[0].name
    sections = [SectionConfig("messages", ch, name, channels=(ch,)) for ch in CHANNELS]
    sections += [
        SectionConfig("messages", "Mentions", name, query="mentions"),
        SectionConfig("messages", "Deploys", name, query="deploy"),
    ]
    slack = settings.gateway["slack"]
    # A wait longer than 5 s is not slept inside one call: the section shows its last copy.
    slack = replace(slack, retry=replace(slack.retry, max_server_wait=5.0))
    return replace(settings, sections=sections, gateway={**settings.gateway, "slack": slack})


async def test_a_slack_tier_storm_waits_retry_after_per_tier_shows_cached_and_recovers(
    sim, tmp_path
):
    clock = FakeClock(start=time.time())
    sim.world.clock = clock.time  # the simulator's tier windows run on the same clock
    slack = sim.world.services["slack"]
    recorder = Recorder(clock)
    engine = SyncEngine(build(slack_settings(sim, tmp_path), transport=recorder, clock=clock))
    try:
        calm = await engine.sync_once()
        assert all(s.freshness.state is FreshnessState.LIVE for s in calm.values())
        before = {sid: [i.id for i in s.items] for sid, s in calm.items()}
        assert all(before.values())

        # The storm: a non-Marketplace app (history 1 a minute), the other tiers cut to 12 %,
        # in the same minute whose budget the first sync already spent.
        mark = len(recorder.log)
        with sim.world.lock:
            slack.non_marketplace = True
            sim.world.rate_scale = 0.12  # tier 2: 2 a minute; tier 4: 12
        stormy = await engine.sync_once()
        limited = [e for e in recorder.log[mark:] if e.status == 429]
        assert limited, "the storm never hit"
        assert {e.method for e in limited} >= {"conversations.history", "search.messages"}

        for sid, snap in stormy.items():  # each shows its last good copy, its age, and why
            assert snap.freshness.state is FreshnessState.CACHED, snap.freshness
            assert [i.id for i in snap.items] == before[sid]
            assert snap.freshness.reason and "rate limited until" in snap.freshness.reason
            assert snap.freshness.fetched_at is not None
            assert snap.freshness.badge(clock.time()).startswith("cached")
        storm_at = clock.time()
        # The history and search tiers are paused, not the account: users.info (tier 4) goes.
        client = engine.wired.clients[slack_account(sim)]
        assert await client.user_name("UNOBODY0000") == "UNOBODY0000"
        assert recorder.log[-1].method == "users.info" and recorder.log[-1].at == storm_at

        # Half a minute on, every section polls again: nothing of a paused tier leaves before
        # its Retry-After; a section either waited for it or keeps its copy.
        clock.advance(30)
        paused = await engine.sync_once()
        assert_waited(recorder.log[mark:])
        ends = max(e.got + (e.retry_after or 0) for e in limited)
        for sid, snap in paused.items():
            fetched = snap.freshness.fetched_at
            assert fetched is not None
            if snap.freshness.state is FreshnessState.LIVE:
                assert fetched >= ends
            else:
                assert snap.freshness.state is FreshnessState.CACHED
                assert [i.id for i in snap.items] == before[sid] and fetched < ends

        # The storm ends: the minute passes, the budgets are back.
        with sim.world.lock:
            slack.non_marketplace = False
            sim.world.rate_scale = 1.0
        clock.advance(61)
        mark = len(recorder.log)
        calm_again = await engine.sync_once()
        assert all(s.freshness.state is FreshnessState.LIVE for s in calm_again.values()), {
            sid: s.freshness for sid, s in calm_again.items()
        }
        assert all(e.status == 200 for e in recorder.log[mark:])
        assert_waited(recorder.log)
    finally:
        await engine.stop()
