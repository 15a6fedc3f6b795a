"""A poll against a hanging server ends at its deadline and the section says why.

The real engine, GitHub client and gateway on the fake clock; the "server" hangs on that clock
until httpx's read timeout, as a real silent server would.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from zen_tui.config import parse_settings
from zen_tui.gateway import FakeClock
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.models import Freshness, FreshnessState
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

CONFIG = {
    "accounts": [{"name": "gh", "service": "github", "base_url": "https://api.test"}],
    "sections": [{"pane": "prs", "account": "gh", "query": "is:pr is:open"}],
}
EMPTY = {"total_count": 0, "incomplete_results": False, "items": []}


async def test_a_hanging_refresh_degrades_the_section_at_the_interactive_deadline(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    hang = False

    async def server(request: httpx.Request) -> httpx.Response:
        if hang:
            await clock.sleep(request.extensions["timeout"]["read"])
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json=EMPTY, headers={"etag": '"v1"'})

    settings = parse_settings(CONFIG, file=None, data_dir=tmp_path)
    wired = build(
        settings,
        store=Store.open(":memory:"),
        credentials=StaticCredentialProvider({"gh": Credential("t")}),
        clock=clock,
        transport=httpx.MockTransport(server),
    )
    engine = SyncEngine(wired)
    [section] = engine.sections
    try:
        await engine.refresh()
        assert _freshness(engine, section.id).state is FreshnessState.LIVE
        clock.advance(60)  # past the listing TTL: the next refresh asks the server
        hang = True
        started = clock.monotonic()
        await engine.refresh()  # `R`: interactive, so the 10 s budget
        assert clock.monotonic() - started == 10  # not 4 x 15 s read timeouts + backoff
        fresh = _freshness(engine, section.id)
        assert fresh.state is FreshnessState.CACHED
        assert fresh.reason == "gave up after 10s: no answer to attempt 1"
    finally:
        await engine.stop()


def _freshness(engine: SyncEngine, section_id: str) -> Freshness:
    snapshot = engine.snapshot(section_id)
    assert snapshot is not None
    return snapshot.freshness
