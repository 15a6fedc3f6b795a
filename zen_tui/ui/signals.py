"""Signal colours (ok / warning / error) from the theme, never hard-coded.

A widget that draws signals into Rich Text (a breaker lamp, a failed check, a stale note)
declares `SIGNAL_CLASSES` among its COMPONENT_CLASSES and `signal_css(...)` in its
DEFAULT_CSS; `signal_styles(widget)` then gives the theme's `$success`, `$warning` and
`$error` as Rich styles, and `on_theme_change` repaints it when the user switches theme (the
light and high-contrast themes reach the most important signals too). A user's TCSS may
restyle `.signal--bad` & co like any component class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.style import Style
from textual.widget import Widget

OK, WARN, BAD = "signal--ok", "signal--warn", "signal--bad"
SIGNAL_CLASSES = {OK, WARN, BAD}  # merged with the base classes' by Textual

Signals = Mapping[str, Style]
NO_SIGNALS: Signals = {OK: Style(), WARN: Style(), BAD: Style()}  # outside an app: plain


def signal_css(widget_type: str) -> str:
    return (
        f"{widget_type} > .{OK} {{ color: $success; }}\n"
        f"{widget_type} > .{WARN} {{ color: $warning; }}\n"
        f"{widget_type} > .{BAD} {{ color: $error; }}\n"
    )


def signal_styles(widget: Widget) -> Signals:
    """The theme's signal styles for `widget` (partial: its own background shows through)."""
    return {name: widget.get_component_rich_style(name, partial=True) for name in SIGNAL_CLASSES}


def on_theme_change(widget: Widget, repaint: Callable[[], None]) -> None:
    """Call `repaint` after each theme switch, once the new theme's CSS is in place."""
    widget.app.theme_changed_signal.subscribe(widget, lambda _theme: repaint())
