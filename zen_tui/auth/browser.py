"""Opening the system browser, optionally: a machine without one still gets the URL shown."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping

Browser = Callable[[str], bool]


def has_gui_browser(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> bool:
    """False on a Linux/BSD console without a display: webbrowser would start a text browser
    (lynx, w3m) in our own terminal, on top of the dashboard. $BROWSER is the user's choice."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    return any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))


async def try_open(open_browser: Browser | None, url: str) -> bool:
    """True if a browser was opened on `url` (run off the event loop: it can block)."""
    import webbrowser  # here: the dashboard asks has_gui_browser at start, opens nothing

    if open_browser is None or (open_browser is webbrowser.open and not has_gui_browser()):
        return False
    try:
        return bool(await asyncio.to_thread(open_browser, url))
    except Exception:  # no browser, no display: the caller shows the URL anyway
        return False
