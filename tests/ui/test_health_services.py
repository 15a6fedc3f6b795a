"""The health screen shows the services the dashboard has gateway cards for: those with an
account or a section in the config (one rule, `ZenApp.configured_services`)."""

from __future__ import annotations

from textual.widgets import Sparkline

from tests.fakes.backend import FakeBackend
from tests.ui.conftest import make_app
from zen_tui.config import AccountConfig
from zen_tui.ui.screens.health import HealthScreen
from zen_tui.ui.widgets.gateway import ServiceCard


def boxes(screen: HealthScreen) -> list[str]:
    return [str(w.id).removeprefix("box-") for w in screen.query(".spark-box")]


async def test_the_health_screen_lists_only_configured_services() -> None:
    """No Slack account or section: no empty `slack` latency/rate box, as on the dashboard."""
    sections = [s for s in FakeBackend().sections if s.service != "slack"]
    async with make_app(FakeBackend(sections)).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        cards = [c.service for c in pilot.app.screen.query(ServiceCard)]
        await pilot.press("h")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, HealthScreen)
        assert boxes(screen) == cards == ["github", "jira"]
        assert not screen.query("#lat-slack")
        screen.update_view()  # a redraw asks only for the boxes it has
        assert len(screen.query(Sparkline)) == 4


async def test_an_account_alone_makes_its_service_listed() -> None:
    """A Slack account with no Slack section yet still gets its box (and its card)."""
    sections = [s for s in FakeBackend().sections if s.service != "slack"]
    accounts = [AccountConfig("slack", "slack", "https://slack.com/api")]
    app = make_app(FakeBackend(sections), accounts=accounts)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, HealthScreen)
        assert boxes(screen) == ["github", "jira", "slack"]
