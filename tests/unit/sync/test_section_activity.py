"""Retries and token waits inside a poll reach the pane of the section being polled, and
nobody else's: gateway events are mapped through the polling task's context."""

from __future__ import annotations

import asyncio
import random

from tests.fakes.settings import engine_settings
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus, RetryScheduled, WaitingForToken
from zen_tui.models import SectionInfo
from zen_tui.store import Store
from zen_tui.sync.backend import SectionActivity
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.wired import Wired

from .test_engine import FakeGateway, Result

SECTIONS = [
    SectionInfo(id=f"issues:{n}:j", pane="issues", title=f"S{n}", account="j", service="jira")
    for n in range(3)
]


class RetryingClient:
    """Each fetch publishes, as the gateway does from inside the call, retries and token
    waits that name (in `endpoint`/`scope`) the section asking, yielding at random points."""

    service = "jira"

    def __init__(self, bus: EventBus, rng: random.Random) -> None:
        self.bus, self.rng = bus, rng

    def keep_resolved(self, sink) -> None:
        """Resolves nothing before a write: nothing to keep."""

    async def fetch_section(self, section, *, limit=100, cursor=None, interactive=False):
        for attempt in range(1, self.rng.randint(1, 4)):
            for _ in range(self.rng.randint(0, 3)):
                await asyncio.sleep(0)
            if self.rng.random() < 0.5:
                self.bus.publish(
                    RetryScheduled(
                        service="jira",
                        account="j",
                        method="GET",
                        endpoint=section.id,
                        attempt=attempt,
                        wait=1.0,
                        reason="503",
                        at=0.0,
                    )
                )
            else:
                self.bus.publish(
                    WaitingForToken(service="jira", account="j", scope=section.id, wait=5.0, at=0.0)
                )
        await asyncio.sleep(0)
        return Result([], 1.0)


async def test_each_retry_is_shown_on_the_section_whose_poll_caused_it() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        bus = EventBus()
        settings = engine_settings()
        client = RetryingClient(bus, rng)
        store = Store.open(":memory:")
        gateways = {"j": FakeGateway()}
        wired = Wired(settings, store, bus, FakeClock(), gateways, {"j": client}, list(SECTIONS))  # type: ignore[arg-type]
        engine = SyncEngine(wired)
        caused: dict[int, str] = {}  # n-th gateway event -> the section it names
        shown: list[SectionActivity] = []

        def watch(event, caused=caused, shown=shown) -> None:
            if isinstance(event, RetryScheduled):
                caused[len(caused)] = event.endpoint
            elif isinstance(event, WaitingForToken):
                caused[len(caused)] = event.scope
            elif isinstance(event, SectionActivity):
                shown.append(event)

        bus.subscribe(watch)
        targets = rng.sample(SECTIONS, rng.randint(1, 3))
        await asyncio.gather(*(engine.pollers[s.id].poll_now() for s in targets))
        busy = [e for e in shown if e.activity is not None]
        assert len(busy) == len(caused), seed  # every retry and wait was shown, once
        assert [e.section_id for e in busy] == list(caused.values()), seed
        for e in busy:
            if e.activity.kind == "retrying":
                assert e.activity.attempts == 4 and e.activity.attempt >= 2
        ended = {e.section_id for e in shown if e.activity is None}
        assert ended == set(caused.values()), seed  # each busy section is told it is done
        await engine.stop()
