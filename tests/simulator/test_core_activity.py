"""The activity generator: round robin over services, one broken service doesn't stop it."""

from __future__ import annotations

import time

from starlette.routing import BaseRoute

from zen_tui.simulator.core.activity import ActivityGenerator
from zen_tui.simulator.core.world import ServiceSim, World


class Fake(ServiceSim):
    def __init__(self, world: World, name: str, broken: bool = False) -> None:
        super().__init__(world, "t")
        self.name, self.prefix, self.broken, self.calls = name, f"/{name}", broken, 0

    def seed(self, count: int) -> None:
        pass

    def routes(self) -> list[BaseRoute]:
        return []

    def activity(self) -> None:
        self.calls += 1
        if self.broken:
            raise RuntimeError("boom")


def test_round_robin_and_broken_service_is_skipped() -> None:
    world = World()
    ok, bad = Fake(world, "ok"), Fake(world, "bad", broken=True)
    world.add(ok)
    world.add(bad)
    generator = ActivityGenerator(world)
    for _ in range(4):
        generator.step()
    assert (ok.calls, bad.calls) == (2, 2)
    assert generator.changes == 2  # only the changes that happened


def test_start_stop_thread() -> None:
    world = World()
    fake = Fake(world, "ok")
    world.add(fake)
    generator = ActivityGenerator(world)
    generator.start(interval=0.05)
    deadline = time.monotonic() + 3
    while fake.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    generator.stop()
    assert not generator.running and fake.calls >= 2
    calls = fake.calls
    time.sleep(0.15)
    assert fake.calls == calls
