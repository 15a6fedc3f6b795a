"""The most important signals follow the theme: a breaker lamp, the health screen's breaker
log, a preview's "cached" note, a login error and a stale pane are drawn in the theme's own
$error / $warning / $success, so switching to the light or high-contrast theme recolours
them (they were fixed ANSI red/green/yellow before)."""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.pilot import Pilot
from textual.widget import Widget

from tests.fakes.backend import FakeBackend
from zen_tui.auth.states import LoginFailed
from zen_tui.config import AccountConfig
from zen_tui.models import ItemDetail
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.health import HealthScreen
from zen_tui.ui.widgets.pane import ItemPane
from zen_tui.ui.widgets.preview import Preview

from .conftest import ScriptedFlow, make_app

THEMES = ("zen-dark", "zen-light", "zen-high-contrast")
RGB = tuple[int, int, int]


def theme_rgb(app: ZenApp, role: str) -> RGB:
    return Color.parse(getattr(app.current_theme, role)).rgb


def near(a: RGB, b: RGB) -> bool:
    """Equal up to Textual's rounding when it blends (a unit or two per channel)."""
    return all(abs(x - y) <= 3 for x, y in zip(a, b, strict=True))


def colour_of(widget: Widget, text: str) -> RGB:
    """The foreground colour `text` is drawn in, from the widget's rendered lines."""
    for y in range(widget.size.height):
        segments: list[Segment] = list(widget.render_line(y))
        for seg in segments:
            if text in seg.text and seg.style is not None and seg.style.color is not None:
                return Color.from_rich_color(seg.style.color).rgb
    raise AssertionError(f"{text!r} not drawn in {widget!r}")


async def switch(app: ZenApp, pilot: Pilot[str | None], theme: str) -> None:
    app.theme = theme
    await pilot.pause()
    await pilot.pause()  # the repaint runs after the theme's CSS is in place


async def test_breaker_lamp_preview_note_and_stale_pane_follow_the_theme() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        backend.go_degraded(("github",))
        await pilot.pause()
        dash = app.screen
        card = dash.query_one("#card-github")
        preview = dash.query_one(Preview)
        item = backend.items[backend.sections[0].id][0]
        preview.show(item, ItemDetail(item.id, body="all good"))
        preview.show(item, ItemDetail(item.id, error="github: offline"))  # -> cached note
        pane = dash.query_one("#pane-prs", ItemPane)
        assert pane.has_class("-stale")
        seen: dict[str, tuple[RGB, ...]] = {}
        for theme in THEMES:
            await switch(app, pilot, theme)
            lamp = colour_of(card, "●")
            note = colour_of(preview.query_one("#preview-body"), "cached")
            border = pane.styles.border_top[1].rgb
            assert near(lamp, theme_rgb(app, "error")), theme
            assert near(note, theme_rgb(app, "warning")), theme
            assert near(border, theme_rgb(app, "warning")), theme
            seen[theme] = (lamp, note, border)
        assert len(set(seen.values())) == len(THEMES), seen  # each theme its own colours


async def test_health_breaker_log_and_login_error_follow_the_theme() -> None:
    backend = FakeBackend()
    account = AccountConfig("gh", "github", "https://api.github.com")
    flow = ScriptedFlow(LoginFailed("GitHub says access_denied"))
    app = make_app(backend, accounts=[account], login_flow=flow)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        backend.go_degraded(("github",))
        await pilot.pause()
        app.action_health()
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        breakers = app.screen.query_one("#breakers")
        errors = app.screen.query_one("#errors")
        for theme in ("zen-light", "zen-high-contrast"):
            await switch(app, pilot, theme)
            assert near(colour_of(breakers, "open"), theme_rgb(app, "error")), theme
            assert near(colour_of(errors, "503"), theme_rgb(app, "error")), theme
        await pilot.press("escape")
        app.action_login("gh")
        await pilot.pause()
        await pilot.press("enter")  # the default method: its flow fails at once
        await pilot.pause()
        state = app.screen.query_one("#login-state")
        for theme in ("zen-light", "zen-high-contrast"):
            await switch(app, pilot, theme)
            assert near(colour_of(state, "login failed"), theme_rgb(app, "error")), theme
