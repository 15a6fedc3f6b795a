"""The limiter never spends more than the budget the server reported, whatever the order.

A GitHub-like server with a real quota (`limit` calls per window, `x-ratelimit-*` on every
answer, a 403 with remaining 0 once it is spent), and calls through the gateway that start,
get their answers in a random order (so an older report can land after a newer one) and
cross window resets as the fake clock moves. From the first window that begins after the
client has heard the budget, the server never receives a call beyond its quota.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import seeds
from zen_tui.gateway import ApiError, CircuitOpen, FakeClock, RateLimited, Unavailable
from zen_tui.gateway.limiter import Priority

from .conftest import settings_for


@dataclass
class Server:
    clock: FakeClock
    limit: int
    window: int
    used: Counter[int] = field(default_factory=Counter)  # calls counted per window
    refused: Counter[int] = field(default_factory=Counter)  # calls past the quota
    arrived: Counter[int] = field(default_factory=Counter)  # calls received per window
    # Each report as the client gets it: (window, remaining, calls of the window by then).
    reports: list[tuple[int, int, int]] = field(default_factory=list)
    answers: list[tuple[asyncio.Future[None], httpx.Response]] = field(default_factory=list)
    prompt: bool = False  # answer at once instead of when the test says

    def window_of(self, now: float) -> int:
        return math.floor(now / self.window)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        # The server counts the call when it arrives; its answer leaves when the test says.
        w = self.window_of(self.clock.time())
        reset = (w + 1) * self.window
        self.arrived[w] += 1
        if self.used[w] >= self.limit:
            self.refused[w] += 1
            response = self._answer(403, 0, reset, {"message": "API rate limit exceeded"})
        else:
            self.used[w] += 1
            response = self._answer(200, self.limit - self.used[w], reset, {"ok": True})
        if not self.prompt:
            release = asyncio.get_running_loop().create_future()
            self.answers.append((release, response))
            await release
        remaining = int(response.headers["x-ratelimit-remaining"])
        self.reports.append((w, remaining, self.arrived[w]))  # the gateway reads it next
        return response

    def _answer(self, status: int, remaining: int, reset: int, body: object) -> httpx.Response:
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        return httpx.Response(status, json=body, headers=headers)

    def past_reports(self, safety: float) -> list[str]:
        """Reports after which more calls came in their window than safety x remaining."""
        return [
            f"window {w}: {self.arrived[w] - then} calls after a report of {left} left"
            for w, left, then in self.reports
            if self.arrived[w] - then > math.floor(left * safety + 1e-9)
        ]

    def parked(self) -> list[asyncio.Future[None]]:
        return [f for f, _ in self.answers if not f.done()]


async def _turns() -> None:
    for _ in range(30):
        await asyncio.sleep(0)


async def _play(seed: int, make_gateway: Any, clock: FakeClock) -> None:
    rng = random.Random(seed)
    server = Server(clock, limit=rng.choice((5, 12, 30)), window=rng.choice((60, 600)))
    settings = settings_for("github", max_attempts=1)
    # The client's own bucket is the server's documented limit, as the shipped defaults are
    # (GitHub core 5000 an hour, search 30 a minute).
    limits = {"core": (float(server.limit), float(server.window))}
    rate = replace(settings.rate_limit, buckets=limits)
    gw = make_gateway(replace(settings, rate_limit=rate), handler=server.handler)
    heard: list[float] = []  # when the client first had a report in hand
    calls: list[asyncio.Task[Any]] = []
    steps: list[str] = []
    for n in range(150):
        roll, parked = rng.random(), server.parked()
        if roll < 0.8:
            with clock.holding():  # time stands still while calls start and answers cross
                if roll < 0.45 or not parked:
                    priority = rng.choice((Priority.INTERACTIVE, Priority.BACKGROUND))
                    steps.append(f"call:{priority.name[0]}")
                    request = gw.request("GET", f"/r/{n}", priority=priority)
                    calls.append(asyncio.create_task(request))
                else:
                    steps.append("answer")
                    rng.choice(parked).set_result(None)
                    heard = heard or [clock.time()]
                await _turns()
        else:  # time moves on: the answers on their way land first, or stay out (slow server)
            slow = rng.random() < 0.5
            if not slow:
                rng.shuffle(parked)
                for release in parked:
                    release.set_result(None)
                heard = heard or ([clock.time()] if parked else [])
            jump = rng.choice((1.0, server.window / 4, float(server.window)))
            steps.append(f"+{jump:g}s{' slow' if slow else ''}")
            # Through the clock's own sleep, so every wait due meanwhile ends at its time
            # (a token waiter sends when it would have); meanwhile a prompt server answers at
            # once, a slow one holds those answers too, still counting the calls it received.
            server.prompt = not slow
            await clock.sleep(jump)
            server.prompt = False
        if heard:
            learnt = server.window_of(heard[0]) + 1
            over = {w: k for w, k in server.refused.items() if w >= learnt}
            assert not over, (
                f"seed {seed}: the server refused calls past its quota of {server.limit} per "
                f"{server.window}s in windows {over} (budget heard in window {learnt - 1}); "
                f"last steps: {' '.join(steps[-15:])}"
            )
        past = server.past_reports(settings.rate_limit.safety_factor)
        assert not past, f"seed {seed}: {past[:3]}; last steps: {' '.join(steps[-15:])}"
    for release in server.parked():
        release.set_result(None)
    for call in calls:
        call.cancel()
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(
            result, (ApiError, CircuitOpen, RateLimited, Unavailable, asyncio.CancelledError)
        ):
            raise result


@pytest.mark.parametrize("seed", seeds(every_run=range(8), soak=range(8, 300)))
async def test_calls_stay_within_the_reported_budget(seed, make_gateway, clock):
    await _play(seed, make_gateway, clock)
