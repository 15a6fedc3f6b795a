"""The most important signals follow the theme: a breaker lamp, the health screen's breaker
log, a preview's "cached" note, a login error and a stale pane are drawn in the theme's own
$error / $warning / $success, so switching to the light or high-contrast theme recolours
them (they were fixed ANSI red/green/yellow before)."""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.widget import Widget

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from zen_tui.auth.states import LoginFailed
from zen_tui.config import AccountConfig
from zen_tui.models import Item, ItemDetail
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.health import HealthScreen
from zen_tui.ui.widgets.item_list import ItemList
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


def drawn_colour(widget: Widget, text: str) -> RGB | None:
    """The foreground colour `text` is drawn in, from the widget's rendered lines."""
    for y in range(widget.size.height):
        segments: list[Segment] = list(widget.render_line(y))
        for seg in segments:
            if text in seg.text and seg.style is not None and seg.style.color is not None:
                return Color.from_rich_color(seg.style.color).rgb
    return None


def colour_of(widget: Widget, text: str) -> RGB:
    rgb = drawn_colour(widget, text)
    if rgb is None:
        raise AssertionError(f"{text!r} not drawn in {widget!r}")
    return rgb


async def switch(
    app: ZenApp, theme: str, *drawn: tuple[Widget, str, str] | tuple[Widget, None, str]
) -> None:
    """Switch the theme, then wait for the repaint: until each (widget, text, role) is drawn
    in the theme's colour for that role (text None: the widget's border). The repaint comes
    a frame or more after the theme's CSS is in place, however long that takes under load."""
    app.theme = theme

    def repainted() -> bool:
        for widget, text, role in drawn:
            rgb = widget.styles.border_top[1].rgb if text is None else drawn_colour(widget, text)
            if rgb is None or not near(rgb, theme_rgb(app, role)):
                return False
        return True

    await eventually(repainted, f"the {theme} colours to be drawn")


class OfflineDetails(FakeBackend):
    """Details load until the test takes the service offline; then they fail, and the
    preview shows its last good copy with a "cached" note (the dashboard's own path)."""

    offline = False

    async def details(self, item: Item) -> ItemDetail:
        if self.offline:
            raise RuntimeError("github: offline")
        return await super().details(item)


async def test_breaker_lamp_preview_note_and_stale_pane_follow_the_theme() -> None:
    backend = OfflineDetails()
    app = make_app(backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        dash = app.screen
        card = dash.query_one("#card-github")
        preview = dash.query_one(Preview)
        body = preview.query_one("#preview-body")
        first = dash.query_one("#list-prs", ItemList).cursor_item
        assert first is not None
        await eventually(  # a complete copy, for the "cached" note to fall back on
            lambda: preview.item_id == first.id and (preview._shown or (0, None))[1] is not None,
            "the preview's first load",
        )
        backend.offline = True
        backend.go_degraded(("github",))
        await pilot.press("j", "k")  # the first row again: its detail is asked for again
        await eventually(lambda: "offline" in str(body.render()), "the preview's cached note")
        pane = dash.query_one("#pane-prs", ItemPane)
        await eventually(lambda: pane.has_class("-stale"), "the pane to go stale")
        await eventually(lambda: card.has_class("-open"), "the card's redraw (once per frame)")
        seen: dict[str, tuple[RGB, ...]] = {}
        for theme in THEMES:
            await switch(app, theme, (card, "●", "error"), (body, "cached", "warning"))
            lamp = colour_of(card, "●")
            note = colour_of(body, "cached")
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
            await switch(app, theme, (breakers, "open", "error"), (errors, "503", "error"))
            assert near(colour_of(breakers, "open"), theme_rgb(app, "error")), theme
            assert near(colour_of(errors, "503"), theme_rgb(app, "error")), theme
        await pilot.press("escape")
        app.action_login("gh")
        await pilot.pause()
        await pilot.press("enter")  # the default method: its flow fails at once
        await pilot.pause()
        state = app.screen.query_one("#login-state")
        for theme in ("zen-light", "zen-high-contrast"):
            await switch(app, theme, (state, "login failed", "error"))
            assert near(colour_of(state, "login failed"), theme_rgb(app, "error")), theme
