"""A 429 storm never makes the client send before Retry-After; the sync completes after."""

import asyncio
import time

import httpx

from zen_tui.models import FreshnessState
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build


class Recorder(httpx.AsyncBaseTransport):
    """The real loopback transport, noting when each request left and what came back."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        # (sent, received, service, status, Retry-After)
        self.log: list[tuple[float, float, str, int, float | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = await self.inner.handle_async_request(request)
        service = request.url.path.strip("/").split("/")[0]
        retry_after = response.headers.get("retry-after")
        ra = float(retry_after) if retry_after else None
        self.log.append((sent, time.monotonic(), service, response.status_code, ra))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_429_storm_respects_retry_after_and_completes_after_reset(sim, settings):
    recorder = Recorder()
    engine = SyncEngine(build(settings, transport=recorder))
    sim.set_faults([{"service": "github", "rate_limit_rate": 1.0, "retry_after": 1}])
    loop = asyncio.get_running_loop()
    loop.call_later(1.5, sim.clear_faults)  # the storm ends; the budget "resets"
    snapshots = await engine.sync_once()
    await engine.stop()

    github = [entry for entry in recorder.log if entry[2] == "github"]
    storms = [(got, ra) for _, got, _, status, ra in github if status == 429]
    assert storms, "the storm never hit"
    for got, retry_after in storms:  # once a 429 is known, nothing goes out until it expires
        assert retry_after is not None
        early = [sent for sent, *_ in github if got < sent < got + retry_after - 0.05]
        assert not early, f"{len(early)} requests sent before Retry-After expired"
    assert any(status == 200 for *_, status, _ in github)
    for section in engine.sections:
        assert snapshots[section.id].freshness.state is FreshnessState.LIVE, (
            section.id,
            snapshots[section.id].freshness,
        )
