"""Opening URLs from the UI without letting a console browser take over the terminal."""

from __future__ import annotations

from textual.app import App

from zen_tui.auth.browser import has_gui_browser


def open_in_browser(app: App[object], url: str) -> bool:
    """App.open_url unless this is a display-less Linux console, where webbrowser would start
    lynx or w3m inside our own terminal. False when nothing was opened: show the URL."""
    if not has_gui_browser():
        return False
    try:
        app.open_url(url)
    except Exception:  # no usable browser: the caller shows the URL instead
        return False
    return True
