"""The whole simulator in process on virtual time, under a real engine and SQLite store.

The simulator's clock and the engine's are one FakeClock, so the pollers run on their real
schedule (60 s, backing off x1.5 to 600 s) and hours of it pass in seconds: what "an item
gone on the server lingers for N minutes" means can be measured, not guessed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.integration.helpers import running
from zen_tui.config import Settings
from zen_tui.demo import demo_settings
from zen_tui.gateway import FakeClock
from zen_tui.simulator.app import build_app, create_world
from zen_tui.simulator.core import settings as sim_settings
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.server import SimAccount
from zen_tui.simulator.slack.service import SlackSim
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

START = 1_790_000_000.0


class VirtualWorld:
    def __init__(self, data_dir: Path, *, seed: int = 7, size: int = 300) -> None:
        self.clock = FakeClock(START)
        self.world = create_world(seed=seed, size=size, clock=self.clock.time)
        self.app = build_app(self.world, clock=self.clock.time)
        self.data_dir = data_dir
        accounts = [
            SimAccount(name, name, "http://sim" + sim.base_path, sim.token, sim.username)
            for name, sim in self.world.services.items()
        ]
        self.settings: Settings = demo_settings(accounts, data_dir)

    def engine(self, settings: Settings | None = None) -> SyncEngine:
        """A new engine (a new process, as far as the store knows) on the same world."""
        transport = httpx.ASGITransport(app=self.app)
        wired = build(settings or self.settings, clock=self.clock, transport=transport)
        return SyncEngine(wired)

    @property
    def github(self) -> GitHubSim:
        sim = self.world.services["github"]
        assert isinstance(sim, GitHubSim)
        return sim

    @property
    def jira(self) -> JiraSim:
        sim = self.world.services["jira"]
        assert isinstance(sim, JiraSim)
        return sim

    @property
    def slack(self) -> SlackSim:
        sim = self.world.services["slack"]
        assert isinstance(sim, SlackSim)
        return sim

    def set(self, service: str, **values: Any) -> None:
        """A `/_sim/settings` switch (hidden_repos, hidden_projects, left_channels, ...)."""
        sim_settings.apply(self.world, {service: values})

    @contextlib.asynccontextmanager
    async def polling(self, engine: SyncEngine | None = None) -> AsyncIterator[SyncEngine]:
        """`engine` (a new one if none) started and given up to 10 virtual minutes for every
        poller's first poll; stopped on the way out, whatever happened inside."""
        started = self.engine() if engine is None else engine
        async with running(started):
            await self.run_until(lambda: polled(started), 600)
            yield started

    async def run_until(self, done: Callable[[], bool], limit: float, step: float = 5.0) -> float:
        """Let virtual time pass (the engine's pollers run) until `done()`; returns the
        seconds it took, or inf past `limit`."""
        start = self.clock.time()
        while not done():
            if self.clock.time() - start > limit:
                return float("inf")
            await self.clock.sleep(step)
        return self.clock.time() - start


def polled(engine: SyncEngine) -> bool:
    """Every poller has polled at least once and its section has a snapshot."""
    return all(p.polls > 0 and engine.snapshot(s) is not None for s, p in engine.pollers.items())


def shown_anywhere(engine: SyncEngine, account: str, item_id: str) -> list[str]:
    """The sections of `account` that still show the item: on screen or in the store."""
    out = []
    for section in engine.sections:
        if section.account != account:
            continue
        snapshot = engine.snapshot(section.id)
        on_screen = snapshot is not None and any(i.id == item_id for i in snapshot.items)
        stored = any(i.id == item_id for i in engine.store.load_section(section.id)[0])
        if on_screen or stored:
            out.append(section.id)
    return out


class AnswerGate:
    """An ASGI wrapper around the simulator: once armed, the next request `match` accepts
    (given the ASGI scope) is answered at once (the server's state then) and held back until
    `released`: a poll answer in flight."""

    def __init__(self, app: Any, match: Callable[[Any], bool]) -> None:
        self.app = app
        self.match = match
        self.armed = False
        self.holding = asyncio.Event()
        self.released = asyncio.Event()

    def arm(self) -> None:
        self.armed, self.holding, self.released = True, asyncio.Event(), asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (self.armed and self.match(scope)):
            await self.app(scope, receive, send)
            return
        self.armed = False
        messages: list[Any] = []

        async def keep(message: Any) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        self.holding.set()
        await self.released.wait()
        for message in messages:
            await send(message)
