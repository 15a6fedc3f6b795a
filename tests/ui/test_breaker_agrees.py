"""The status line and the gateway card say the breaker alike: one model (the gateway's
BreakerChanged), one clock (the app's). The engine's "probe due" reason, timed on its own
clock, never shows beside a card that still counts down."""

from __future__ import annotations

import random

import pytest
from textual.widgets import Static

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from tests.helpers import github_breaker_open, seeds
from zen_tui.models import Cause, Freshness, FreshnessState, Snapshot
from zen_tui.sync.engine import PROBE_DUE
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.dashboard import DashboardScreen

from .conftest import status_line, until_quiet

STEPS = 60  # each is a turn of the app (a pause): about 0.1 s on a loaded worker


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def opened(backend: FakeBackend, at: float, wait: float) -> None:
    backend.publish(github_breaker_open(at + wait, at))


def reason(backend: FakeBackend, text: str) -> None:
    """Both PR sections: cached, for the breaker, with the engine's words."""
    fresh = Freshness(FreshnessState.CACHED, FROZEN_NOW - 120, text, Cause.BREAKER)
    for s in backend.sections:
        if s.pane == "prs":
            snap = Snapshot(backend.items[s.id], fresh)
            backend.publish(backend._section_event(s, snap))


def card_breaker(app: ZenApp) -> str:
    """What the github card's first line says after its lamp and name."""
    first = str(app.screen.query_one("#card-github").render()).splitlines()[0]
    return first.split("github ", 1)[1].strip()


def status_breaker(app: ZenApp) -> str:
    status = status_line(app)
    assert "github breaker " in status, status
    return status.split("github breaker ", 1)[1].split(")", 1)[0]


def dashboard(app: ZenApp) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


async def test_probe_due_is_not_said_while_the_card_counts_down() -> None:
    clock = FakeClock(FROZEN_NOW)
    backend = FakeBackend()
    app = ZenApp(backend, clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        opened(backend, FROZEN_NOW, 30)
        reason(backend, PROBE_DUE)  # the engine's timer fired: its clock runs ahead
        await pilot.pause()
        clock.now = FROZEN_NOW + 3
        dashboard(app).tick()
        assert card_breaker(app) == "open, 27s left"
        assert status_breaker(app) == "open, 27s left"
        assert "probe due" not in status_line(app)
        clock.now = FROZEN_NOW + 30
        dashboard(app).tick()
        assert card_breaker(app) == status_breaker(app) == "open, probe due"


@pytest.mark.parametrize("seed", seeds(every_run=(0,), soak=(1, 2, 3, 5, 7, 8, 9, 10, 11)))
async def test_card_and_status_agree_whatever_comes_when(seed: int) -> None:
    """Seeded random interleavings of clock steps, breaker (re)openings, the engine's
    reasons, and redraws by tick or by a gateway event: after each, the two agree. Seed 0
    runs in every suite, the others in `make soak`; each seed's steps reach both sides of
    the countdown (seeds 4 and 6 do not in 60 steps). One seed of 120 steps took 13 s of a
    loaded CI worker."""
    rng = random.Random(seed)
    clock = FakeClock(FROZEN_NOW)
    backend = FakeBackend()
    app = ZenApp(backend, clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        opened(backend, clock.now, 30)
        reason(backend, "github breaker open until 00:00:30")
        await pilot.pause()
        seen = set()
        for _ in range(STEPS):
            step = rng.choice(("clock", "reopen", "probe-due", "until"))
            if step == "clock":
                clock.now += rng.choice((0.4, 1.0, 2.5, 7.0, 29.9))
            elif step == "reopen":  # a failed probe: a new wait, the card redraws on the event
                opened(backend, clock.now, rng.choice((5.0, 30.0, 60.0)))
            else:
                said = PROBE_DUE if step == "probe-due" else "github breaker open until 14:02"
                reason(backend, said)
            await pilot.pause()
            if rng.random() < 0.5:
                dashboard(app).tick()
            assert status_breaker(app) == card_breaker(app)
            seen.add(card_breaker(app).split(",")[-1].strip().split(" ")[-1])
        assert {"left", "due"} <= seen  # both sides of the countdown were exercised


async def test_a_tick_redraws_only_what_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each second's tick redraws a card, a tab row or the status line only if its text
    changed: every update lays the whole screen out again, and a tick mostly repeats what is
    shown (an idle dashboard spent 35 ms of CPU a second on it)."""
    clock = FakeClock(FROZEN_NOW)
    backend = FakeBackend()
    app = ZenApp(backend, clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        opened(backend, FROZEN_NOW, 30)
        await until_quiet(pilot)
        updated: list[str | None] = []
        update = Static.update

        def spy(widget: Static, *args: object, **kwargs: object) -> None:
            updated.append(widget.id)
            update(widget, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Static, "update", spy)
        dashboard(app).tick()
        assert updated == []
        clock.now = FROZEN_NOW + 3
        dashboard(app).tick()
        assert updated == ["card-github"]  # its countdown; the rest says the same
        assert card_breaker(app) == "open, 27s left"
