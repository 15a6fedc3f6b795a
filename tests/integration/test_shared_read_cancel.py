"""A read cancelled mid-flight never takes the others sharing it down with it.

The preview reads a PR (`issue_details`, interactive) and is cancelled on every cursor move;
moving away and back makes a second preview of the same PR join the first one's read. (PR
rows come from GraphQL now, so polls no longer share the preview's reads; the rule is the
same for any two callers.) The real engine, client and gateway, over real sockets to the
simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from msgspec.structs import replace

from zen_tui.config import Settings
from zen_tui.gateway.cache import cache_key
from zen_tui.gateway.settings import CacheTypeSettings
from zen_tui.models import PullRequest
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build


class Gate(httpx.AsyncBaseTransport):
    """The real loopback transport; requests for `hold` wait until `release` is set."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hold: str | None = None
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.hold is not None and request.url.path.endswith(self.hold):
            self.held += 1
            self.reached.set()
            await self.release.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _details_always_revalidated(settings: Settings) -> Settings:
    gh = settings.gateway["github"]
    types = dict(gh.cache.types) | {"issue_details": CacheTypeSettings(ttl=0.0, maxsize=2000)}
    github = replace(gh, cache=replace(gh.cache, types=types))
    return replace(settings, gateway={**settings.gateway, "github": github})


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    for _ in range(int(within / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


async def test_cancelling_a_preview_mid_read_does_not_end_the_one_sharing_it(
    settings: Settings,
) -> None:
    gate = Gate()
    engine = SyncEngine(build(_details_always_revalidated(settings), transport=gate))
    try:
        before = await engine.sync_once()
        section = next(s for s in engine.sections if s.service == "github" and s.pane == "prs")
        prs = [i for i in before[section.id].items if isinstance(i, PullRequest)]
        pr = max((p for p in prs if p.state == "open"), key=lambda p: p.updated_at)
        owner_repo, number = pr.key.split("#")
        path = f"/repos/{owner_repo}/pulls/{number}"
        gateway = engine.wired.gateways[pr.account]
        assert gateway._owner is not None  # the sync above learnt whose login it reads
        key = cache_key(gateway._owner, "GET", gateway._absolute(path), None)

        gate.hold = path  # the first preview leads the read of this PR and is held there
        first = asyncio.create_task(engine.details(pr))
        await asyncio.wait_for(gate.reached.wait(), 10)
        second = asyncio.create_task(engine.details(pr))  # the cursor came back
        await _until(lambda: gateway._flights.waiters(key) == 2)  # it joined the read

        first.cancel()  # the cursor moved on once more
        await asyncio.gather(first, return_exceptions=True)
        gate.release.set()
        detail = await asyncio.wait_for(second, 30)  # on main: CancelledError here

        assert first.cancelled() and gate.held == 1  # one read, shared, not re-sent
        assert detail.item_id == pr.id and not detail.error, detail.error
    finally:
        await engine.stop()
